import type { BigNumber, Complex, Fraction, Matrix, Unit } from 'mathjs'
import * as defaultMath from 'mathjs'
import t, { type Test } from 'tap'
import { createMathCodec } from '../src/index.js'
import { canon, classesOf, codec, math, newMath, trip } from './fixtures/math.js'

/** The decoded value is the same exact value: same canonical text, and mathjs agrees. */
function sameExact(tt: Test, back: unknown, orig: unknown, label = ''): void {
  tt.equal(canon(back), canon(orig), `${label} canonical form kept`)
  tt.equal(math.typeOf(back), math.typeOf(orig), `${label} type kept (${math.typeOf(orig)})`)
}

t.test('Fraction', async (t) => {
  const values: Fraction[] = [
    math.fraction(1, 2),
    math.fraction(-3, 4),
    math.fraction(0),
    math.fraction('-0'),
    math.fraction(7),
    math.fraction('123456789012345678901234567890123/98765432109876543210987'),
    math.fraction('-98765432109876543210987654321/3'),
    math.divide(math.fraction(1, 3), math.fraction(-7, 11)) as Fraction,
  ]
  for (const f of values) {
    const back = trip(f)
    t.ok(math.isFraction(back), `${f} comes back a Fraction`)
    t.ok(math.equal(back, f), `${f} equal`)
    t.equal(back.s, f.s)
    t.equal(back.n, f.n)
    t.equal(back.d, f.d)
    sameExact(t, back, f, String(f))
  }
  t.same(codec.encode(math.fraction(-2, 4)), { __type__: 'mathjs.Fraction', value: { n: '-1', d: '2' } })
})

t.test('Complex', async (t) => {
  const values: Complex[] = [
    math.complex(1, 2),
    math.complex(0.5, -0),
    math.complex(-0, 0),
    math.complex(Number.NaN, Number.POSITIVE_INFINITY),
    math.complex(Number.NEGATIVE_INFINITY, 1e-300),
    math.sqrt(math.complex(-4, 0)) as Complex,
  ]
  for (const c of values) {
    const back = trip(c)
    t.ok(math.isComplex(back), `${c} comes back a Complex`)
    t.ok(Object.is(back.re, c.re) && Object.is(back.im, c.im), `${c.re}, ${c.im} parts kept exactly`)
    sameExact(t, back, c)
  }
  t.ok(math.equal(trip(math.complex(3, 4)), math.complex(3, 4)))
})

t.test('BigNumber keeps every digit', async (t) => {
  const texts = [
    '1.5',
    '1.50',
    '0',
    '-0',
    '-12.0625',
    '1e-7',
    '1.234e-40',
    '123456789012345678901234567890.123456789',
    '1e+1000',
    '-9.999e+999999',
    // 80 significant digits: more than the precision (64), kept exactly all the same.
    '3.1415926535897932384626433832795028841971693993751058209749445923078164062862089',
    'NaN',
    'Infinity',
    '-Infinity',
  ]
  for (const text of texts) {
    const x = math.bignumber(text)
    const back = trip(x)
    t.ok(math.isBigNumber(back), `${text} comes back a BigNumber`)
    t.equal(back.toString(), x.toString(), `${text} same value`)
    t.equal(back.isNegative(), x.isNegative(), `${text} same sign`)
    t.equal(back.constructor, classesOf(math).BigNumber, `${text} is of the instance's class`)
    if (!x.isNaN()) t.ok(math.equal(back, x), `${text} equal`)
    sameExact(t, back, x, text)
  }
  t.same(codec.encode(math.bignumber('1.50')), {
    __type__: 'mathjs.BigNumber',
    value: { value: '1.5', precision: 64 },
  })
  t.equal((codec.encode(math.bignumber('-0')) as { value: { value: string } }).value.value, '-0')
})

t.test('BigNumber keeps its precision', async (t) => {
  const math20 = newMath({ precision: 20 })
  const codec20 = createMathCodec(math20)
  const x = math20.bignumber(2)
  t.same(codec20.encode(x), { __type__: 'mathjs.BigNumber', value: { value: '2', precision: 20 } })

  t.equal(trip(x, codec20).constructor, classesOf(math20).BigNumber, 'same precision: the instance class')

  // Decoded by a codec of a precision-64 instance: the value still computes with 20 digits.
  const back = trip(x, codec) as BigNumber
  t.ok(math.isBigNumber(back))
  t.equal(math.typeOf(back), 'BigNumber')
  t.ok(back instanceof classesOf(math).BigNumber, 'inherits the instance BigNumber prototype')
  t.equal((back.constructor as unknown as { precision: number }).precision, 20)
  t.equal(math.sqrt(back).toString(), math20.sqrt(x).toString(), 'sqrt rounds to 20 digits as before')
  t.equal(math.sqrt(back).toString(), '1.4142135623730950488')
  t.equal(canon(back), canon(x, codec20), 're-encodes identically')
  t.equal(trip(x, codec).constructor, back.constructor, 'one class per precision, reused')

  // Without a precision (e.g. written by hand or by another tool), the instance's is used.
  const plain = codec.decode({ __type__: 'mathjs.BigNumber', value: { value: '0.2' } }) as BigNumber
  t.equal(plain.constructor, classesOf(math).BigNumber)
  t.equal(plain.toString(), '0.2')
})

t.test('DenseMatrix', async (t) => {
  const cases: Array<[string, Matrix]> = [
    [
      'numbers',
      math.matrix([
        [1, 2],
        [3, 4],
      ]),
    ],
    [
      '3-D',
      math.matrix([
        [
          [1, 2],
          [3, 4],
        ],
        [
          [5, 6],
          [7, 8],
        ],
      ]),
    ],
    ['with datatype', math.matrix([1.5, -0, Number.MAX_VALUE], 'dense', 'number')],
    ['with NaN', math.matrix([Number.NaN, Number.NEGATIVE_INFINITY])],
    [
      'of Fractions',
      math.matrix([
        [math.fraction(1, 3), math.fraction(-2, 5)],
        [math.fraction(0), math.fraction(7, 2)],
      ]),
    ],
    ['of Complex', math.matrix([math.complex(1, -1), math.complex(0, -0), math.complex(1e-300, 2)])],
    ['of BigNumbers', math.matrix([math.bignumber('0.1'), math.bignumber('-1e-30')], 'dense', 'BigNumber')],
    ['mixed entries', math.matrix([math.fraction(1, 2), 2, math.bignumber(3), math.complex(4, 5)])],
    ['of Units', math.matrix([math.unit('1 km'), math.unit(math.fraction(1, 3), 'h')] as never)],
    ['empty', math.matrix([])],
    ['0 × 3', math.zeros(0, 3) as Matrix],
    ['2 × 0', math.zeros(2, 0) as Matrix],
    [
      'inverse of a Fraction matrix',
      math.inv(
        math.matrix([
          [math.fraction(2), math.fraction(1)],
          [math.fraction(1), math.fraction(3)],
        ]),
      ),
    ],
  ]
  for (const [label, m] of cases) {
    const back = trip(m)
    t.ok(math.isDenseMatrix(back), `${label}: comes back a DenseMatrix`)
    t.same(back.size(), m.size(), `${label}: size`)
    t.equal(back.datatype(), m.datatype(), `${label}: datatype`)
    sameExact(t, back, m, label)
    // deepEqual knows neither Units nor NaN (NaN ≠ NaN); the canonical check above covers them.
    if (label !== 'of Units' && label !== 'with NaN') t.ok(math.deepEqual(back, m), `${label}: deepEqual`)
  }
  const byLabel = new Map(cases)
  const fractions = trip(byLabel.get('of Fractions')!)
  t.ok(math.isFraction(fractions.get([0, 1])), 'entries come back as Fractions')
  t.ok(math.equal(fractions.get([0, 1]), math.fraction(-2, 5)))
  const complex = trip(byLabel.get('of Complex')!)
  t.ok(math.isComplex(complex.get([0])), 'entries come back as Complex')
})

t.test('SparseMatrix', async (t) => {
  const pattern = new (classesOf(math).SparseMatrix)({
    index: [0, 2],
    ptr: [0, 1, 1, 2],
    size: [3, 3],
  })
  const cases: Array<[string, Matrix]> = [
    [
      'numbers',
      math.sparse([
        [1, 0],
        [0, 4],
      ]),
    ],
    [
      'empty rows and columns',
      math.sparse([
        [0, 0, 0, 0],
        [0, 5, 0, 0],
        [0, 0, 0, 0],
        [7, 0, 0, 0],
      ]),
    ],
    [
      'all zero',
      math.sparse([
        [0, 0],
        [0, 0],
      ]),
    ],
    ['0 × 0', math.sparse()],
    [
      'with datatype',
      math.sparse(
        [
          [0, 2],
          [3, 0],
        ],
        'number',
      ),
    ],
    [
      'of Fractions',
      math.sparse([
        [math.fraction(1, 2), 0],
        [0, math.fraction(-7, 3)],
      ]),
    ],
    [
      'of Complex',
      math.sparse([
        [math.complex(0, 1), 0],
        [0, math.complex(2, -0)],
      ]),
    ],
    ['pattern (no values)', pattern],
  ]
  for (const [label, m] of cases) {
    const back = trip(m)
    t.ok(math.isSparseMatrix(back), `${label}: comes back a SparseMatrix`)
    t.same(back.size(), m.size(), `${label}: size`)
    t.equal(back.datatype(), m.datatype(), `${label}: datatype`)
    t.equal(back.density(), m.density(), `${label}: same stored entries`)
    sameExact(t, back, m, label)
    if (label !== 'pattern (no values)') t.ok(math.deepEqual(back, m), `${label}: deepEqual`)
  }
  t.same(codec.encode(new Map(cases).get('empty rows and columns')!), {
    __type__: 'mathjs.SparseMatrix',
    value: { size: [4, 4], ptr: [0, 1, 2, 2, 2], index: [3, 1], values: [7, 5] },
  })
  t.same((trip(pattern) as unknown as { toJSON(): { values: unknown } }).toJSON().values, undefined)
  t.ok(
    math.isFraction(trip(new Map(cases).get('of Fractions')!).get([1, 1])),
    'entries come back as Fractions',
  )

  // An explicitly stored zero is part of the matrix's structure, and is kept.
  const stored = math.multiply(math.sparse([[1, 1]]), math.sparse([[1], [-1]])) as Matrix
  t.equal(stored.density(), 1)
  t.equal(trip(stored).density(), 1, 'explicit zero kept')
})

t.test('Unit', async (t) => {
  const cases: Array<[string, Unit]> = [
    ['number', math.unit(5, 'km')],
    ['Fraction value', math.unit(math.fraction(1, 3), 'km')],
    ['BigNumber value', math.unit(math.bignumber('1.25'), 'mm')],
    ['Complex value', math.unit(math.complex(1, 2), 'V')],
    ['valueless', math.unit('km')],
    ['derived with prefixes', math.unit('5 kN m/s^2')],
    ['binary prefix', math.unit('5 Kib')],
    ['power', math.unit('3 cm^3')],
    ['negative power', math.divide(1, math.unit('2 ms')) as Unit],
    ['fractional power', math.unit('1 m^0.5')],
    ['fixPrefix (after to)', math.unit(3, 'm').to('cm')],
    ['automatic simplification on', math.multiply(math.unit('2 m'), math.unit('3 s')) as Unit],
    ['offset unit', math.unit(20, 'degC')],
    ['converted offset unit', math.unit(10, 'degF').to('degC')],
    ['no units', new math.Unit(5 as never, undefined as never)],
    ['negative zero', math.unit(-0, 'm')],
    // Floating point: mathjs's own toJSON/fromJSON would not give back the same internal value here.
    ['inexact in floating point', math.unit(0.3937986840645258, 'mi/h')],
    [
      'BigNumber with more digits than precision in base units',
      math.unit(math.bignumber('0.1234567890123456789012345678901234567890123456789012345678901237'), 'mile'),
    ],
  ]
  for (const [label, u] of cases) {
    const back = trip(u)
    t.ok(math.isUnit(back), `${label}: comes back a Unit`)
    t.equal(back.formatUnits(), u.formatUnits(), `${label}: units (${u.formatUnits()})`)
    t.equal(back.toString(), u.toString(), `${label}: prints the same (${u})`)
    t.equal(back.fixPrefix, u.fixPrefix, `${label}: fixPrefix`)
    t.equal(back.skipAutomaticSimplification, u.skipAutomaticSimplification, `${label}: skipSimp`)
    t.equal(math.typeOf(back.value), math.typeOf(u.value), `${label}: value type ${math.typeOf(u.value)}`)
    t.equal(canon(back.value), canon(u.value), `${label}: the internal value is exactly the same`)
    t.same(back.dimensions, u.dimensions, `${label}: dimensions`)
    if (u.value !== null) t.ok(back.equals(u), `${label}: equals`)
    sameExact(t, back, u, label)
  }
  const third = trip(math.unit(math.fraction(1, 3), 'km'))
  t.ok(math.isFraction(third.toNumeric('km')), 'a Fraction-valued Unit stays exact')
  t.equal((third.toNumeric('m') as Fraction).toFraction(), '1000/3')
  t.same(codec.encode(math.unit(math.fraction(1, 3), 'km')), {
    __type__: 'mathjs.Unit',
    value: {
      value: { __type__: 'mathjs.Fraction', value: { n: '1', d: '3' } },
      unit: 'km',
      fixPrefix: false,
      skipSimp: true,
    },
  })
  const inexact = codec.encode(math.unit(0.3937986840645258, 'mi/h')) as { value: Record<string, unknown> }
  t.ok('normalized' in inexact.value, 'the internal value is stored when it cannot be recomputed')
  t.notOk('normalized' in (codec.encode(math.unit(5, 'km')) as { value: object }).value, 'and only then')
})

t.test('nested inside arrays, objects, Maps and Sets', async (t) => {
  const value = {
    result: [math.fraction(1, 3), math.bignumber('2.5'), math.complex(0, 1)],
    byName: new Map<unknown, unknown>([
      ['A', math.matrix([[math.fraction(1, 2)]])],
      [math.fraction(1, 7), math.sparse([[0, math.complex(1, 1)]])],
    ]),
    units: new Set([math.unit('1 km'), math.unit(math.fraction(1, 2), 'h')]),
    deep: { deeper: [[math.unit(math.bignumber('9.81'), 'm/s^2')]] },
  }
  const back = trip(value)
  t.equal(canon(back), canon(value), 'same canonical form')
  t.ok(math.isFraction(back.result[0]))
  t.ok(math.isBigNumber(back.result[1]))
  t.ok(math.isComplex(back.result[2]))
  const keys = [...back.byName.keys()]
  t.ok(math.isFraction(keys[1]), 'a Fraction as a Map key')
  t.ok(math.isDenseMatrix(back.byName.get('A')))
  t.ok(math.isSparseMatrix([...back.byName.values()][1]))
  t.ok([...back.units].every((u) => math.isUnit(u)))
  t.ok(math.isBigNumber((back.deep.deeper[0]![0] as Unit).toNumeric('m/s^2')))
})

t.test('values of any mathjs instance; decoded through the registered one', async (t) => {
  const other = newMath()
  const fromDefault = [
    defaultMath.fraction(1, 3),
    defaultMath.bignumber('1.5'),
    defaultMath.matrix([[1, 2]]),
    defaultMath.sparse([[0, 1]]),
    defaultMath.unit('2 km'),
  ]
  for (const v of fromDefault) {
    const back = trip(v)
    t.equal(canon(back), canon(v))
  }
  const otherCodec = createMathCodec(other)
  t.ok(trip(math.matrix([[1]]), otherCodec) instanceof classesOf(other).DenseMatrix)
  t.ok(trip(math.unit('1 m'), otherCodec) instanceof other.Unit)
  t.equal(trip(math.bignumber(1), otherCodec).constructor, classesOf(other).BigNumber)
  t.notOk(trip(math.unit('1 m'), otherCodec) instanceof math.Unit, 'not the source instance class')

  // The default instance (`import * as math from 'mathjs'`) registers like any other.
  const defaultCodec = createMathCodec(defaultMath)
  const back = trip(math.unit(math.fraction(1, 3), 'km'), defaultCodec)
  t.ok(back instanceof defaultMath.Unit)
  t.ok(defaultMath.isFraction(back.toNumeric('km')))
})

t.test('the encoded tree and the matrix never share arrays', async (t) => {
  const m = math.matrix([
    [1, 2],
    [3, 4],
  ])
  const tree = codec.encode(m)
  const text = JSON.stringify(tree)
  m.set([0, 0], 99)
  t.equal(JSON.stringify(tree), text, 'changing the matrix leaves the encoded tree alone')
  const back = codec.decode(tree) as Matrix
  back.set([1, 1], -1)
  t.equal(JSON.stringify(tree), text, 'changing the decoded matrix leaves the tree alone')

  const s = math.sparse([
    [1, 0],
    [0, 2],
  ])
  const sparseTree = codec.encode(s)
  const sparseText = JSON.stringify(sparseTree)
  s.set([0, 1], 5)
  t.equal(JSON.stringify(sparseTree), sparseText)
  ;(codec.decode(sparseTree) as Matrix).set([1, 0], 3)
  t.equal(JSON.stringify(sparseTree), sparseText)
})
