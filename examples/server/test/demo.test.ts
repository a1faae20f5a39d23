import t from 'tap'
import { factorize, invertHilbert, isPrime, MAX_FACTOR_INPUT, ratio } from '../src/index.js'

t.test('factorize: exact prime factors of BigInts up to 10^24', async (t) => {
  t.same(await factorize(1n), [])
  t.same(await factorize(2n), [2n])
  t.same(await factorize(360n), [2n, 2n, 2n, 3n, 3n, 5n])
  t.same(await factorize(2n ** 67n - 1n), [193707721n, 761838257287n])
  t.same(await factorize(1000000007n * 1000000009n), [1000000007n, 1000000009n])
  t.same(await factorize(MAX_FACTOR_INPUT), [...Array(24).fill(2n), ...Array(24).fill(5n)])
  const big = 999999999989n * 999999999959n // two 40-bit primes
  t.same(await factorize(big), [999999999959n, 999999999989n])
  await t.rejects(factorize(0n), RangeError)
  await t.rejects(factorize(MAX_FACTOR_INPUT + 1n), RangeError)
})

t.test('factorize reports progress as the share of bits factored', async (t) => {
  const seen: number[] = []
  const ctx = { progress: (fraction: number) => seen.push(fraction), signal: new AbortController().signal }
  await factorize(2n ** 67n - 1n, ctx as never)
  t.equal(seen.at(-1), 1)
  t.ok(
    seen.every((f, i) => f >= 0 && f <= 1 && (i === 0 || f >= seen[i - 1]!)),
    'monotonic, within 0..1',
  )
})

t.test('isPrime (deterministic below 3.3e24)', async (t) => {
  for (const p of [2n, 3n, 97n, 1000000007n, 761838257287n, 999999999989n]) t.ok(isPrime(p), `${p}`)
  for (const c of [1n, 4n, 561n, 3215031751n, 2n ** 67n - 1n]) t.notOk(isPrime(c), `${c}`)
})

t.test('invertHilbert: exact Fractions', async (t) => {
  const { determinant, inverse } = await invertHilbert(4)
  t.equal(ratio(determinant), '1/6048000')
  t.same(
    inverse.toArray().map((row) => (row as never[]).map(ratio)),
    [
      ['16', '-120', '240', '-140'],
      ['-120', '1200', '-2700', '1680'],
      ['240', '-2700', '6480', '-4200'],
      ['-140', '1680', '-4200', '2800'],
    ],
  )
  await t.rejects(invertHilbert(0), RangeError)
})
