import t, { type Test } from 'tap'
import {
  Codec,
  CompManagerError,
  DEFAULT_DECODE_BUDGET,
  defaultCodec,
  encode,
  errorCodes,
} from '../src/index.js'

function refusal(t: Test, fn: () => unknown, code: string, limit: string): void {
  try {
    fn()
    t.fail(`expected ${code}`)
  } catch (err) {
    t.ok(err instanceof CompManagerError, `${limit}: a CompManagerError`)
    const e = err as CompManagerError
    t.equal(e.code, code, `${limit}: code`)
    t.equal(e.details?.limit, limit, `${limit}: details.limit`)
    t.match(e.message, new RegExp(limit), `${limit}: message names the limit`)
  }
}

t.test('defaults are in force and exposed', async (t) => {
  t.same(new Codec().budget, DEFAULT_DECODE_BUDGET)
  t.same(defaultCodec.budget, DEFAULT_DECODE_BUDGET)
  t.equal(errorCodes.CM_ERR_TOO_LARGE.statusCode, 413)
  t.equal(errorCodes.CM_ERR_TOO_COMPLEX.statusCode, 400)
})

t.test('maxBigIntDigits: at the limit decodes, one digit more is CM_ERR_TOO_LARGE', async (t) => {
  const codec = new Codec({ maxBigIntDigits: 20 })
  t.equal(codec.decode({ __type__: 'bigint', value: '9'.repeat(20) }), 10n ** 20n - 1n)
  t.equal(
    codec.decode({ __type__: 'bigint', value: `-${'9'.repeat(20)}` }),
    -(10n ** 20n - 1n),
    'sign not counted',
  )
  refusal(
    t,
    () => codec.decode({ __type__: 'bigint', value: '9'.repeat(21) }),
    'CM_ERR_TOO_LARGE',
    'maxBigIntDigits',
  )
  const million = JSON.stringify([{ __type__: 'bigint', value: '1'.repeat(1_000_000) }])
  refusal(t, () => defaultCodec.parse(million), 'CM_ERR_TOO_LARGE', 'maxBigIntDigits')
  // a huge non-decimal text is refused on its length too, before any scan
  refusal(
    t,
    () => codec.decode({ __type__: 'bigint', value: 'x'.repeat(50) }),
    'CM_ERR_TOO_LARGE',
    'maxBigIntDigits',
  )
})

t.test('maxStringLength: values, keys, Map entries, object-tag entries and tag fields', async (t) => {
  const codec = new Codec({ maxStringLength: 8 })
  const long = 'abcdefghi'
  t.same(codec.decode(['abcdefgh', { k: 'abcdefgh' }]), ['abcdefgh', { k: 'abcdefgh' }])
  const cases: [string, unknown][] = [
    ['root string', long],
    ['array item', [long]],
    ['object value', { a: long }],
    ['object key', { [long]: 1 }],
    ['Map key', encode(new Map([[long, 1]]))],
    ['Map value', encode(new Map([['a', long]]))],
    ['Set value', encode(new Set([long]))],
    ['object-tag key', { __type__: 'object', entries: [[long, 1]] }],
    ['object-tag value', { __type__: 'object', entries: [['a', long]] }],
    ['Error message', { __type__: 'Error', name: 'Error', message: long }],
    ['RegExp source', { __type__: 'RegExp', source: long, flags: '' }],
    ['URL', { __type__: 'URL', value: `http://${long}` }],
    ['Date', { __type__: 'Date', value: '2020-01-01T00:00:00.000Z' }],
  ]
  for (const [name, tree] of cases) {
    t.test(name, async (t) => refusal(t, () => codec.decode(tree), 'CM_ERR_TOO_LARGE', 'maxStringLength'))
  }
})

t.test('maxBinaryBytes: every binary tag, checked before the base64 is decoded', async (t) => {
  const codec = new Codec({ maxBinaryBytes: 16 })
  const ok = encode(new Uint8Array(16))
  t.same(codec.decode(ok), new Uint8Array(16))
  for (const value of [new Uint8Array(17), new Float64Array(3), new ArrayBuffer(17), Buffer.alloc(17)]) {
    const name = value.constructor.name
    t.test(name, async (t) =>
      refusal(t, () => codec.decode(encode(value)), 'CM_ERR_TOO_LARGE', 'maxBinaryBytes'),
    )
  }
  const dataView = encode(new DataView(new ArrayBuffer(17)))
  refusal(t, () => codec.decode(dataView), 'CM_ERR_TOO_LARGE', 'maxBinaryBytes')
  // an enormous base64 text is refused on its length
  const huge = { __type__: 'Uint8Array', base64: 'A'.repeat(4_000_000) }
  refusal(t, () => codec.decode(huge), 'CM_ERR_TOO_LARGE', 'maxBinaryBytes')
})

t.test('maxEntries: arrays, objects, Maps, Sets, object tags', async (t) => {
  const codec = new Codec({ maxEntries: 3 })
  t.same(codec.decode([1, 2, 3]), [1, 2, 3])
  const cases: [string, unknown][] = [
    ['array', [1, 2, 3, 4]],
    ['object', { a: 1, b: 2, c: 3, d: 4 }],
    [
      'Map',
      encode(
        new Map([
          [1, 1],
          [2, 2],
        ]),
      ),
    ],
    ['Set', encode(new Set([1, 2, 3, 4]))],
    [
      'object tag',
      {
        __type__: 'object',
        entries: [
          ['a', 1],
          ['b', 2],
          ['c', 3],
          ['d', 4],
        ],
      },
    ],
  ]
  for (const [name, tree] of cases) {
    t.test(name, async (t) => refusal(t, () => codec.decode(tree), 'CM_ERR_TOO_COMPLEX', 'maxEntries'))
  }
})

t.test('maxNodes: counts the whole tree, and starts again for each decode', async (t) => {
  const codec = new Codec({ maxNodes: 10 })
  const nine = [[1, 2], [3, 4], 5, 6] // root + 4 items + 4 nested = 9
  t.same(codec.decode(nine), nine)
  t.same(codec.decode(nine), nine, 'a second decode has its own count')
  t.same(codec.decode([[1, 2, 3], [4, 5, 6], 7]), [[1, 2, 3], [4, 5, 6], 7], 'exactly 10 values')
  refusal(t, () => codec.decode([[1, 2, 3], [4, 5, 6], 7, 8]), 'CM_ERR_TOO_COMPLEX', 'maxNodes')
  refusal(
    t,
    () => codec.parse(JSON.stringify([{ a: [1, 2] }, { b: [3, 4] }, { c: 1 }])),
    'CM_ERR_TOO_COMPLEX',
    'maxNodes',
  )
  t.same(codec.decode(nine), nine, 'a refusal leaves the codec usable')
})

t.test('a registered decoder that decodes again gets its own count', async (t) => {
  const codec = new Codec({ maxNodes: 5 })
  codec.registerType({
    name: 'Wrapped',
    is: () => false,
    encode: (v: unknown) => v,
    decode: (inner: unknown) => ({ inner: codec.decode([inner, inner]) }),
  })
  t.same(codec.decode([{ __type__: 'Wrapped', value: 1 }]), [{ inner: [1, 1] }])
})

t.test('bad limit options are CM_ERR_INVALID_ARGUMENT naming the option', async (t) => {
  for (const option of Object.keys(DEFAULT_DECODE_BUDGET)) {
    for (const bad of [0, -1, 1.5, '10', true, {}, Number.NaN, Number.POSITIVE_INFINITY]) {
      try {
        new Codec({ [option]: bad } as never)
        t.fail(`${option}=${String(bad)} accepted`)
      } catch (err) {
        t.equal((err as CompManagerError).code, 'CM_ERR_INVALID_ARGUMENT', `${option}=${String(bad)}`)
        t.equal((err as CompManagerError).details?.option, option)
      }
    }
  }
})

t.test('withLimits keeps the budget it does not override', async (t) => {
  const strict = new Codec({ maxBigIntDigits: 5, maxNodes: 7 })
  const copy = strict.withLimits({ maxNodes: 100 })
  t.equal(copy.budget.maxBigIntDigits, 5)
  t.equal(copy.budget.maxNodes, 100)
  t.ok(Object.isFrozen(copy.budget))
})
