import { Codec, defaultCodec, hashValue, parse, stringify } from '@comp-manager/core'
import t, { type Test } from 'tap'
import { createMathCodec, mathTypeNames, registerMathTypes } from '../src/index.js'
import { caught, codec, math, newMath, tagged } from './fixtures/math.js'

function malformed(tt: Test, type: string, value: unknown, label: string): Error {
  const err = caught(() => codec.decode(tagged(type, value)))
  tt.equal(err.code, 'CM_ERR_MALFORMED', `${type} ${label}: CM_ERR_MALFORMED (${err.message})`)
  tt.equal(err.details?.type, type, `${type} ${label}: details.type`)
  return err
}

t.test('malformed Fractions', async (t) => {
  malformed(t, 'mathjs.Fraction', { n: '1.5', d: '2' }, 'non-integer numerator')
  malformed(t, 'mathjs.Fraction', { n: 1, d: '2' }, 'numerator as a number')
  malformed(t, 'mathjs.Fraction', { n: '01', d: '2' }, 'leading zero')
  malformed(t, 'mathjs.Fraction', { n: '1', d: '0' }, 'zero denominator')
  malformed(t, 'mathjs.Fraction', { n: '1', d: '-2' }, 'negative denominator')
  malformed(t, 'mathjs.Fraction', { n: '1' }, 'missing denominator')
  malformed(t, 'mathjs.Fraction', { n: '1', d: '2', s: '-1' }, 'unknown key')
  malformed(t, 'mathjs.Fraction', '1/2', 'a string')
  malformed(t, 'mathjs.Fraction', ['1', '2'], 'an array')
  malformed(t, 'mathjs.Fraction', null, 'null')
  malformed(t, 'mathjs.Fraction', { n: '1 1/2', d: '1' }, 'fraction.js syntax')
  t.equal(
    caught(() => codec.parse('{"__type__":"mathjs.Fraction","value":{"n":"x","d":"1"}}')).code,
    'CM_ERR_MALFORMED',
  )
  // Not in lowest terms: accepted, reduced (the canonical form is re-derived from the value).
  t.equal(String(codec.decode(tagged('mathjs.Fraction', { n: '2', d: '4' }))), '0.5')
})

t.test('malformed Complex and BigNumber', async (t) => {
  malformed(t, 'mathjs.Complex', { re: '1', im: 0 }, 're as a string')
  malformed(t, 'mathjs.Complex', { re: 1 }, 'missing im')
  malformed(t, 'mathjs.BigNumber', { value: '0x10', precision: 64 }, 'hexadecimal')
  malformed(t, 'mathjs.BigNumber', { value: 'one', precision: 64 }, 'not a number')
  malformed(t, 'mathjs.BigNumber', { value: 1.5, precision: 64 }, 'value as a number')
  malformed(t, 'mathjs.BigNumber', { value: '1', precision: 0 }, 'precision 0')
  malformed(t, 'mathjs.BigNumber', { value: '1', precision: 1.5 }, 'fractional precision')
  malformed(t, 'mathjs.BigNumber', { value: '1', precision: 2e9 }, 'precision over decimal.js maximum')
  malformed(t, 'mathjs.BigNumber', { precision: 64 }, 'missing value')
})

t.test('malformed matrices', async (t) => {
  malformed(t, 'mathjs.DenseMatrix', { size: [2, 2], data: [[1, 2], [3]] }, 'a short row')
  malformed(t, 'mathjs.DenseMatrix', { size: [2, 2], data: [[1, 2]] }, 'a missing row')
  malformed(t, 'mathjs.DenseMatrix', { size: [2], data: [[1], [2]] }, 'deeper than size')
  malformed(t, 'mathjs.DenseMatrix', { size: [1, 2], data: [1, 2] }, 'shallower than size')
  malformed(t, 'mathjs.DenseMatrix', { size: [], data: [] }, 'no dimension')
  malformed(t, 'mathjs.DenseMatrix', { size: [-1], data: [] }, 'negative size')
  malformed(t, 'mathjs.DenseMatrix', { size: [1.5], data: [] }, 'fractional size')
  malformed(t, 'mathjs.DenseMatrix', { size: [1], data: [1], datatype: 7 }, 'datatype not a string')
  malformed(t, 'mathjs.DenseMatrix', { data: [1] }, 'no size')
  malformed(t, 'mathjs.SparseMatrix', { size: [2, 2], ptr: [0, 1], index: [0], values: [1] }, 'ptr too short')
  malformed(
    t,
    'mathjs.SparseMatrix',
    { size: [2, 2], ptr: [0, 1, 2], index: [0], values: [1] },
    'ptr past the end',
  )
  malformed(
    t,
    'mathjs.SparseMatrix',
    { size: [2, 2], ptr: [0, 1, 1], index: [5], values: [1] },
    'row out of range',
  )
  malformed(
    t,
    'mathjs.SparseMatrix',
    { size: [2, 1], ptr: [0, 2], index: [1, 1], values: [1, 2] },
    'row stored twice',
  )
  malformed(
    t,
    'mathjs.SparseMatrix',
    { size: [2, 2], ptr: [0, 2, 1], index: [0, 1], values: [1, 2] },
    'ptr decreasing',
  )
  malformed(
    t,
    'mathjs.SparseMatrix',
    { size: [2, 2], ptr: [0, 1, 1], index: [0], values: [1, 2] },
    'values too long',
  )
  malformed(
    t,
    'mathjs.SparseMatrix',
    { size: [2, 2, 2], ptr: [0, 0, 0], index: [], values: [] },
    'three dimensions',
  )
  malformed(
    t,
    'mathjs.SparseMatrix',
    { size: [1, 1], ptr: [0, 1], index: [0], values: [[1]] },
    'an array entry',
  )
  // Rows out of order but distinct: accepted, put in order.
  const m = codec.decode(
    tagged('mathjs.SparseMatrix', { size: [3, 1], ptr: [0, 2], index: [2, 0], values: [20, 0.5] }),
  ) as { get(i: number[]): unknown }
  t.equal(m.get([0, 0]), 0.5)
  t.equal(m.get([2, 0]), 20)
})

t.test('malformed Units', async (t) => {
  const err = malformed(
    t,
    'mathjs.Unit',
    { value: 1, unit: 'furlongz', fixPrefix: false, skipSimp: true },
    'unknown unit',
  )
  t.ok(err.cause instanceof SyntaxError, "mathjs's own error is the cause")
  t.match(err.message, /furlongz/)
  malformed(t, 'mathjs.Unit', { value: 1, unit: 'm/', fixPrefix: false, skipSimp: true }, 'unit syntax error')
  malformed(
    t,
    'mathjs.Unit',
    { value: 1, unit: '3 m', fixPrefix: false, skipSimp: true },
    'unit string with a value',
  )
  malformed(
    t,
    'mathjs.Unit',
    { value: '1', unit: 'm', fixPrefix: false, skipSimp: true },
    'value as a string',
  )
  malformed(t, 'mathjs.Unit', { value: 1, unit: 7, fixPrefix: false, skipSimp: true }, 'unit as a number')
  malformed(
    t,
    'mathjs.Unit',
    { value: 1, unit: 'm', fixPrefix: 'yes', skipSimp: true },
    'fixPrefix not a boolean',
  )
  malformed(
    t,
    'mathjs.Unit',
    { value: 1, unit: 'm', fixPrefix: false, skipSimp: true, normalized: 'x' },
    'normalized of another type',
  )
  malformed(
    t,
    'mathjs.Unit',
    { value: null, unit: 'm', fixPrefix: false, skipSimp: true, normalized: 1 },
    'normalized without value',
  )
  malformed(t, 'mathjs.Unit', { unit: 'm' }, 'no value key')
  // mathjs's own toJSON shape (without the mathjs key) is accepted.
  const u = codec.decode(tagged('mathjs.Unit', { value: 2, unit: 'cm' })) as {
    toString(): string
    fixPrefix: boolean
  }
  t.equal(u.toString(), '2 cm')
  t.equal(u.fixPrefix, false)
})

t.test('a unit known only to another instance', async (t) => {
  const custom = newMath()
  custom.createUnit('smoot', '1.7018 m')
  const smoots = custom.unit(3, 'smoot')
  const customCodec = createMathCodec(custom)
  t.equal(
    customCodec.canonical(customCodec.parse(customCodec.stringify(smoots))),
    customCodec.canonical(smoots),
    'the instance that knows it round-trips it',
  )
  const enc = caught(() => codec.encode(smoots))
  t.equal(enc.code, 'CM_ERR_UNSUPPORTED_TYPE', 'encoding with an instance that lacks the unit')
  t.match(enc.message, /mathjs\.Unit/)
  const dec = caught(() => codec.parse(customCodec.stringify(smoots)))
  t.equal(dec.code, 'CM_ERR_MALFORMED', 'decoding with an instance that lacks the unit')
  t.match(dec.message, /createUnit/)
})

t.test('unregistered mathjs values', async (t) => {
  const fresh = new Codec()
  for (const value of [
    math.fraction(1, 2),
    math.complex(1, 2),
    math.bignumber(1),
    math.matrix([1]),
    math.sparse([[1]]),
    math.unit('1 m'),
    [math.fraction(1, 3)],
  ]) {
    const err = caught(() => fresh.encode(value))
    t.equal(err.code, 'CM_ERR_UNSUPPORTED_TYPE', err.message)
    t.equal(caught(() => hashValue(value, { codec: fresh })).code, 'CM_ERR_UNSUPPORTED_TYPE')
  }
  t.equal(
    caught(() => fresh.decode(tagged('mathjs.Fraction', { n: '1', d: '2' }))).code,
    'CM_ERR_UNKNOWN_TYPE',
  )
  t.equal(
    caught(() => stringify(math.fraction(1, 2))).code,
    'CM_ERR_UNSUPPORTED_TYPE',
    'not on the default codec yet',
  )
})

t.test('objects mathjs guards would choke on get the codec error', async (t) => {
  const odd = Object.create(Object.create(null)) as object
  t.throws(() => math.isUnit(odd), TypeError, "mathjs's own guard throws on it")
  t.equal(caught(() => codec.encode(odd)).code, 'CM_ERR_UNSUPPORTED_TYPE')
})

t.test('registration', async (t) => {
  const math2 = newMath()
  const c = new Codec()
  t.equal(registerMathTypes(math, c), c, 'returns the codec')
  t.same(c.registeredTypes(), [...mathTypeNames])
  t.equal(registerMathTypes(math, c), c, 'again with the same instance: a no-op')
  t.same(c.registeredTypes(), [...mathTypeNames])
  const other = caught(() => registerMathTypes(math2, c))
  t.equal(other.code, 'CM_ERR_TYPE_REGISTERED', 'another instance on the same codec')

  // A name taken by other code: refused, and nothing is registered.
  const taken = new Codec().registerType({
    name: 'mathjs.Unit',
    is: () => false,
    encode: () => 0,
    decode: () => 0,
  })
  const err = caught(() => registerMathTypes(math, taken))
  t.equal(err.code, 'CM_ERR_TYPE_REGISTERED')
  t.same(err.details?.types, ['mathjs.Unit'])
  t.same(taken.registeredTypes(), ['mathjs.Unit'], 'no partial registration')

  // withLimits copies the types (they keep working) but not the registration record.
  const copy = c.withLimits({ maxDepth: 64 })
  t.equal(String(copy.parse(copy.stringify(math.fraction(1, 3)))), '0.(3)')
  t.equal(caught(() => registerMathTypes(math, copy)).code, 'CM_ERR_TYPE_REGISTERED')

  t.equal(caught(() => registerMathTypes({} as never, new Codec())).code, 'CM_ERR_INVALID_ARGUMENT')
  t.equal(caught(() => registerMathTypes(null as never)).code, 'CM_ERR_INVALID_ARGUMENT')
  t.equal(caught(() => registerMathTypes(math, {} as never)).code, 'CM_ERR_INVALID_ARGUMENT')
  const lean = { ...math, Unit: undefined }
  t.match(caught(() => registerMathTypes(lean as never, new Codec())).message, /Unit/)
})

t.test('default codec', async (t) => {
  t.equal(registerMathTypes(math), defaultCodec, 'registers on the default codec')
  t.equal(registerMathTypes(math), defaultCodec, 'twice: no-op')
  const back = parse(stringify(math.fraction(1, 3)))
  t.ok(math.isFraction(back), "core's parse/stringify now carry mathjs values")
  t.equal(hashValue(math.fraction(2, 6)), hashValue(math.fraction(1, 3)))
})

t.test('createMathCodec takes limits', async (t) => {
  const shallow = createMathCodec(math, { maxDepth: 3 })
  t.equal(shallow.maxDepth, 3)
  t.ok(math.isFraction(shallow.parse(shallow.stringify(math.fraction(1, 2)))))
  t.equal(caught(() => shallow.encode(math.matrix([[[1]]]))).code, 'CM_ERR_MAX_DEPTH')
  t.not(createMathCodec(math), createMathCodec(math), 'a fresh codec each time')
})
