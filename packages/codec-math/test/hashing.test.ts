import { createHash } from 'node:crypto'
import { hashKey } from '@comp-manager/core'
import type { Matrix, Unit } from 'mathjs'
import t, { type Test } from 'tap'
import { canon, classesOf, codec, key, math, newMath } from './fixtures/math.js'

/** Every value of a group has the same key. */
function allSame(tt: Test, label: string, values: unknown[]): void {
  const first = key(values[0])
  for (const [i, v] of values.entries()) tt.equal(key(v), first, `${label} #${i} has the key of #0`)
}

/** All values have different keys. */
function allDifferent(tt: Test, values: unknown[]): void {
  const keys = new Set(values.map((v) => key(v)))
  tt.equal(keys.size, values.length, `${values.length} values, ${values.length} keys`)
}

t.test('Fraction: one key per rational number', async (t) => {
  allSame(t, '1/2', [
    math.fraction(2, 4),
    math.fraction('1/2'),
    math.fraction(0.5),
    math.fraction('0.5'),
    math.divide(math.fraction(1), 2),
    math.subtract(math.fraction(3, 4), math.fraction(1, 4)),
    math.fraction(-1, -2),
  ])
  allSame(t, '-1/3', [
    math.fraction(-1, 3),
    math.fraction(1, -3),
    math.fraction('-2/6'),
    math.unaryMinus(math.fraction(1, 3)),
  ])
  allSame(t, '0', [
    math.fraction(0),
    math.fraction('-0'),
    math.fraction(-0),
    math.subtract(math.fraction(1, 3), math.fraction(1, 3)),
  ])
  allDifferent(t, [
    math.fraction(1, 2),
    math.fraction(-1, 2),
    math.fraction(1, 3),
    math.fraction(2, 1),
    math.fraction(0),
  ])
})

t.test('BigNumber: one key per value (and precision)', async (t) => {
  allSame(t, '1.5', [
    math.bignumber('1.5'),
    math.bignumber('1.50'),
    math.bignumber('15e-1'),
    math.bignumber(1.5),
    math.divide(math.bignumber(3), math.bignumber(2)),
  ])
  allSame(t, '10', [math.bignumber(10), math.bignumber('1e1'), math.bignumber('10.000')])
  allDifferent(t, [
    math.bignumber(0),
    math.bignumber('-0'),
    math.bignumber('NaN'),
    math.bignumber('Infinity'),
    math.bignumber('-Infinity'),
    math.bignumber('1e-1000'),
    math.bignumber('0.1'),
    math.bignumber('0.10000000000000000000000000000000000000001'),
  ])
  const math20 = newMath({ precision: 20 })
  t.not(key(math20.bignumber('1.5')), key(math.bignumber('1.5')), 'precision 20 vs 64: different keys')
  t.equal(
    canon(math.bignumber('1.5')),
    '{"__type__":"mathjs.BigNumber","value":{"precision":64,"value":"1.5"}}',
    'canonical form',
  )
})

t.test('Complex: parts compared exactly', async (t) => {
  allSame(t, '1+2i', [
    math.complex(1, 2),
    math.complex('1 + 2i'),
    math.add(math.complex(1, 0), math.complex(0, 2)),
    math.complex({ re: 1, im: 2 } as never),
  ])
  allDifferent(t, [
    math.complex(0.5, 0),
    math.complex(0.5, -0),
    math.complex(-0.5, 0),
    math.complex(0, 0.5),
    math.complex(Number.NaN, 0),
  ])
})

t.test('different types never share a key', async (t) => {
  allDifferent(t, [
    math.fraction(1, 2),
    math.bignumber(0.5),
    0.5,
    '0.5',
    '1/2',
    math.complex(0.5, 0),
    math.unit(0.5, 'm'),
    math.unit(math.fraction(1, 2), 'm'),
    math.matrix([0.5]),
    math.sparse([[0.5]]),
    math.matrix([[0.5]]),
    [0.5],
    { n: '1', d: '2' },
    { re: 0.5, im: 0 },
    { value: '0.5', precision: 64 },
  ])
  allDifferent(t, [math.fraction(0), math.bignumber(0), math.bignumber('-0'), 0, -0, math.complex(0, 0), 0n])
})

t.test('DenseMatrix: equal whatever the operations that built it', async (t) => {
  const m = math.matrix([
    [1, 2],
    [3, 4],
  ])
  allSame(t, '[[1,2],[3,4]]', [
    m,
    math.reshape(math.matrix([1, 2, 3, 4]), [2, 2]),
    math.transpose(math.transpose(m)),
    math.add(m, math.zeros(2, 2)),
    math.clone(m),
    math.multiply(math.identity(2), m),
    math.matrix(
      math
        .matrix([1, 2, 3, 4])
        .toArray()
        .reduce<number[][]>((rows, x, i) => {
          if (i % 2 === 0) rows.push([])
          rows[rows.length - 1]!.push(x as number)
          return rows
        }, []),
    ),
    math.concat(math.matrix([[1, 2]]), math.matrix([[3, 4]]), 0),
  ])
  allSame(t, 'Fraction matrix', [
    math.matrix([[math.fraction(1, 2), math.fraction(1, 3)]]),
    math.divide(math.matrix([[math.fraction(1), math.fraction(2, 3)]]), 2),
  ])
  allDifferent(t, [
    m,
    math.matrix([
      [1, 3],
      [2, 4],
    ]),
    math.matrix([1, 2, 3, 4]),
    math.matrix(
      [
        [1, 2],
        [3, 4],
      ],
      'dense',
      'number',
    ),
    math.sparse([
      [1, 2],
      [3, 4],
    ]),
    [
      [1, 2],
      [3, 4],
    ],
  ])
  allDifferent(t, [math.zeros(0, 3), math.zeros(3, 0), math.matrix([]), math.zeros(0, 0)])
})

t.test('SparseMatrix: canonical order of the stored entries', async (t) => {
  const dense = [
    [0, 0, 2],
    [1, 0, 0],
    [0, 0, 3],
  ]
  const bySet = math.sparse()
  for (const [i, j, x] of [
    [2, 2, 3],
    [0, 2, 2],
    [1, 0, 1],
  ] as const) {
    bySet.set([i, j], x)
  }
  // The same entries with the rows of column 2 stored out of order.
  const unsorted = new (classesOf(math).SparseMatrix)({
    values: [1, 3, 2],
    index: [1, 2, 0],
    ptr: [0, 1, 1, 3],
    size: [3, 3],
  })
  allSame(t, 'sparse', [
    math.sparse(dense),
    bySet,
    math.transpose(math.transpose(math.sparse(dense))),
    math.sparse(math.matrix(dense)),
    math.clone(math.sparse(dense)),
    unsorted,
  ])
  allDifferent(t, [
    math.sparse(dense),
    math.sparse(dense, 'number'),
    math.matrix(dense),
    math.sparse([[0]]),
    math.sparse([[0, 0]]),
  ])
  const explicitZero = math.multiply(math.sparse([[1, 1]]), math.sparse([[1], [-1]])) as Matrix
  t.not(key(explicitZero), key(math.sparse([[0]])), 'an explicitly stored zero is part of the value')
})

t.test('Unit: value, units, prefixes and flags', async (t) => {
  allSame(t, '5 km', [
    math.unit(5, 'km'),
    math.unit('5 km'),
    math.unit('5km'),
    math.multiply(math.unit('2.5 km'), 2),
    math.add(math.unit('2 km'), math.unit('3 km')),
  ])
  allSame(t, '1/3 km', [
    math.unit(math.fraction(1, 3), 'km'),
    math.divide(math.unit(math.fraction(1), 'km'), 3),
  ])
  allDifferent(t, [
    math.unit(5, 'km'),
    math.unit(5000, 'm'),
    math.unit(5, 'km').to('km'),
    math.unit(math.fraction(5), 'km'),
    math.unit(math.bignumber(5), 'km'),
    math.unit('km'),
    math.unit(5, 'kN'),
    math.multiply(math.unit('5 km'), math.unit('1 s')),
  ])
})

t.test('call keys: mathjs values as arguments', async (t) => {
  const args = (order: 'ab' | 'ba') => {
    const entries: Array<[string, unknown]> = [
      ['a', math.fraction(2, 4)],
      ['b', math.matrix([[math.bignumber('1.50')]])],
    ]
    return [
      new Map(order === 'ab' ? entries : entries.reverse()),
      { unit: math.unit(math.fraction(1, 3), 'km') },
    ]
  }
  const k1 = hashKey({ fn: 'solve', args: args('ab') }, { codec })
  const k2 = hashKey({ fn: 'solve', args: args('ba') }, { codec })
  t.equal(k1.key, k2.key, 'same key whatever the Map order and the spelling of equal values')
  const k3 = hashKey({ fn: 'solve', args: [new Map([['a', math.fraction(1, 3)]])] }, { codec })
  t.not(k3.key, k1.key)
})

t.test('the canonical form of each type is pinned (changing it changes every key)', async (t) => {
  const vectors: Array<[string, unknown, string]> = [
    ['Fraction', math.fraction(-2, 4), '{"__type__":"mathjs.Fraction","value":{"d":"2","n":"-1"}}'],
    [
      'Complex',
      math.complex(0.5, -0),
      '{"__type__":"mathjs.Complex","value":{"im":{"__type__":"number","value":"-0"},"re":0.5}}',
    ],
    [
      'BigNumber',
      math.bignumber('-1.20e-9'),
      '{"__type__":"mathjs.BigNumber","value":{"precision":64,"value":"-1.2e-9"}}',
    ],
    [
      'DenseMatrix',
      math.matrix([[math.fraction(1, 2), 2]]),
      '{"__type__":"mathjs.DenseMatrix","value":{"data":[[{"__type__":"mathjs.Fraction","value":{"d":"2","n":"1"}},2]],"size":[1,2]}}',
    ],
    [
      'SparseMatrix',
      math.sparse(
        [
          [0, 2],
          [3, 0],
        ],
        'number',
      ),
      '{"__type__":"mathjs.SparseMatrix","value":{"datatype":"number","index":[1,0],"ptr":[0,1,2],"size":[2,2],"values":[3,2]}}',
    ],
    [
      'Unit',
      math.unit(math.fraction(1, 3), 'km') as Unit,
      '{"__type__":"mathjs.Unit","value":{"fixPrefix":false,"skipSimp":true,"unit":"km","value":{"__type__":"mathjs.Fraction","value":{"d":"3","n":"1"}}}}',
    ],
  ]
  for (const [label, value, text] of vectors) t.equal(canon(value), text, label)
  for (const [label, value, text] of vectors) {
    t.equal(
      key(value),
      createHash('sha256').update(text, 'utf8').digest('hex'),
      `${label}: key = sha256 of it`,
    )
  }
})
