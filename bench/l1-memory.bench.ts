// @comp-manager/cache: how close the L1's `maxBytes` accounting is to real heap use (issue 12).
// Run: `node --expose-gc --import tsx l1-memory.bench.ts`.
//
// For each value shape, N decoded values (parse of the codec text, as the L1 holds them) are kept
// alive, and the heap growth (`process.memoryUsage().heapUsed` after a full GC, plus `arrayBuffers` for
// typed arrays) is compared with the sum of `estimateHeapBytes` and with the codec text's UTF-8 size
// (what `maxBytes` counted before). Baseline: the real heap growth. ratio = counted ÷ real (1.00× is exact).
import { estimateHeapBytes } from '@comp-manager/cache'
import { parse, stringify } from '@comp-manager/core'
import { check, formatRatio, printTable } from './harness.js'

const gc = (globalThis as { gc?: () => void }).gc
check(gc !== undefined, 'run with node --expose-gc')

const N = Number(process.env.BENCH_L1_N ?? 20_000)
const shapes: Record<string, (i: number) => unknown> = {
  'quote (rich, 0.6 KB)': (i) => ({
    sku: i,
    currency: 'EUR',
    at: new Date(Date.UTC(2025, 0, 1) + i),
    lines: Array.from({ length: 6 }, (_, k) => ({
      id: `line-${k}-${i}`,
      qty: k + 1,
      cents: BigInt(i * 100 + k),
    })),
    tags: new Set(['retail', `eu-${i % 7}`]),
  }),
  'rows (300 small objects)': (i) => ({
    rows: Array.from({ length: 300 }, (_, k) => ({ i: k + i, label: `row ${k}`, v: k * 1.5 + i })),
  }),
  'text (one 2 KB string)': (i) => ({ text: `${i}:${'lorem ipsum '.repeat(170)}` }),
  'numbers (1000 doubles)': (i) => Array.from({ length: 1000 }, (_, k) => k * 0.37 + i),
  'Map (200 entries)': (i) => new Map(Array.from({ length: 200 }, (_, k) => [`k${k}`, k + i] as const)),
  'Float64Array (4 KB)': (i) => new Float64Array(512).fill(i + 0.5),
}

function heap(): number {
  gc?.()
  gc?.()
  const m = process.memoryUsage()
  return m.heapUsed + m.arrayBuffers
}

heap()
const rows: string[][] = []
for (const [name, make] of Object.entries(shapes)) {
  const count = name.startsWith('rows') || name.startsWith('numbers') ? N / 10 : N
  // Warm-up (code compiled, inline caches and hidden classes made) before anything is counted.
  for (let i = 0; i < 200; i++) estimateHeapBytes(parse(stringify(make(i))))
  // Flat strings, as read from a store (a codec text can be a rope that parsing would flatten, freeing heap).
  let texts: string[] = Array.from({ length: count }, (_, i) =>
    Buffer.from(stringify(make(i)), 'utf8').toString('utf8'),
  )
  const before = heap()
  const kept: unknown[] = new Array(count)
  for (let i = 0; i < count; i++) kept[i] = parse(texts[i]!)
  const real = heap() - before
  let estimate = 0
  let text = 0
  for (let i = 0; i < count; i++) {
    estimate += estimateHeapBytes(kept[i])
    text += Buffer.byteLength(texts[i]!)
  }
  rows.push([
    name,
    String(count),
    `${(real / count).toFixed(0)} B`,
    `${(estimate / count).toFixed(0)} B`,
    formatRatio(estimate / real),
    `${(text / count).toFixed(0)} B`,
    formatRatio(text / real),
  ])
  kept.length = 0
  texts = []
  heap()
}
console.log('\nL1 maxBytes accounting: bytes per decoded value, counted ÷ real heap growth\n')
printTable(['shape', 'values', 'real heap', 'estimate', '× real', 'codec text (before)', '× real'], rows)
console.log(
  '\nThe L1 also counts L1_ENTRY_OVERHEAD (400 B) per entry for its own bookkeeping (entry object, key, LRU slots).',
)
