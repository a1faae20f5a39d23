// Codec decoding budgets (issue 13): the synchronous cost of decoding and hashing the worst values a
// 1 MiB request body can hold, each shape at the default budget, as a ratio to the named baseline
// `json` — JSON.parse of the same text, the floor every server pays for the body anyway. A shape over
// budget is refused before the expensive work: its row is the cost of the refusal.
// Run: `node --import tsx codec-budget.bench.ts`.
import { Codec, hashKey, isCompManagerError } from '@comp-manager/core'

const BODY = 1024 * 1024
const codec = new Codec()

function shapes(): Record<string, string> {
  const digits = codec.budget.maxBigIntDigits
  const bigintAtLimit = JSON.stringify([{ __type__: 'bigint', value: '7'.repeat(digits) }])
  const bigintOver = JSON.stringify([{ __type__: 'bigint', value: '7'.repeat(BODY - 64) }])
  const nodeCount = Math.floor(BODY / 2)
  const numbers = `[${Array.from({ length: nodeCount }, () => '1').join(',')}]`
  const tagged = JSON.stringify(
    Array.from({ length: Math.floor(BODY / 34) }, () => ({ __type__: 'bigint', value: '1' })),
  )
  let nested = '1'
  for (let i = 0; i < 500; i++) nested = `[${nested}]`
  const wide = JSON.stringify(
    Array.from({ length: Math.floor(BODY / 12) }, (_, i) => ({ [`k${i % 10}`]: i })),
  )
  return { bigintAtLimit, bigintOver, numbers, tagged, nested, wide }
}

function time(fn: () => void, rounds = 7): number {
  const samples: number[] = []
  for (let i = 0; i < rounds; i++) {
    const start = performance.now()
    fn()
    samples.push(performance.now() - start)
  }
  samples.sort((a, b) => a - b)
  return samples[Math.floor(rounds / 2)]!
}

const rows: string[][] = [['shape', 'bytes', 'json ms', 'decode+hash ms', 'ratio', 'outcome']]
for (const [name, text] of Object.entries(shapes())) {
  const json = time(() => JSON.parse(text))
  let outcome = 'accepted'
  const full = time(() => {
    try {
      const args = codec.decode(JSON.parse(text)) as unknown[]
      hashKey({ fn: 'f', args }, { codec })
    } catch (err) {
      if (!isCompManagerError(err)) throw err
      outcome = err.code
    }
  })
  rows.push([name, String(text.length), json.toFixed(2), full.toFixed(2), (full / json).toFixed(1), outcome])
}
for (const row of rows) console.log(row.map((cell) => cell.padEnd(16)).join(''))
