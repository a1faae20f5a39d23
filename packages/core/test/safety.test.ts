import t, { type Test } from 'tap'
import { Codec, type CompManagerError, decode, encode, parse, stringify } from '../src/index.js'

const prototypes = [
  Object.prototype,
  Array.prototype,
  Function.prototype,
  Map.prototype,
  Error.prototype,
] as const

function snapshot(): string[][] {
  return prototypes.map((p) => Reflect.ownKeys(p).map(String).sort())
}

/** Runs `fn`, then checks that no built-in prototype gained, lost or changed a key. */
function pristine(t: Test, name: string, fn: () => void): void {
  const before = snapshot()
  const protoOfPlain = Object.getPrototypeOf({})
  fn()
  t.same(snapshot(), before, `${name}: built-in prototypes unchanged`)
  t.equal(Object.getPrototypeOf({}), protoOfPlain, `${name}: {} still inherits from Object.prototype`)
  t.equal(({} as Record<string, unknown>).polluted, undefined, `${name}: {}.polluted is undefined`)
  t.equal(([] as unknown as Record<string, unknown>).polluted, undefined, `${name}: [].polluted is undefined`)
}

/** `key` is an own, enumerable data property of `obj`, holding a plain object with `polluted: true`. */
function ownDataKey(t: Test, obj: unknown, key: string, name: string): void {
  const desc = Object.getOwnPropertyDescriptor(obj as object, key)
  t.ok(desc, `${name}: ${key} is an own property`)
  t.ok(
    desc && 'value' in desc && desc.enumerable && desc.writable,
    `${name}: ${key} is a plain data property`,
  )
  t.equal(Object.getPrototypeOf(obj), Object.prototype, `${name}: the object's prototype is untouched`)
}

const POISON = '{"polluted":true}'

t.test('__proto__, constructor and prototype keys stay data', async (t) => {
  const texts: [string, string, (v: unknown) => [unknown, string][]][] = [
    ['top-level __proto__', `{"__proto__":${POISON}}`, (v) => [[v, '__proto__']]],
    [
      '__proto__ next to a rich value (copied object)',
      `{"__proto__":${POISON},"n":{"__type__":"bigint","value":"1"}}`,
      (v) => [[v, '__proto__']],
    ],
    [
      '__proto__ after a rich value',
      `{"n":{"__type__":"bigint","value":"1"},"__proto__":${POISON}}`,
      (v) => [[v, '__proto__']],
    ],
    [
      'nested __proto__',
      `{"a":{"b":[{"__proto__":${POISON}}]}}`,
      (v) => [[(v as { a: { b: unknown[] } }).a.b[0], '__proto__']],
    ],
    [
      'constructor.prototype',
      `{"constructor":{"prototype":${POISON}}}`,
      (v) => [
        [v, 'constructor'],
        [(v as { constructor: unknown }).constructor, 'prototype'],
      ],
    ],
    ['prototype', `{"prototype":${POISON},"x":{"__type__":"undefined"}}`, (v) => [[v, 'prototype']]],
    [
      'inside Map entries',
      `{"__type__":"Map","entries":[["__proto__",{"__proto__":${POISON}}],[{"__proto__":${POISON}},1]]}`,
      (v) => {
        const map = v as Map<unknown, unknown>
        return [
          [map.get('__proto__'), '__proto__'],
          [[...map.keys()][1], '__proto__'],
        ]
      },
    ],
    [
      'inside an escaped object',
      `{"__type__":"object","entries":[["__type__","x"],["__proto__",${POISON}],["constructor",{"prototype":${POISON}}]]}`,
      (v) => [
        [v, '__proto__'],
        [v, 'constructor'],
        [(v as { constructor: unknown }).constructor, 'prototype'],
      ],
    ],
    [
      'inside a Set',
      `{"__type__":"Set","values":[{"__proto__":${POISON}}]}`,
      (v) => [[[...(v as Set<unknown>)][0], '__proto__']],
    ],
    [
      'inside an Error cause',
      `{"__type__":"Error","name":"Error","message":"m","cause":{"__proto__":${POISON}}}`,
      (v) => [[(v as Error).cause, '__proto__']],
    ],
    [
      'array of __proto__ objects',
      `[{"__proto__":[]},{"__proto__":${POISON}}]`,
      (v) => [[(v as unknown[])[1], '__proto__']],
    ],
  ]
  for (const [name, text, owners] of texts) {
    for (const [how, run] of [
      ['parse', () => parse(text)],
      ['decode', () => decode(JSON.parse(text))],
    ] as const) {
      let value: unknown
      pristine(t, `${how}: ${name}`, () => {
        value = run()
      })
      for (const [obj, key] of owners(value)) ownDataKey(t, obj, key, `${how}: ${name}`)
    }
  }
})

t.test('encode and stringify keep a __proto__ key as data too', async (t) => {
  const value = JSON.parse(`{"__proto__":${POISON},"big":1}`)
  value.big = 10n
  pristine(t, 'stringify', () => {
    const text = stringify(value)
    t.match(text, /"__proto__":\{"polluted":true\}/)
    const back = parse(text)
    ownDataKey(t, back, '__proto__', 'round trip')
    ownDataKey(t, encode(value), '__proto__', 'encoded copy')
  })
  const escaped = JSON.parse(`{"__type__":"x","__proto__":${POISON}}`)
  pristine(t, 'escaped object', () => {
    ownDataKey(t, parse(stringify(escaped)), '__proto__', 'escaped object round trip')
  })
})

t.test('decoding never runs code named by the input', async (t) => {
  let calls = 0
  const spy = () => {
    calls++
    return 'pwned'
  }
  const g = globalThis as Record<string, unknown>
  g.cmSpy = spy
  t.teardown(() => {
    delete g.cmSpy
  })
  const decodeCalls: unknown[] = []
  const codec = new Codec().registerType({
    name: 'Known',
    is: () => false,
    encode: (v) => v,
    decode: (v) => {
      decodeCalls.push(v)
      return v
    },
  })
  // Tags are looked up in the codec's own tables only: never on globals, prototypes or the registry's prototype.
  for (const tag of [
    'cmSpy',
    'eval',
    'Function',
    'constructor',
    '__proto__',
    'toString',
    'hasOwnProperty',
    'valueOf',
    'process',
    'require',
    'import',
  ]) {
    const err = (() => {
      try {
        codec.decode({ __type__: tag, value: 'globalThis.cmSpy()' })
      } catch (e) {
        return e as CompManagerError
      }
    })()
    t.equal(err?.code, 'CM_ERR_UNKNOWN_TYPE', `tag ${tag} is unknown`)
  }
  // Error names are data: a fixed list of constructors, anything else is a plain Error with that name.
  for (const name of ['cmSpy', 'Function', 'constructor', '__proto__', 'toString']) {
    const err = codec.decode({ __type__: 'Error', name, message: 'm' }) as Error
    t.equal(Object.getPrototypeOf(err), Error.prototype, `Error named ${name} is a plain Error`)
    t.equal(err.name, name)
  }
  // Keys that would be methods elsewhere are plain data.
  const tree = JSON.parse(
    '{"toJSON":"cmSpy","valueOf":{"__type__":"bigint","value":"1"},"then":"cmSpy","toString":1}',
  )
  const value = codec.decode(tree) as Record<string, unknown>
  t.equal(value.toJSON, 'cmSpy')
  t.equal(value.valueOf, 1n)
  t.equal(value.then, 'cmSpy', 'a "then" key is data (the result is no thenable)')
  for (const [key, desc] of Object.entries(Object.getOwnPropertyDescriptors(value))) {
    t.ok('value' in desc, `${key}: no getter or setter was created`)
  }
  codec.decode({ __type__: 'RegExp', source: '(?:cmSpy())', flags: 'g' })
  codec.decode({ __type__: 'URL', value: 'javascript:cmSpy()' })
  t.equal(calls, 0, 'nothing from the input was called')
  t.same(decodeCalls, [], 'a registered decode runs only for its own tag…')
  codec.decode({ __type__: 'Known', value: 1 })
  t.same(decodeCalls, [1], '…and then with data only')
})

t.test('tag names from the input are truncated in messages', async (t) => {
  const long = 'x'.repeat(10_000)
  for (const [name, run] of [
    ['decode', () => decode({ __type__: long })],
    ['parse', () => parse(JSON.stringify({ __type__: long, value: 1 }))],
  ] as const) {
    let err: CompManagerError | undefined
    try {
      run()
    } catch (e) {
      err = e as CompManagerError
    }
    t.equal(err?.code, 'CM_ERR_UNKNOWN_TYPE', name)
    t.ok(err!.message.length < 200, `${name}: message is short (${err!.message.length} chars)`)
    t.match(err!.message, /"x{64}…"/, `${name}: the tag's start is shown, marked as cut`)
    t.equal((err!.details as { tag: string }).tag.length, 64, `${name}: details.tag is cut too`)
  }
  let err: CompManagerError | undefined
  try {
    decode({ __type__: { huge: long } })
  } catch (e) {
    err = e as CompManagerError
  }
  t.equal(err?.code, 'CM_ERR_MALFORMED')
  t.ok(err!.message.length < 200, 'a non-string tag is described by its type, not printed')
})

t.test('limits apply before work: parse checks maxBytes before JSON.parse', async (t) => {
  const codec = new Codec({ maxBytes: 1024 })
  // Invalid JSON over the limit is refused for its size: the text was never parsed.
  t.throws(() => codec.parse(`[${'1,'.repeat(10_000)}`), { code: 'CM_ERR_MAX_BYTES' })
  t.throws(
    () => codec.parse(`{"__type__":"Nope"${' '.repeat(2000)}}`),
    { code: 'CM_ERR_MAX_BYTES' },
    'before any tag is read',
  )
})
