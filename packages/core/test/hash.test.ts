import * as crypto from 'node:crypto'
import t from 'tap'
import {
  Codec,
  CompManagerError,
  canonicalCall,
  canonicalEncode,
  defaultCodec,
  encode,
  HASH_FORMAT,
  hashAlgorithms,
  hashKey,
  hashValue,
} from '../src/index.js'
import { canonicalTree } from './fixtures/canonical-tree.js'

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
  toJSON() {
    return { x: this.x, y: this.y }
  }
  static fromJSON(d: { x: number; y: number }) {
    return new Point(d.x, d.y)
  }
}
const codec = new Codec().registerClass(Point)

const bytes = new Uint8Array(new Float64Array([1]).buffer)

/** Values that must all have different canonical texts, hence different keys. */
const distinct: [string, unknown][] = [
  ['1', 1],
  ['"1"', '1'],
  ['1n', 1n],
  ['0', 0],
  ['-0', -0],
  ['NaN', Number.NaN],
  ['Infinity', Number.POSITIVE_INFINITY],
  ['-Infinity', Number.NEGATIVE_INFINITY],
  ['"NaN"', 'NaN'],
  ['"Infinity"', 'Infinity'],
  ['undefined', undefined],
  ['null', null],
  ['"null"', 'null'],
  ['""', ''],
  ['true', true],
  ['"true"', 'true'],
  ['[]', []],
  ['{}', {}],
  ['new Map()', new Map()],
  ['new Set()', new Set()],
  ['[undefined]', [undefined]],
  ['[null]', [null]],
  ['{a: undefined}', { a: undefined }],
  ['{a: null}', { a: null }],
  ['{a: 1}', { a: 1 }],
  ['{a: "1"}', { a: '1' }],
  ['Map {1 => 2}', new Map([[1, 2]])],
  ['Map {"1" => 2}', new Map([['1', 2]])],
  ['[[1, 2]]', [[1, 2]]],
  ['{"1": 2}', { 1: 2 }],
  ['Set {1}', new Set([1])],
  ['[1]', [1]],
  ['Date(0)', new Date(0)],
  ['its ISO string', new Date(0).toISOString()],
  ['its time value', 0.5],
  ['invalid Date', new Date(Number.NaN)],
  ['Uint8Array of the bytes of Float64Array [1]', bytes],
  ['Float64Array [1]', new Float64Array([1])],
  ['Buffer of the same bytes', Buffer.from(bytes)],
  ['ArrayBuffer of the same bytes', bytes.slice().buffer],
  ['DataView of the same bytes', new DataView(bytes.slice().buffer)],
  ['registered Point(1, 2)', new Point(1, 2)],
  ['plain {x: 1, y: 2}', { x: 1, y: 2 }],
  ['Error("x")', new Error('x')],
  ['TypeError("x")', new TypeError('x')],
  ['plain {name: "Error", message: "x"}', { name: 'Error', message: 'x' }],
  ['/x/', /x/],
  ['/x/g', /x/g],
  ['"/x/"', '/x/'],
  ['URL', new URL('https://example.com/')],
  ['its href', 'https://example.com/'],
  [
    '{__type__: "Date", value: "1970-01-01T00:00:00.000Z"} (escaped)',
    { __type__: 'Date', value: '1970-01-01T00:00:00.000Z' },
  ],
  ['{__type__: "undefined"} (escaped)', { __type__: 'undefined' }],
]

t.test('distinct values never share an encoding or a key', async (t) => {
  const seen = new Map<string, string>()
  const keys = new Map<string, string>()
  for (const [name, value] of distinct) {
    const text = codec.canonical(value)
    t.notOk(
      seen.has(text),
      `${name}: canonical text is its own (${text})${seen.has(text) ? ` — same as ${seen.get(text)}` : ''}`,
    )
    seen.set(text, name)
    const key = hashKey({ fn: 'f', args: [value] }, { codec }).key
    t.notOk(keys.has(key), `${name}: key is its own`)
    keys.set(key, name)
  }
  t.not(
    hashKey({ fn: 'f', args: [] }).key,
    hashKey({ fn: 'f', args: [undefined] }).key,
    'no args vs one undefined arg',
  )
  t.not(hashKey({ fn: 'f', args: [1] }).key, hashKey({ fn: 'g', args: [1] }).key, 'the function name counts')
  t.not(
    codec.canonical(Object.assign(new Error('x'), { code: 'A' })),
    codec.canonical(Object.assign(new Error('x'), { code: 'B' })),
    'Error code counts',
  )
  t.not(codec.canonical(new Error('x', { cause: 1 })), codec.canonical(new Error('x')), 'Error cause counts')
  t.not(
    codec.canonical(new Error('x', { cause: undefined })),
    codec.canonical(new Error('x')),
    'an own undefined cause counts',
  )
})

t.test('key order, Map and Set insertion order do not change the key', async (t) => {
  const pairs: [string, unknown, unknown][] = [
    ['object keys', { a: 1, b: 2, c: { d: 3, e: 4 } }, { c: { e: 4, d: 3 }, b: 2, a: 1 }],
    ['integer-like keys', { 10: 'a', 9: 'b', x: 1 }, { x: 1, 9: 'b', 10: 'a' }],
    [
      'Map insertion order',
      new Map<unknown, unknown>([
        ['a', 1],
        [2, 'b'],
        [{ k: 1 }, new Set([1, 2])],
      ]),
      new Map<unknown, unknown>([
        [{ k: 1 }, new Set([2, 1])],
        [2, 'b'],
        ['a', 1],
      ]),
    ],
    [
      'Set insertion order',
      new Set(['x', 1, 1n, null, { a: 1, b: 2 }]),
      new Set([{ b: 2, a: 1 }, null, 1n, 1, 'x']),
    ],
    ['escaped objects', { __type__: 'x', b: 1, a: 2 }, { a: 2, b: 1, __type__: 'x' }],
    [
      'nested rich values',
      {
        list: [
          new Map<string, unknown>([
            ['z', new Set([3, 1, 2])],
            [
              'a',
              new Map([
                [1, 1],
                [2, 2],
              ]),
            ],
          ]),
        ],
        when: new Date(5),
      },
      {
        when: new Date(5),
        list: [
          new Map<string, unknown>([
            [
              'a',
              new Map([
                [2, 2],
                [1, 1],
              ]),
            ],
            ['z', new Set([2, 3, 1])],
          ]),
        ],
      },
    ],
    ['Error stack is left out', new Error('same'), (() => new Error('same'))()],
  ]
  for (const [name, a, b] of pairs) {
    t.equal(codec.canonical(a), codec.canonical(b), `${name}: same canonical text`)
    t.equal(hashKey({ fn: 'f', args: [a] }).key, hashKey({ fn: 'f', args: [b] }).key, `${name}: same key`)
  }
  const built: Record<string, number> = { b: 1, a: 1 }
  delete built.b
  built.b = 2
  t.equal(hashValue(built), hashValue({ a: 1, b: 2 }), 'the path by which a value was built does not matter')
})

t.test('hashKey validates its input', async (t) => {
  const bad: [string, unknown, unknown?][] = [
    ['input null', null],
    ['input a string', 'fib'],
    ['fn missing', { args: [] }],
    ['fn empty', { fn: '', args: [] }],
    ['fn a number', { fn: 1, args: [] }],
    ['fn a function', { fn: () => 1, args: [] }],
    ['version an object', { fn: 'f', version: { v: 1 }, args: [] }],
    ['version a boolean', { fn: 'f', version: true, args: [] }],
    ['version null', { fn: 'f', version: null, args: [] }],
    ['version a bigint', { fn: 'f', version: 1n, args: [] }],
    ['unknown algorithm', { fn: 'f', args: [] }, { algorithm: 'sha512' }],
    ['algorithm in capitals', { fn: 'f', args: [] }, { algorithm: 'SHA256' }],
    ['algorithm empty', { fn: 'f', args: [] }, { algorithm: '' }],
  ]
  for (const [name, input, options] of bad) {
    let err: unknown
    try {
      hashKey(input as never, options as never)
    } catch (e) {
      err = e
    }
    t.ok(err instanceof CompManagerError, `${name}: a CompManagerError`)
    t.equal((err as CompManagerError).code, 'CM_ERR_INVALID_ARGUMENT', name)
  }
  t.throws(
    () => hashValue(1, { algorithm: 'crc32' as never }),
    { code: 'CM_ERR_INVALID_ARGUMENT' },
    'hashValue too',
  )
  t.throws(
    () => hashKey({ fn: 'f', args: [() => 1] }),
    { code: 'CM_ERR_UNSUPPORTED_TYPE' },
    'args are checked by the codec',
  )
})

t.test('algorithms, key lengths and the format tag', async (t) => {
  t.same([...hashAlgorithms], ['sha256', 'sha1', 'md5'])
  const input = { fn: 'fib', args: [30] }
  const text = canonicalCall(input)
  t.equal(text, '{"args":[30],"fn":"fib"}')
  for (const [algorithm, length] of [
    ['sha256', 64],
    ['sha1', 40],
    ['md5', 32],
  ] as const) {
    const result = hashKey(input, { algorithm })
    t.equal(result.key.length, length, `${algorithm}: ${length} hex digits`)
    t.match(result.key, /^[0-9a-f]+$/, `${algorithm}: lowercase hex`)
    t.equal(result.algorithm, algorithm)
    t.equal(result.format, HASH_FORMAT)
    t.equal(
      result.key,
      crypto.createHash(algorithm).update(text, 'utf8').digest('hex'),
      `${algorithm} of the UTF-8 bytes`,
    )
    t.equal(hashValue([30], { algorithm }), crypto.createHash(algorithm).update('[30]').digest('hex'))
  }
  t.equal(HASH_FORMAT, 'cm1')
  t.same(hashKey(input), hashKey(input, { algorithm: 'sha256' }), 'sha256 is the default')
  const unicode = { fn: 'résumé', args: ['😀'] }
  t.equal(
    hashKey(unicode).key,
    crypto
      .createHash('sha256')
      .update(Buffer.from(canonicalCall(unicode), 'utf8'))
      .digest('hex'),
    'non-ASCII text is hashed as UTF-8',
  )
})

t.test('version', async (t) => {
  const base = hashKey({ fn: 'f', args: [1] }).key
  t.equal(
    hashKey({ fn: 'f', version: undefined, args: [1] }).key,
    base,
    'version: undefined equals no version',
  )
  t.equal(
    canonicalCall({ fn: 'f', version: undefined, args: [1] }),
    '{"args":[1],"fn":"f"}',
    'and is left out',
  )
  t.equal(canonicalCall({ fn: 'f', version: 2, args: [1] }), '{"args":[1],"fn":"f","version":2}')
  t.equal(canonicalCall({ fn: 'f', version: '2', args: [1] }), '{"args":[1],"fn":"f","version":"2"}')
  const keys = new Set([
    base,
    ...[1, '1', 2, 'v2', 0, -0, Number.NaN].map((version) => hashKey({ fn: 'f', version, args: [1] }).key),
  ])
  t.equal(keys.size, 8, 'every version gives its own key (1 vs "1", 0 vs -0 too)')
})

t.test('a call hashes like the object {args, fn, version}', async (t) => {
  const args = [new Map([[1n, 'x']]), { b: 1, a: [undefined] }]
  t.equal(canonicalCall({ fn: 'f', version: 'v', args }), canonicalEncode({ fn: 'f', version: 'v', args }))
  t.equal(canonicalCall({ fn: 'f', args }), canonicalEncode({ fn: 'f', args }))
})

t.test('canonical(v) === canonicalTree(encode(v))', async (t) => {
  const values: unknown[] = [
    ...distinct.map(([, v]) => v),
    {
      b: [1, { d: 1n, c: new Set(['b', 'a', '10', '9']) }],
      a: new Map<unknown, unknown>([
        [{ z: 1, y: 2 }, 1],
        [[], 2],
        ['s', 3],
      ]),
    },
    new Map<unknown, unknown>([
      [{}, 10],
      [{}, 1],
    ]),
    new Map<unknown, unknown>([
      [1, 'a'],
      [10, 'b'],
      [1.5, 'c'],
      [-1, 'd'],
    ]),
    new Map<unknown, unknown>(
      Array.from({ length: 300 }, (_, i) => [
        i % 3 === 0 ? { k: i % 7 } : i % 3 === 1 ? `k${(i * 7919) % 300}` : -i,
        i % 5,
      ]),
    ),
    new TypeError('t', { cause: new Error('c') }),
    { é: 1, e: 2, '\u{1F600}': 3, '\uffff': 4, ' ': 5, '!': 6, '"': 7 },
    Array.from({ length: 200 }, (_, i) => ({ id: i, name: `n${i}`, tags: [i % 3 === 0, null] })),
    { big: Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${(i * 37) % 100}`, i])) },
    Array.from({ length: 100 }, (_, i) => i / 3),
    Array.from({ length: 100 }, (_, i) => (i === 50 ? -0 : i)),
    Array.from({ length: 100 }, (_, i) => ({ constructor: i })),
    Array.from({ length: 100 }, (_, i) => ({ __type__: i })),
    new Set([new Uint8Array(200), new Float32Array(100), new Point(3, 4)]),
  ]
  for (const value of values) {
    const tree = codec.encode(value)
    t.equal(codec.canonical(value), canonicalTree(tree as never), codec.stringify(value).slice(0, 80))
  }
})

t.test('options.codec selects the registered types', async (t) => {
  t.throws(
    () => hashValue(new Point(1, 2)),
    { code: 'CM_ERR_UNSUPPORTED_TYPE' },
    'unknown to the default codec',
  )
  t.equal(canonicalEncode(new Point(1, 2), { codec }), '{"__type__":"Point","value":{"x":1,"y":2}}')
  t.equal(
    hashValue(new Point(1, 2), { codec }),
    crypto.hash('sha256', '{"__type__":"Point","value":{"x":1,"y":2}}', 'hex'),
  )
  t.equal(defaultCodec.canonical([1]), canonicalEncode([1]))
  t.same(encode([1n]), [{ __type__: 'bigint', value: '1' }])
})
