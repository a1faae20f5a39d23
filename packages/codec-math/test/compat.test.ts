// The supported mathjs majors (peer range >=13 <16), installed side by side as mathjs-13 and mathjs-14.
// mathjs 13 uses fraction.js 4 (numbers), 14 and 15 fraction.js 5 (BigInt).
import * as m15 from 'mathjs'
import * as m13 from 'mathjs-13'
import * as m14 from 'mathjs-14'
import t from 'tap'
import { createMathCodec } from '../src/index.js'

// biome-ignore lint/suspicious/noExplicitAny: three mathjs majors with different typings, driven alike.
type AnyMath = any

const versions: Array<[string, AnyMath]> = [
  [`mathjs ${m13.version}`, m13.create(m13.all!)],
  [`mathjs ${m14.version}`, m14.create(m14.all!)],
  [`mathjs ${m15.version}`, m15.create(m15.all!)],
]

/** The same values, built the same way with each version. */
function samples(math: AnyMath): Array<[string, unknown]> {
  return [
    ['Fraction', math.fraction(-6, 4)],
    ['large Fraction', math.fraction('123456789/1000000007')],
    ['Complex', math.complex(0.5, -0)],
    ['BigNumber', math.bignumber('-1.2345678901234567890123456789e-40')],
    [
      'DenseMatrix of Fractions',
      math.matrix([
        [math.fraction(1, 3), math.fraction(2)],
        [0, -1],
      ]),
    ],
    ['DenseMatrix with datatype', math.matrix([1, 2], 'dense', 'number')],
    [
      'SparseMatrix',
      math.sparse([
        [0, 0, 2],
        [1, 0, 0],
      ]),
    ],
    ['Unit', math.unit('5 kN m/s^2')],
    ['Unit with a Fraction value', math.unit(math.fraction(1, 3), 'km')],
    ['Unit with a BigNumber value', math.unit(math.bignumber('2.5'), 'mm')],
    ['Unit inexact in floating point', math.unit(0.3937986840645258, 'mi/h')],
    ['valueless Unit with fixPrefix', math.unit('cm').to('mm')],
  ]
}

const reference = (() => {
  const [, math] = versions[2]!
  const codec = createMathCodec(math)
  return new Map(samples(math).map(([label, value]) => [label, codec.canonical(value)]))
})()

for (const [name, math] of versions) {
  t.test(name, async (t) => {
    const codec = createMathCodec(math)
    for (const [label, value] of samples(math)) {
      const text = codec.stringify(value)
      const back = codec.parse(text)
      t.equal(codec.canonical(back), codec.canonical(value), `${label}: round trip exact`)
      t.equal(math.typeOf(back), math.typeOf(value), `${label}: type kept`)
      t.equal(
        codec.canonical(value),
        reference.get(label),
        `${label}: same canonical form (and key) as mathjs 15`,
      )
    }
  })
}

t.test('a value written with one version is read by the others', async (t) => {
  for (const [from, writer] of versions) {
    const text = createMathCodec(writer).stringify(samples(writer).map(([, v]) => v))
    for (const [to, reader] of versions) {
      const codec = createMathCodec(reader)
      const back = codec.parse(text) as unknown[]
      t.equal(codec.stringify(back), text, `${from} → ${to}`)
      t.ok(reader.isFraction(back[0]) && reader.isUnit(back[8]) && reader.isSparseMatrix(back[6]))
    }
  }
})
