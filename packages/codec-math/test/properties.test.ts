import fc from 'fast-check'
import type { Complex, Fraction, Matrix, Unit } from 'mathjs'
import t from 'tap'
import { canon, key, math, trip } from './fixtures/math.js'

const runs = { numRuns: 300 }

const fraction = (n: bigint, d: bigint): Fraction => math.fraction(n as never, d as never)
const bigIntArb = fc.bigInt({ min: -(2n ** 200n), max: 2n ** 200n })
const nonZero = bigIntArb.filter((d) => d !== 0n)

t.test('Fraction: round trip is exact', async (t) => {
  fc.assert(
    fc.property(bigIntArb, nonZero, (n, d) => {
      const f = fraction(n, d)
      const back = trip(f)
      return (
        math.isFraction(back) &&
        back.s === f.s &&
        back.n === f.n &&
        back.d === f.d &&
        canon(back) === canon(f)
      )
    }),
    runs,
  )
  t.pass('300 random fractions with numerators and denominators up to 2^200')
})

t.test('Fraction: equal values, equal keys, whatever the spelling', async (t) => {
  fc.assert(
    fc.property(
      bigIntArb,
      nonZero,
      nonZero,
      (n, d, k) => key(fraction(n * k, d * k)) === key(fraction(n, d)),
    ),
    runs,
  )
  t.pass('n/d and (n·k)/(d·k) share a key')
})

t.test('Fraction: same key exactly when mathjs says equal', async (t) => {
  const small = fc.bigInt({ min: -12n, max: 12n })
  const smallNonZero = small.filter((d) => d !== 0n)
  fc.assert(
    fc.property(small, smallNonZero, small, smallNonZero, (a, b, c, d) => {
      const x = fraction(a, b)
      const y = fraction(c, d)
      return (key(x) === key(y)) === math.equal(x, y)
    }),
    { numRuns: 1000 },
  )
  t.pass('1000 pairs from a small domain (many equal pairs)')
})

/** Decimal strings, with optional trailing zeros and exponents: many spellings of few values. */
const decimalArb = fc
  .record({
    negative: fc.boolean(),
    int: fc.stringMatching(/^[0-9]{1,3}$/),
    frac: fc.stringMatching(/^[0-9]{0,3}$/),
    zeros: fc.nat(3),
    exp: fc.integer({ min: -30, max: 30 }),
    useExp: fc.boolean(),
  })
  .map(({ negative, int, frac, zeros, exp, useExp }) => {
    const body = `${int}${frac || zeros ? '.' : ''}${frac}${'0'.repeat(zeros)}`
    return `${negative ? '-' : ''}${body}${useExp ? `e${exp}` : ''}`
  })

t.test('BigNumber: round trip is exact; same key exactly when the values are identical', async (t) => {
  fc.assert(
    fc.property(decimalArb, decimalArb, (a, b) => {
      const x = math.bignumber(a)
      const y = math.bignumber(b)
      const back = trip(x)
      const identical = x.eq(y) && x.isNegative() === y.isNegative()
      return (
        math.isBigNumber(back) &&
        back.eq(x) &&
        back.isNegative() === x.isNegative() &&
        canon(back) === canon(x) &&
        (key(x) === key(y)) === identical
      )
    }),
    { numRuns: 1000 },
  )
  t.pass('1000 pairs of decimal spellings')
})

t.test('Complex: every pair of doubles survives (-0, NaN, ±Infinity included)', async (t) => {
  fc.assert(
    fc.property(fc.double(), fc.double(), (re, im) => {
      const back = trip(math.complex(re, im)) as Complex
      return math.isComplex(back) && Object.is(back.re, re) && Object.is(back.im, im)
    }),
    runs,
  )
  t.pass('300 random complex numbers')
})

const units = [
  'm',
  'km',
  'mi/h',
  'kN m/s^2',
  'degF',
  'inch^2',
  'kWh',
  'mmHg',
  'cup',
  'psi',
  'Kib/s',
  'ms^-1',
  'lbf ft',
]

t.test('Unit: the internal value survives exactly (number values)', async (t) => {
  fc.assert(
    fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(...units), (x, unit) => {
      const u = math.unit(x, unit)
      const back = trip(u) as Unit
      return (
        Object.is(back.value, u.value) && back.formatUnits() === u.formatUnits() && canon(back) === canon(u)
      )
    }),
    { numRuns: 1000 },
  )
  t.pass('1000 random doubles in 13 units')
})

t.test('Unit: Fraction values stay Fractions and exact', async (t) => {
  fc.assert(
    fc.property(bigIntArb, nonZero, fc.constantFrom(...units.filter((u) => u !== 'degF')), (n, d, unit) => {
      const u = math.unit(fraction(n, d), unit)
      const back = trip(u) as Unit
      return math.isFraction(back.value) && math.equal(back.value, u.value) && canon(back) === canon(u)
    }),
    runs,
  )
  t.pass('300 random Fraction-valued units')
})

const rowsArb = (entry: fc.Arbitrary<unknown>) =>
  fc
    .tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }))
    .chain(([r, c]) =>
      fc.array(fc.array(entry, { minLength: c, maxLength: c }), { minLength: r, maxLength: r }),
    )

t.test('DenseMatrix: round trip, and one key per content', async (t) => {
  const entry = fc.oneof(
    fc.integer({ min: -3, max: 3 }),
    fc
      .tuple(fc.integer({ min: -3, max: 3 }), fc.integer({ min: 1, max: 3 }))
      .map(([n, d]) => math.fraction(n, d)),
  )
  fc.assert(
    fc.property(rowsArb(entry), rowsArb(entry), (a, b) => {
      const x = math.matrix(a as never) as Matrix
      const y = math.matrix(b as never) as Matrix
      const back = trip(x)
      const sameContent = canon(a) === canon(b)
      return (
        math.isDenseMatrix(back) &&
        canon(back) === canon(x) &&
        key(math.matrix(math.clone(a) as never)) === key(x) &&
        (key(x) === key(y)) === sameContent
      )
    }),
    runs,
  )
  t.pass('300 pairs of small matrices of integers and Fractions')
})

t.test('SparseMatrix: round trip, and the same key however it was built', async (t) => {
  const entry = fc.oneof(
    { weight: 3, arbitrary: fc.constant(0) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 9 }) },
  )
  fc.assert(
    fc.property(rowsArb(entry), (rows) => {
      const s = math.sparse(rows as number[][])
      const back = trip(s)
      const bySet = math.sparse()
      bySet.resize([rows.length, rows[0]!.length])
      // Set the entries in reverse order.
      for (let i = rows.length - 1; i >= 0; i--) {
        for (let j = rows[i]!.length - 1; j >= 0; j--) if (rows[i]![j] !== 0) bySet.set([i, j], rows[i]![j])
      }
      return (
        math.isSparseMatrix(back) &&
        Boolean(math.deepEqual(back, s)) &&
        canon(back) === canon(s) &&
        key(bySet) === key(s) &&
        key(math.transpose(math.transpose(s))) === key(s)
      )
    }),
    runs,
  )
  t.pass('300 random sparse matrices')
})
