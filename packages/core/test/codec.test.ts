import { isDeepStrictEqual } from 'node:util'
import t, { type Test } from 'tap'
import {
  Codec,
  CompManagerError,
  canonicalEncode,
  DEFAULT_MAX_BYTES,
  DEFAULT_MAX_DEPTH,
  decode,
  encode,
  parse,
  stringify,
} from '../src/index.js'

// biome-ignore lint/complexity/useRegexLiterals: a `v`-flag literal needs target ES2024 (the tsconfig targets ES2023)
const V_FLAG = new RegExp('[\\p{L}--[a-z]]', 'v')

/** The error `fn` throws (fails the test when it returns). */
function caught(fn: () => unknown): CompManagerError {
  try {
    fn()
  } catch (err) {
    return err as CompManagerError
  }
  throw new Error('expected a throw')
}

function rejects(
  t: Test,
  fn: () => unknown,
  code: string,
  message?: RegExp,
  name = `throws ${code}`,
): CompManagerError {
  const err = caught(fn)
  t.ok(err instanceof CompManagerError, `${name}: a CompManagerError`)
  t.equal(err.code, code, name)
  if (message) t.match(err.message, message, `${name}: message`)
  return err
}

/** decode(encode(v)) and parse(stringify(v)) both give a value deep-strictly equal to v. */
function roundTrips(t: Test, value: unknown, name: string, codec: Codec = new Codec()): unknown {
  const viaTree = codec.decode(JSON.parse(JSON.stringify(codec.encode(value))))
  const viaText = codec.parse(codec.stringify(value))
  for (const [how, back] of [
    ['tree', viaTree],
    ['text', viaText],
  ] as const) {
    if (isDeepStrictEqual(back, value)) t.pass(`${name} (${how})`)
    else t.strictSame(back, value, `${name} (${how})`)
  }
  return viaText
}

t.test('round trip of every built-in', async (t) => {
  t.test('primitives and special numbers', async (t) => {
    for (const [name, value] of [
      ['null', null],
      ['true', true],
      ['string', 'héllo "world" \n 😀 \ud800'],
      ['empty string', ''],
      ['integer', 42],
      ['fraction', -1.5e-7],
      ['NaN', Number.NaN],
      ['Infinity', Number.POSITIVE_INFINITY],
      ['-Infinity', Number.NEGATIVE_INFINITY],
      ['-0', -0],
      ['0', 0],
      ['MAX_VALUE', Number.MAX_VALUE],
      ['MIN_VALUE', Number.MIN_VALUE],
    ] as const) {
      roundTrips(t, value, name)
    }
    t.ok(Object.is(parse(stringify(-0)), -0), '-0 keeps its sign')
    t.ok(Object.is(parse(stringify(0)), 0), '0 stays +0')
    t.same(encode(-0), { __type__: 'number', value: '-0' })
    t.same(encode(Number.NaN), { __type__: 'number', value: 'NaN' })
  })

  t.test('BigInt, small, huge and negative', async (t) => {
    for (const value of [0n, 1n, -1n, 2n ** 64n, -(2n ** 64n) - 1n, 10n ** 400n, -(7n ** 300n)]) {
      roundTrips(t, value, `bigint ${String(value).slice(0, 20)}`)
    }
    t.same(encode(-12n), { __type__: 'bigint', value: '-12' })
    t.equal(decode(encode(10n ** 400n)), 10n ** 400n, 'exact to the last digit')
  })

  t.test('undefined at top level, in arrays, as object values, array holes', async (t) => {
    t.same(encode(undefined), { __type__: 'undefined' })
    t.equal(decode({ __type__: 'undefined' }), undefined)
    t.equal(parse(stringify(undefined)), undefined)
    roundTrips(t, [undefined, 1, undefined], 'in an array')
    const obj = parse(stringify({ a: undefined, b: 1 })) as Record<string, unknown>
    t.ok(Object.hasOwn(obj, 'a'), 'an undefined value keeps its key')
    t.equal(obj.a, undefined)
    roundTrips(t, { a: undefined, nested: { b: undefined } }, 'as object values')
    // A hole is read as undefined: it comes back as an own element holding undefined.
    // biome-ignore lint/suspicious/noSparseArray: the test is about holes
    const holey = [1, , 3]
    const back = parse(stringify(holey)) as unknown[]
    t.equal(back.length, 3)
    t.ok(Object.hasOwn(back, 1), 'the hole comes back as an element')
    t.equal(back[1], undefined)
    t.equal(canonicalEncode(holey), canonicalEncode([1, undefined, 3]), 'a hole hashes as undefined')
  })

  t.test('Date, valid and invalid', async (t) => {
    for (const time of [
      0, 1_700_000_000_123, -1, -62_198_755_200_000, 8.64e15, -8.64e15, 253_402_300_800_000,
    ]) {
      roundTrips(t, new Date(time), `Date ${time}`)
      t.equal((encode(new Date(time)) as { value: string }).value, new Date(time).toISOString(), 'ISO text')
    }
    t.same(encode(new Date(Number.NaN)), { __type__: 'Date', value: null })
    const invalid = parse(stringify(new Date(Number.NaN)))
    t.ok(invalid instanceof Date && Number.isNaN(invalid.getTime()), 'invalid Date round-trips')
    const lenient = decode({ __type__: 'Date', value: '2024-01-02' }) as Date
    t.equal(lenient.getTime(), Date.UTC(2024, 0, 2), 'other date texts are read as new Date(text) reads them')
  })

  t.test('Map with any keys', async (t) => {
    const objectKey = { id: 1 }
    const map = new Map<unknown, unknown>([
      ['s', 1],
      [1, 'one'],
      [10n ** 20n, 'big'],
      [Number.NaN, 'nan'],
      [objectKey, 'object'],
      [[1, 2], 'array'],
      [undefined, 'undefined'],
      [null, new Map([[new Date(0), new Set([1n])]])],
    ])
    const back = roundTrips(t, map, 'Map') as Map<unknown, unknown>
    t.equal(back.get(Number.NaN), 'nan', 'NaN key')
    t.equal(back.get(10n ** 20n), 'big', 'BigInt key')
    t.same(
      [...back.keys()].map((k) => typeof k),
      [...map.keys()].map((k) => typeof k),
      'insertion order kept',
    )
    roundTrips(t, new Map(), 'empty Map')
  })

  t.test('Set', async (t) => {
    roundTrips(t, new Set([1, 'a', 2n, null, undefined, Number.NaN, { x: 1 }, new Set([new Map()])]), 'Set')
    roundTrips(t, new Set(), 'empty Set')
  })

  t.test('RegExp with flags', async (t) => {
    for (const re of [/a+b/, /^x$/gimsuy, /\d+/d, V_FLAG, /a\/b"c\\/g, /(?:)/]) {
      const back = roundTrips(t, re, String(re)) as RegExp
      t.equal(back.flags, re.flags)
      t.equal(back.source, re.source)
    }
  })

  t.test('URL', async (t) => {
    for (const href of [
      'https://example.com/',
      'https://u:p@example.com:8080/a/b?c=d&e=%20#f',
      'file:///tmp/x',
      'foo:a"b',
    ]) {
      roundTrips(t, new URL(href), href)
    }
  })

  t.test('Error with name, message, stack, cause, code; and subclasses', async (t) => {
    const cause = new RangeError('root cause')
    const err = new TypeError('bad input', { cause }) as TypeError & { code?: string }
    err.code = 'E_BAD'
    const back = roundTrips(t, err, 'TypeError with cause and code') as TypeError & { code?: string }
    t.ok(back instanceof TypeError, 'the built-in subclass is kept')
    t.ok(back.cause instanceof RangeError)
    t.equal(back.stack, err.stack, 'stack kept')
    t.equal(back.code, 'E_BAD')
    t.notOk(Object.getOwnPropertyDescriptor(back, 'stack')?.enumerable, 'stack stays non-enumerable')
    t.notOk(Object.getOwnPropertyDescriptor(back, 'cause')?.enumerable, 'cause stays non-enumerable')
    for (const Ctor of [Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError]) {
      const back = parse(stringify(new Ctor('m'))) as Error
      t.equal(Object.getPrototypeOf(back), Ctor.prototype, `${Ctor.name} comes back as ${Ctor.name}`)
    }
    roundTrips(t, new Error('with undefined cause', { cause: undefined }), 'cause: undefined')
    roundTrips(t, new Error('with rich cause', { cause: new Map([[1n, new Date(0)]]) }), 'rich cause')
    class ValidationError extends Error {
      constructor(message: string) {
        super(message)
        this.name = 'ValidationError'
      }
    }
    const custom = parse(stringify(new ValidationError('nope'))) as Error
    t.equal(custom.name, 'ValidationError', 'an unregistered subclass keeps its name…')
    t.equal(custom.message, 'nope')
    t.equal(
      Object.getPrototypeOf(custom),
      Error.prototype,
      '…and comes back as an Error (register it to keep the class)',
    )
  })

  t.test('all 11 typed arrays, offset views, ArrayBuffer, DataView, Buffer', async (t) => {
    const arrays = [
      new Int8Array([-128, 0, 127]),
      new Uint8Array([0, 1, 255]),
      new Uint8ClampedArray([0, 128, 255]),
      new Int16Array([-32768, 32767]),
      new Uint16Array([0, 65535]),
      new Int32Array([-(2 ** 31), 2 ** 31 - 1]),
      new Uint32Array([0, 2 ** 32 - 1]),
      new Float32Array([1.5, Number.NaN, Number.NEGATIVE_INFINITY, -0]),
      new Float64Array([Math.PI, Number.NaN, -0, Number.MAX_VALUE]),
      new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n]),
      new BigUint64Array([0n, 2n ** 64n - 1n]),
    ]
    t.equal(new Set(arrays.map((a) => a.constructor)).size, 11)
    for (const a of arrays) {
      const back = roundTrips(t, a, a.constructor.name) as ArrayBufferView
      t.equal(back.constructor, a.constructor)
      t.same(new Uint8Array(back.buffer), new Uint8Array(a.buffer), `${a.constructor.name}: same bytes`)
      roundTrips(t, new (a.constructor as Uint8ArrayConstructor)(0), `empty ${a.constructor.name}`)
    }
    const buf = new ArrayBuffer(32)
    new Uint8Array(buf).forEach((_, i, bytes) => {
      bytes[i] = i * 7
    })
    const view = new Float64Array(buf, 8, 2)
    const back = roundTrips(t, view, 'Float64Array(buf, 8, 2)') as Float64Array
    t.equal(back.length, 2)
    t.equal(back.byteOffset, 0, 'decoded into its own buffer')
    t.equal(back.buffer.byteLength, 16, 'only the viewed bytes travel')
    t.same([...back], [...view])
    roundTrips(t, buf, 'ArrayBuffer')
    roundTrips(t, new ArrayBuffer(0), 'empty ArrayBuffer')
    const dv = parse(stringify(new DataView(buf, 4, 8))) as DataView
    t.ok(dv instanceof DataView)
    t.same(new Uint8Array(dv.buffer), new Uint8Array(buf, 4, 8), 'DataView bytes')
    const b = parse(stringify(Buffer.from('héllo'))) as Buffer
    t.ok(Buffer.isBuffer(b), 'Buffer comes back as a Buffer')
    t.equal(b.toString(), 'héllo')
    t.same(encode(Buffer.from('hi')), { __type__: 'Buffer', base64: 'aGk=' })
    const large = new Uint8Array(100_000).map((_, i) => (i * 31) % 256)
    roundTrips(t, large, 'large Uint8Array (native base64 path)')
    roundTrips(t, new Uint16Array(large.buffer, 2, 1000), 'large offset view')
  })

  t.test('nested combinations', async (t) => {
    const value = {
      id: 1n,
      when: new Date(Date.UTC(2020, 1, 29)),
      list: [
        1,
        -0,
        Number.NaN,
        undefined,
        null,
        'x',
        [new Set([new Map([[{ k: 1n }, [new Uint8Array([1])]]])])],
      ],
      index: new Map<unknown, unknown>([
        ['errors', [new Error('e1'), new TypeError('e2', { cause: { deep: [10n] } })]],
        [new Date(0), { re: /x/g, url: new URL('https://a.example/') }],
      ]),
      escaped: { __type__: 'Map', entries: 'not really', inner: { __type__: 1n } },
      deep: { a: { b: { c: { d: [{ e: new Float32Array([1, 2]) }] } } } },
    }
    roundTrips(t, value, 'nested rich value')
    roundTrips(t, [[[[[[[]]]]]]], 'nested empty arrays')
    const bare = parse(stringify(Object.assign(Object.create(null), { a: 1n }))) as object
    t.same(bare, { a: 1n }, 'a null-prototype object is encoded as a plain object…')
    t.equal(Object.getPrototypeOf(bare), Object.prototype, '…and comes back as one')
  })
})

t.test('plain objects owning __type__ round-trip unchanged', async (t) => {
  for (const value of [
    { __type__: 'x' },
    { __type__: 'Date', value: '2020-01-01T00:00:00.000Z' },
    { __type__: 'bigint', value: '1' },
    { __type__: 'object', entries: [['a', 1]] },
    { __type__: undefined, b: 2n },
    { __type__: 42, nested: { __type__: 'Map', entries: [] } },
    { a: [{ __type__: 'Set', values: [] }] },
  ]) {
    const back = roundTrips(
      t,
      value,
      JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? `${v}n` : v)),
    )
    t.notOk(back instanceof Map || back instanceof Set || back instanceof Date, 'still a plain object')
  }
  t.same(encode({ __type__: 'x', b: 1 }), {
    __type__: 'object',
    entries: [
      ['__type__', 'x'],
      ['b', 1],
    ],
  })
})

t.test('parts without rich values are shared, not copied', async (t) => {
  const plain = { a: [1, 'two', { three: null, four: true }], b: { c: [] } }
  t.equal(encode(plain), plain, 'encode of plain JSON returns the value itself')
  t.equal(decode(plain), plain, 'decode of a tree without tags returns it')
  const mixed = { plain: plain.a, rich: 1n, list: [plain.b, new Date(0)] }
  const tree = encode(mixed) as Record<string, unknown[]>
  t.not(tree, mixed, 'an object holding a rich value is copied…')
  t.equal(tree.plain, plain.a, '…but its plain parts are shared')
  t.equal(tree.list![0], plain.b, 'also inside a copied array')
  t.same(mixed.rich, 1n, 'the input is not modified')
  t.ok(mixed.list[1] instanceof Date)
  const back = decode(tree) as typeof mixed
  t.equal(back.plain, plain.a, 'decode shares untagged parts too')
})

t.test('registry', async (t) => {
  class Point {
    constructor(
      readonly x: number,
      readonly y: number,
    ) {}
    toJSON() {
      return { x: this.x, y: this.y }
    }
    static fromJSON(data: { x: number; y: number }) {
      return new Point(data.x, data.y)
    }
  }
  class Vec {
    constructor(readonly items: bigint[]) {}
  }
  class Money {
    constructor(
      readonly cents: bigint,
      readonly currency: string,
    ) {}
  }

  t.test('registerClass with toJSON and static fromJSON', async (t) => {
    const codec = new Codec().registerClass(Point)
    t.same(codec.encode(new Point(1, 2)), { __type__: 'Point', value: { x: 1, y: 2 } })
    const back = roundTrips(
      t,
      [new Point(1, 2), new Map([[new Point(0, 0), 'origin']])],
      'Point',
      codec,
    ) as unknown[]
    t.ok(back[0] instanceof Point)
    t.ok(codec.hasType('Point'))
    t.same(codec.registeredTypes(), ['Point'])
    class Point3 extends Point {}
    rejects(
      t,
      () => codec.encode(new Point3(1, 2)),
      'CM_ERR_UNSUPPORTED_TYPE',
      /Point3/,
      'a subclass is not its parent',
    )
  })

  t.test('registerClass with options', async (t) => {
    const codec = new Codec().registerClass(Vec, {
      name: 'math.Vec',
      toJSON: (v) => v.items,
      fromJSON: (items: bigint[]) => new Vec(items),
    })
    t.same(codec.encode(new Vec([1n])), { __type__: 'math.Vec', value: [{ __type__: 'bigint', value: '1' }] })
    const back = roundTrips(t, { v: new Vec([1n, -2n]) }, 'Vec', codec) as { v: Vec }
    t.ok(back.v instanceof Vec)
  })

  t.test('registerType with a predicate, encoding to rich values', async (t) => {
    const codec = new Codec().registerType<Money, [bigint, string]>({
      name: 'Money',
      is: (v) => v instanceof Money,
      encode: (m) => [m.cents, m.currency],
      decode: ([cents, currency]) => new Money(cents, currency),
    })
    class Euro extends Money {}
    const back = roundTrips(t, new Money(123n, 'EUR'), 'Money', codec)
    t.ok(back instanceof Money)
    t.ok(
      codec.decode(codec.encode(new Euro(1n, 'EUR'))) instanceof Money,
      'a predicate also takes subclasses',
    )
  })

  t.test('a class without toJSON fails when encoding, naming the fix', async (t) => {
    class Bare {
      readonly bare = true
      static fromJSON() {
        return new Bare()
      }
    }
    const codec = new Codec().registerClass(Bare)
    rejects(t, () => codec.encode(new Bare()), 'CM_ERR_UNSUPPORTED_TYPE', /toJSON/)
  })

  t.test('names and classes are unique', async (t) => {
    const codec = new Codec().registerClass(Point)
    rejects(t, () => codec.registerClass(Point), 'CM_ERR_TYPE_REGISTERED', /Point/, 'same class')
    rejects(
      t,
      () => codec.registerClass(Point, { name: 'Other' }),
      'CM_ERR_TYPE_REGISTERED',
      /Point/,
      'same class, other name',
    )
    const clash = { name: 'Point', is: () => false, encode: (v: unknown) => v, decode: (v: unknown) => v }
    rejects(t, () => codec.registerType(clash), 'CM_ERR_TYPE_REGISTERED', /Point/, 'same name')
    rejects(
      t,
      () => codec.registerClass(Vec, { name: 'Point', fromJSON: () => new Vec([]) }),
      'CM_ERR_TYPE_REGISTERED',
    )
  })

  t.test('built-in names and classes are reserved', async (t) => {
    const codec = new Codec()
    const def = (name: string) => ({
      name,
      is: () => false,
      encode: (v: unknown) => v,
      decode: (v: unknown) => v,
    })
    for (const name of [
      'Map',
      'Set',
      'Date',
      'bigint',
      'number',
      'undefined',
      'object',
      'Error',
      'URL',
      'RegExp',
    ]) {
      rejects(
        t,
        () => codec.registerType(def(name)),
        'CM_ERR_TYPE_REGISTERED',
        new RegExp(name),
        `name ${name}`,
      )
    }
    for (const name of ['ArrayBuffer', 'DataView', 'Buffer', 'Uint8Array', 'BigUint64Array']) {
      rejects(t, () => codec.registerType(def(name)), 'CM_ERR_TYPE_REGISTERED', undefined, `name ${name}`)
    }
    const fromJSON = () => ({})
    for (const ctor of [Map, Set, Date, RegExp, URL, Error, TypeError, Uint8Array, Buffer, Array, Object]) {
      rejects(
        t,
        () => codec.registerClass(ctor as never, { name: 'x', fromJSON }),
        'CM_ERR_TYPE_REGISTERED',
        undefined,
        ctor.name,
      )
    }
    t.same(codec.registeredTypes(), [], 'nothing was registered')
  })

  t.test('bad definitions', async (t) => {
    const codec = new Codec()
    const ok = { name: 'ok', is: () => false, encode: (v: unknown) => v, decode: (v: unknown) => v }
    for (const [why, def] of [
      ['null', null],
      ['a string', 'Point'],
      ['no name', { ...ok, name: undefined }],
      ['empty name', { ...ok, name: '' }],
      ['name too long', { ...ok, name: 'x'.repeat(129) }],
      ['name not a string', { ...ok, name: 1 }],
      ['is missing', { ...ok, is: undefined }],
      ['encode not a function', { ...ok, encode: 'x' }],
      ['decode missing', { ...ok, decode: undefined }],
    ] as const) {
      rejects(t, () => codec.registerType(def as never), 'CM_ERR_INVALID_ARGUMENT', undefined, why)
    }
    rejects(t, () => codec.registerClass(42 as never), 'CM_ERR_INVALID_ARGUMENT', /class/, 'not a class')
    rejects(
      t,
      () => codec.registerClass((() => 1) as never),
      'CM_ERR_INVALID_ARGUMENT',
      /class/,
      'an arrow function',
    )
    rejects(t, () => codec.registerClass(Vec), 'CM_ERR_INVALID_ARGUMENT', /fromJSON/, 'no static fromJSON')
    rejects(
      t,
      () => codec.registerClass(class {}, { fromJSON: () => ({}) }),
      'CM_ERR_INVALID_ARGUMENT',
      /name/,
      'anonymous',
    )
    rejects(t, () => codec.registerClass(Point, { toJSON: 1 as never }), 'CM_ERR_INVALID_ARGUMENT', /toJSON/)
    rejects(t, () => codec.registerClass(Point, null as never), 'CM_ERR_INVALID_ARGUMENT', /options/)
    t.same(codec.registeredTypes(), [], 'nothing was registered')
  })

  t.test('withLimits keeps the registered types', async (t) => {
    const codec = new Codec().registerClass(Point)
    const strict = codec.withLimits({ maxDepth: 8 })
    t.equal(strict.maxDepth, 8)
    t.equal(strict.maxBytes, codec.maxBytes, 'unchanged limits carry over')
    t.ok(strict.decode(strict.encode(new Point(1, 2))) instanceof Point)
    strict.registerClass(Vec, { fromJSON: () => new Vec([]), toJSON: () => [] })
    t.notOk(codec.hasType('Vec'), 'later registrations stay on the copy')
    rejects(t, () => strict.registerClass(Point), 'CM_ERR_TYPE_REGISTERED')
    rejects(t, () => new Codec({ maxDepth: 0 }), 'CM_ERR_INVALID_ARGUMENT', /maxDepth/)
    rejects(t, () => new Codec({ maxBytes: 1.5 }), 'CM_ERR_INVALID_ARGUMENT', /maxBytes/)
    t.equal(new Codec().maxDepth, DEFAULT_MAX_DEPTH)
    t.equal(new Codec().maxBytes, DEFAULT_MAX_BYTES)
  })

  t.test('a registered type may call the codec again while it is encoding', async (t) => {
    const codec = new Codec()
    class Wrapper {
      constructor(readonly inner: unknown) {}
    }
    codec.registerClass(Wrapper, {
      toJSON: (w) => codec.stringify(w.inner),
      fromJSON: (text: string) => new Wrapper(codec.parse(text)),
    })
    const value = { w: new Wrapper(new Map([[1n, new Date(0)]])) }
    roundTrips(t, value, 'nested codec calls', codec)
    t.equal(codec.canonical(value), codec.canonical({ w: new Wrapper(new Map([[1n, new Date(0)]])) }))
  })
})

t.test('unsupported values', async (t) => {
  const codec = new Codec()
  class Widget {}
  class MyMap extends Map {}
  for (const [name, value, type, path] of [
    ['a function', { a: [1, function handler() {}] }, /function handler/, /\$\.a\[1\]/],
    ['an arrow function', [() => 1], /function/, /\$\[0\]/],
    ['a symbol', { s: Symbol('x') }, /symbol/, /\$\.s/],
    ['a WeakMap', { cache: new WeakMap() }, /WeakMap/, /\$\.cache/],
    ['a WeakSet', [new WeakSet()], /WeakSet/, /\$\[0\]/],
    ['a Promise', { p: Promise.resolve() }, /Promise/, /\$\.p/],
    ['an unregistered class', { deep: { list: [new Widget()] } }, /Widget/, /\$\.deep\.list\[0\]/],
    ['a subclass of Map', { 'odd key': new MyMap() }, /MyMap/, /\$\["odd key"\]/],
    ['a subclass of Array', { xs: new (class Stack extends Array {})() }, /Stack/, /\$\.xs/],
    ['a value in a Map', new Map([['k', () => 1]]), /function/, /\$\.get\("k"\)/],
    ['a boxed string', [Object('s')], /String/, /\$\[0\]/],
  ] as const) {
    for (const [how, run] of [
      ['encode', () => codec.encode(value)],
      ['canonical', () => codec.canonical(value)],
    ] as const) {
      const err = rejects(t, run, 'CM_ERR_UNSUPPORTED_TYPE', type, `${how}: ${name}`)
      t.match(err.message, path, `${how}: ${name}: the message names the path`)
      if (typeof value === 'object' && !/function|symbol/.test(String(type))) {
        t.match(
          err.message,
          /registerClass|registerType/,
          `${how}: ${name}: the message says how to register`,
        )
      }
    }
  }
  const err = caught(() => codec.encode({ a: new Widget() }))
  t.same(err.details, { type: 'Widget', path: '$.a' })
})

t.test('cycles are reported, never a stack overflow', async (t) => {
  const self: Record<string, unknown> = { a: 1 }
  self.self = self
  const list: unknown[] = [1]
  list.push({ back: list })
  const viaMap = new Map<string, unknown>()
  viaMap.set('me', viaMap)
  const viaSet = new Set<unknown>()
  viaSet.add([viaSet])
  const viaCause = new Error('loop')
  viaCause.cause = { err: viaCause }
  const a: Record<string, unknown> = {}
  const b: Record<string, unknown> = { a }
  a.b = b
  for (const [name, value, where] of [
    ['object', self, /\$\.self refers back to \$/],
    ['array', list, /\$\[1\]\.back refers back to \$/],
    ['Map', viaMap, /refers back to \$/],
    ['Set', viaSet, /refers back to \$/],
    ['Error cause', viaCause, /refers back to \$/],
    ['two objects', { root: a }, /\$\.root\.b\.a refers back to \$\.root/],
  ] as const) {
    rejects(t, () => encode(value), 'CM_ERR_CYCLE', where, `encode: ${name}`)
    rejects(t, () => canonicalEncode(value), 'CM_ERR_CYCLE', where, `canonical: ${name}`)
    rejects(t, () => stringify(value), 'CM_ERR_CYCLE', undefined, `stringify: ${name}`)
  }
  const shared = { leaf: 1n }
  t.same(
    decode(encode([shared, shared])),
    [{ leaf: 1n }, { leaf: 1n }],
    'a shared (acyclic) reference is no cycle',
  )
  const huge = new Codec({ maxDepth: 10_000_000 })
  rejects(
    t,
    () => huge.encode(self),
    'CM_ERR_CYCLE',
    undefined,
    'a maxDepth above the stack: still a cycle error',
  )
  rejects(t, () => huge.canonical(list), 'CM_ERR_CYCLE', undefined, 'canonical, maxDepth above the stack')
  rejects(t, () => huge.stringify(viaMap), 'CM_ERR_CYCLE', undefined, 'stringify, maxDepth above the stack')
})

t.test('deep nesting → CM_ERR_MAX_DEPTH in encode, decode and canonical', async (t) => {
  const levels = 100_000
  let arrays: unknown = []
  let objects: unknown = { leaf: true }
  let tree: unknown = null
  for (let i = 0; i < levels; i++) {
    arrays = [arrays]
    objects = { o: objects }
    tree = { t: tree }
  }
  for (const [name, value] of [
    ['arrays', arrays],
    ['objects', objects],
  ] as const) {
    const err = rejects(t, () => encode(value), 'CM_ERR_MAX_DEPTH', /maxDepth \(512\)/, `encode ${name}`)
    t.same(err.details, { limit: 512 })
    rejects(t, () => canonicalEncode(value), 'CM_ERR_MAX_DEPTH', undefined, `canonical ${name}`)
    rejects(t, () => decode(value), 'CM_ERR_MAX_DEPTH', undefined, `decode ${name}`)
  }
  rejects(t, () => decode(tree), 'CM_ERR_MAX_DEPTH', undefined, 'decode a deep tree')
  const text = '['.repeat(levels) + ']'.repeat(levels)
  rejects(t, () => parse(text), 'CM_ERR_MAX_DEPTH', undefined, 'parse deep JSON text')
  const mapText = '{"__type__":"Map","entries":[[1,'.repeat(2000) + '1' + ']]}'.repeat(2000)
  rejects(t, () => parse(mapText), 'CM_ERR_MAX_DEPTH', undefined, 'parse deep tagged text')

  // maxDepth counts nested containers: 3 allows [[[1]]] and refuses [[[[1]]]].
  const shallow = new Codec({ maxDepth: 3 })
  t.same(shallow.encode([[[1n]]]), [[[{ __type__: 'bigint', value: '1' }]]], 'within the limit')
  t.same(shallow.decode([[[1]]]), [[[1]]], 'within the limit')
  t.equal(shallow.canonical({ a: { b: { c: 1 } } }), '{"a":{"b":{"c":1}}}', 'within the limit')
  rejects(t, () => shallow.encode([[[[1]]]]), 'CM_ERR_MAX_DEPTH', /maxDepth \(3\)/)
  rejects(t, () => shallow.canonical({ a: { b: { c: {} } } }), 'CM_ERR_MAX_DEPTH')
  rejects(t, () => shallow.decode([[[[1]]]]), 'CM_ERR_MAX_DEPTH')
  rejects(
    t,
    () => shallow.encode(new Map([[1, new Map([[1, new Set([[]])]])]])),
    'CM_ERR_MAX_DEPTH',
    undefined,
    'Map and Set count',
  )
  const wide = Array.from({ length: 100 }, () => [[1]])
  t.equal(shallow.canonical(wide).length, 601, 'the native path respects the limit too (within)')
  rejects(
    t,
    () => shallow.canonical(Array.from({ length: 100 }, () => [[[1]]])),
    'CM_ERR_MAX_DEPTH',
    undefined,
    'native path',
  )
  const huge = new Codec({ maxDepth: 10_000_000 })
  rejects(
    t,
    () => huge.encode(arrays),
    'CM_ERR_MAX_DEPTH',
    /call stack/,
    'maxDepth above the stack: a depth error',
  )
  rejects(t, () => huge.stringify(objects), 'CM_ERR_MAX_DEPTH', /call stack/, 'stringify, above the stack')
  rejects(t, () => huge.canonical(objects), 'CM_ERR_MAX_DEPTH', /call stack/, 'canonical, above the stack')
  rejects(t, () => huge.decode(tree), 'CM_ERR_MAX_DEPTH', /call stack/, 'decode, above the stack')
})

t.test('maxBytes on stringify and parse', async (t) => {
  const codec = new Codec({ maxBytes: 100 })
  t.equal(codec.stringify('x'.repeat(98)).length, 100, 'exactly at the limit is fine')
  rejects(t, () => codec.stringify('x'.repeat(99)), 'CM_ERR_MAX_BYTES', /maxBytes \(100 bytes\)/)
  rejects(
    t,
    () => codec.stringify('€'.repeat(40)),
    'CM_ERR_MAX_BYTES',
    undefined,
    'counted in UTF-8 bytes, not characters',
  )
  t.equal(codec.stringify('€'.repeat(32)).length, 34, '32 × 3 bytes + quotes fits')
  rejects(t, () => codec.parse(`"${'x'.repeat(99)}"`), 'CM_ERR_MAX_BYTES')
  rejects(
    t,
    () => codec.parse(`"${'é'.repeat(50)}"`),
    'CM_ERR_MAX_BYTES',
    undefined,
    'parse counts UTF-8 bytes',
  )
  t.equal(codec.parse(`"${'é'.repeat(49)}"`), 'é'.repeat(49))
  const err = caught(() => codec.stringify([1n, 'x'.repeat(100)]))
  t.equal(err.statusCode, 413)
  t.same(err.details, { limit: 100 })
})

t.test('decode refuses unknown tags, naming them', async (t) => {
  const err = rejects(t, () => decode({ __type__: 'Nope', value: 1 }), 'CM_ERR_UNKNOWN_TYPE', /"Nope"/)
  t.match(err.message, /register/)
  t.same(err.details, { tag: 'Nope' })
  rejects(
    t,
    () => parse('[{"a":{"__type__":"acme.Thing","value":{}}}]'),
    'CM_ERR_UNKNOWN_TYPE',
    /acme\.Thing/,
  )
})

t.test('malformed tagged nodes → CM_ERR_MALFORMED', async (t) => {
  const cases: [string, unknown][] = [
    ['bad base64', { __type__: 'Uint8Array', base64: 'not base64!' }],
    ['base64 with one char too many', { __type__: 'Uint8Array', base64: 'AAAAA' }],
    ['bad padding', { __type__: 'Uint8Array', base64: 'AB=' }],
    ['base64 not a string', { __type__: 'ArrayBuffer', base64: 12 }],
    ['missing base64', { __type__: 'Buffer' }],
    ['wrong byte length for Float64Array', { __type__: 'Float64Array', base64: 'AAAA' }],
    ['wrong byte length for Int32Array', { __type__: 'Int32Array', base64: 'AAAAAAA=' }],
    ['bigint "1.5"', { __type__: 'bigint', value: '1.5' }],
    ['bigint "01"', { __type__: 'bigint', value: '01' }],
    ['bigint "-"', { __type__: 'bigint', value: '-' }],
    ['bigint as a number', { __type__: 'bigint', value: 1 }],
    ['bigint "1e3"', { __type__: 'bigint', value: '1e3' }],
    ['number tag "1"', { __type__: 'number', value: '1' }],
    ['invalid RegExp flags', { __type__: 'RegExp', source: 'a', flags: 'x' }],
    ['repeated RegExp flags', { __type__: 'RegExp', source: 'a', flags: 'gg' }],
    ['invalid RegExp source', { __type__: 'RegExp', source: '(', flags: '' }],
    ['RegExp source not a string', { __type__: 'RegExp', source: 1, flags: '' }],
    ['Map entries not pairs', { __type__: 'Map', entries: [[1]] }],
    ['Map entries of three', { __type__: 'Map', entries: [[1, 2, 3]] }],
    ['Map entries not an array', { __type__: 'Map', entries: {} }],
    ['Set values missing', { __type__: 'Set' }],
    ['object entries with a number key', { __type__: 'object', entries: [[1, 2]] }],
    ['object entries not pairs', { __type__: 'object', entries: ['a'] }],
    ['non-string __type__ (number)', { __type__: 7 }],
    ['non-string __type__ (object)', { __type__: { name: 'Map' } }],
    ['non-string __type__ (null)', { __type__: null }],
    ['Date text that is no date', { __type__: 'Date', value: 'yesterday' }],
    ['Date as a number', { __type__: 'Date', value: 0 }],
    ['URL that is no URL', { __type__: 'URL', value: '/relative' }],
    ['Error without message', { __type__: 'Error', name: 'Error' }],
    ['Error with a numeric stack', { __type__: 'Error', name: 'Error', message: 'm', stack: 1 }],
    ['a Date instance inside a tree', { when: new Date() }],
    ['a class instance inside a tree', [new (class Thing {})()]],
    ['a Map inside a tree', { m: new Map() }],
    ['a function inside a tree', { f: () => 1 }],
    ['undefined inside a tree', [undefined]],
    ['a bigint inside a tree', { n: 1n }],
  ]
  for (const [name, tree] of cases) rejects(t, () => decode(tree), 'CM_ERR_MALFORMED', undefined, name)
  rejects(
    t,
    () =>
      new Codec()
        .registerClass(
          class P {
            readonly p = true
            static fromJSON() {
              return new P()
            }
          },
        )
        .decode({ __type__: 'P' }),
    'CM_ERR_MALFORMED',
    /value/,
    'registered tag without a value',
  )
})

t.test('invalid JSON text → CM_ERR_MALFORMED', async (t) => {
  for (const text of ['', '{', '{"a":1,}', "{'a':1}", 'undefined', 'NaN', '[1,]', '"\\x"']) {
    const err = rejects(t, () => parse(text), 'CM_ERR_MALFORMED', /not valid JSON/, JSON.stringify(text))
    t.ok(err.cause instanceof SyntaxError, 'the parser error is kept as the cause')
  }
  rejects(t, () => parse(42 as never), 'CM_ERR_INVALID_ARGUMENT', /string/)
})

t.test('a registered decoder that throws yields CM_ERR_MALFORMED with the cause kept', async (t) => {
  const codec = new Codec()
  codec.registerType({
    name: 'test.Even',
    is: (v) => v instanceof Number,
    encode: (v: number) => Number(v),
    decode: (n: number) => {
      if (n % 2 !== 0) throw new RangeError('odd number')
      return n
    },
  })
  const err = await t.rejects(async () => codec.decode({ __type__: 'test.Even', value: 3 }))
  t.equal((err as { code?: string }).code, 'CM_ERR_MALFORMED')
  t.match((err as Error).message, /odd number/)
  t.type((err as Error).cause, RangeError)
  t.equal(codec.getType('test.Even')?.name, 'test.Even')
  t.equal(codec.getType('Map'), undefined)
})

t.test('a predicate that throws does not claim the value (normal unsupported-type error)', async (t) => {
  const codec = new Codec()
  codec.registerType({
    name: 'test.Fragile',
    is: (v) => (v as { constructor: { prototype: unknown } }).constructor.prototype !== undefined,
    encode: () => 1,
    decode: () => 1,
  })
  const odd = Object.create(Object.create(null))
  t.throws(() => codec.encode(odd), { code: 'CM_ERR_UNSUPPORTED_TYPE' })
  t.throws(() => codec.canonical(odd), { code: 'CM_ERR_UNSUPPORTED_TYPE' })
  t.throws(() => codec.stringify(odd), { code: 'CM_ERR_UNSUPPORTED_TYPE' })
})
