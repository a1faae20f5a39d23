import fc from 'fast-check'
import t from 'tap'
import { Codec, hashKey } from '../src/index.js'
import { canonicalTree } from './fixtures/canonical-tree.js'

// Property-based tests: round trips, "equal → same key" and "different → different key", against a
// reference structural equality written here with the codec's semantics.

// biome-ignore lint/complexity/useRegexLiterals: a `v`-flag literal needs target ES2024 (the tsconfig targets ES2023)
const V_FLAG = new RegExp('[\\p{L}--[a-z]]', 'v')

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
const runs = { numRuns: 300 }

// ── arbitraries ─────────────────────────────────────────────────────────────────────────────────

/** An object with the given entries as own data properties (so `__proto__` is a key, not a prototype). */
function objectOf(entries: [string, unknown][]): Record<string, unknown> {
  const obj: Record<string, unknown> = {}
  for (const [k, v] of entries)
    Object.defineProperty(obj, k, { value: v, enumerable: true, writable: true, configurable: true })
  return obj
}

const keyArb = fc.oneof(
  fc.string({ maxLength: 4 }),
  fc.string({ maxLength: 3, unit: 'binary' }),
  fc.constantFrom(
    '__type__',
    '__proto__',
    'constructor',
    'prototype',
    'toString',
    'value',
    'entries',
    '',
    '0',
    '10',
    '9',
  ),
)

const primitiveArb = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.string({ maxLength: 8, unit: 'binary' }),
  fc.double(),
  fc.integer(),
  fc.constantFrom(0, -0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e21, 5e-324),
  fc.bigInt(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
)

const typedArrayArb = fc.oneof(
  fc.int8Array({ maxLength: 8 }),
  fc.uint8Array({ maxLength: 200 }),
  fc.uint8ClampedArray({ maxLength: 8 }),
  fc.int16Array({ maxLength: 8 }),
  fc.uint16Array({ maxLength: 8 }),
  fc.int32Array({ maxLength: 8 }),
  fc.uint32Array({ maxLength: 8 }),
  fc.float32Array({ maxLength: 8 }),
  fc.float64Array({ maxLength: 8 }),
  fc.bigInt64Array({ maxLength: 4 }),
  fc.bigUint64Array({ maxLength: 4 }),
  fc.uint8Array({ minLength: 24, maxLength: 40 }).map((a) => new Float64Array(a.buffer, 8, 2)),
  fc.uint8Array({ maxLength: 120 }).map((a) => a.buffer),
  fc.uint8Array({ minLength: 8, maxLength: 16 }).map((a) => new DataView(a.buffer, 3, 4)),
  fc.uint8Array({ maxLength: 120 }).map((a) => Buffer.from(a)),
)

const { value: richArb } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    primitiveArb,
    tie('array'),
    tie('object'),
    tie('builtin'),
  ),
  array: fc.array(tie('value'), { maxLength: 5 }),
  object: fc
    .uniqueArray(fc.tuple(keyArb, tie('value')), { selector: ([k]) => k, maxLength: 5 })
    .map(objectOf),
  builtin: fc.oneof(
    fc.date({ noInvalidDate: false }),
    fc.array(fc.tuple(tie('value'), tie('value')), { maxLength: 4 }).map((entries) => new Map(entries)),
    fc.array(tie('value'), { maxLength: 4 }).map((values) => new Set(values)),
    fc.constantFrom(/a+b/, /^x$/gimsuy, /\d+/d, V_FLAG, /"\\\//y),
    fc.webUrl({ withQueryParameters: true, withFragments: true }).map((u) => new URL(u)),
    fc
      .tuple(
        fc.constantFrom(Error, TypeError, RangeError),
        fc.string(),
        fc.option(tie('value')),
        fc.option(fc.string()),
      )
      .map(([Ctor, message, cause, code]) => {
        const err = cause === null ? new Ctor(message) : new Ctor(message, { cause })
        if (code !== null) Object.assign(err, { code })
        return err
      }),
    typedArrayArb,
    fc.tuple(fc.double(), fc.double()).map(([x, y]) => new Point(x, y)),
  ),
}))

/** A small domain, so that two independent draws are often equal. */
const { value: tinyArb } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom<unknown>(0, -0, 1, '1', 1n, Number.NaN, null, undefined, '', true, 'a'),
    fc.array(tie('value'), { maxLength: 2 }),
    fc
      .uniqueArray(fc.tuple(fc.constantFrom('a', 'b', '__type__'), tie('value')), {
        selector: ([k]) => k,
        maxLength: 2,
      })
      .map(objectOf),
    fc.array(fc.tuple(tie('value'), tie('value')), { maxLength: 2 }).map((e) => new Map(e)),
    fc.array(tie('value'), { maxLength: 2 }).map((v) => new Set(v)),
    fc.constantFrom(0, Number.NaN).map((time) => new Date(time)),
    fc
      .constantFrom(
        () => new Uint8Array([0, 0, 0, 0, 0, 0, 240, 63]),
        () => new Float64Array([1]),
        () => Buffer.from([0, 0, 0, 0, 0, 0, 240, 63]),
        () => new Error('e'),
        () => new TypeError('e'),
        () => new Point(1, 2),
        () => ({ x: 1, y: 2 }),
      )
      .map((make) => make()),
  ),
}))

// ── the reference: structural equality with the codec's semantics ────────────────────────────────
// -0 ≠ 0, NaN = NaN, undefined ≠ missing key, Map and Set unordered, typed arrays by kind and bytes,
// Errors by name, message, code and cause (not stack), null-prototype objects as plain objects.
// `strict` (for round trips) also requires the same prototype for errors and the same stack.

function kind(v: object): string {
  const proto = Object.getPrototypeOf(v)
  if (proto === null || proto === Object.prototype) return 'object'
  if (Array.isArray(v)) return 'array'
  if (v instanceof Error) return 'Error'
  return proto.constructor.name
}

function bytesOf(v: ArrayBufferView | ArrayBuffer): number[] {
  return v instanceof ArrayBuffer
    ? [...new Uint8Array(v)]
    : [...new Uint8Array(v.buffer, v.byteOffset, v.byteLength)]
}

function matchAll<T>(a: T[], b: T[], eq: (x: T, y: T) => boolean): boolean {
  if (a.length !== b.length) return false
  const used = new Array<boolean>(b.length).fill(false)
  // Equality is an equivalence, so a greedy matching finds a perfect one when it exists.
  return a.every((x) => {
    const j = b.findIndex((y, i) => !used[i] && eq(x, y))
    if (j === -1) return false
    used[j] = true
    return true
  })
}

function same(a: unknown, b: unknown, strict = false): boolean {
  if (typeof a !== typeof b) return false
  if (typeof a !== 'object' || a === null || b === null) return Object.is(a, b)
  const x = a as object
  const y = b as object
  const k = kind(x)
  if (k !== kind(y)) return false
  const eq = (p: unknown, q: unknown) => same(p, q, strict)
  switch (k) {
    case 'array': {
      const p = x as unknown[]
      const q = y as unknown[]
      return p.length === q.length && p.every((item, i) => eq(item, q[i]))
    }
    case 'object': {
      const pk = Object.keys(x).sort()
      const qk = Object.keys(y).sort()
      return (
        pk.length === qk.length &&
        pk.every(
          (key, i) =>
            key === qk[i] && eq((x as Record<string, unknown>)[key], (y as Record<string, unknown>)[key]),
        )
      )
    }
    case 'Map':
      return matchAll(
        [...(x as Map<unknown, unknown>)],
        [...(y as Map<unknown, unknown>)],
        (p, q) => eq(p[0], q[0]) && eq(p[1], q[1]),
      )
    case 'Set':
      return matchAll([...(x as Set<unknown>)], [...(y as Set<unknown>)], eq)
    case 'Date':
      return Object.is((x as Date).getTime(), (y as Date).getTime())
    case 'RegExp':
      return (x as RegExp).source === (y as RegExp).source && (x as RegExp).flags === (y as RegExp).flags
    case 'URL':
      return (x as URL).href === (y as URL).href
    case 'Point':
      return Object.is((x as Point).x, (y as Point).x) && Object.is((x as Point).y, (y as Point).y)
    case 'Error': {
      const p = x as Error & { code?: unknown }
      const q = y as Error & { code?: unknown }
      const codeOf = (e: { code?: unknown }) => (typeof e.code === 'string' ? e.code : undefined)
      if (strict && (Object.getPrototypeOf(p) !== Object.getPrototypeOf(q) || p.stack !== q.stack))
        return false
      return (
        p.name === q.name &&
        p.message === q.message &&
        codeOf(p) === codeOf(q) &&
        Object.hasOwn(p, 'cause') === Object.hasOwn(q, 'cause') &&
        eq(p.cause, q.cause)
      )
    }
    default:
      if (ArrayBuffer.isView(x) || x instanceof ArrayBuffer) {
        const p = bytesOf(x as ArrayBufferView)
        const q = bytesOf(y as ArrayBufferView)
        return p.length === q.length && p.every((byte, i) => byte === q[i])
      }
      throw new Error(`the oracle does not know ${k}`)
  }
}

/** A copy of `v` built in another order: object keys, Map entries and Set values shuffled; new Errors. */
function rebuilt(v: unknown, rand: () => number): unknown {
  const shuffle = <T>(items: T[]): T[] => {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1))
      ;[items[i], items[j]] = [items[j]!, items[i]!]
    }
    return items
  }
  if (typeof v !== 'object' || v === null) return v
  switch (kind(v)) {
    case 'array':
      return (v as unknown[]).map((item) => rebuilt(item, rand))
    case 'object':
      return objectOf(shuffle(Object.entries(v)).map(([k, item]) => [k, rebuilt(item, rand)]))
    case 'Map':
      return new Map(
        shuffle([...(v as Map<unknown, unknown>)]).map(([k, item]) => [
          rebuilt(k, rand),
          rebuilt(item, rand),
        ]),
      )
    case 'Set':
      return new Set(shuffle([...(v as Set<unknown>)]).map((item) => rebuilt(item, rand)))
    case 'Date':
      return new Date((v as Date).getTime())
    case 'Error': {
      const e = v as Error & { code?: unknown }
      const Ctor = e.constructor as ErrorConstructor
      const copy = Object.hasOwn(e, 'cause')
        ? new Ctor(e.message, { cause: rebuilt(e.cause, rand) })
        : new Ctor(e.message)
      if (Object.hasOwn(e, 'code')) Object.assign(copy, { code: e.code })
      return copy
    }
    default:
      return v
  }
}

function seeded(seed: number): () => number {
  let s = seed >>> 0 || 1
  return () => {
    s ^= s << 13
    s ^= s >>> 17
    s ^= s << 5
    return (s >>> 0) / 4294967296
  }
}

const key = (args: unknown) => hashKey({ fn: 'prop', args: [args] }, { codec }).key

// ── properties ──────────────────────────────────────────────────────────────────────────────────

t.test('the oracle itself', async (t) => {
  t.ok(
    same(
      new Map([
        [{}, 1],
        [{}, 2],
      ]),
      new Map([
        [{}, 2],
        [{}, 1],
      ]),
    ),
    'unordered Map with equal keys',
  )
  t.notOk(
    same(
      new Map([
        [{}, 1],
        [{}, 1],
      ]),
      new Map([
        [{}, 1],
        [{}, 2],
      ]),
    ),
  )
  t.notOk(same(0, -0))
  t.ok(same(Number.NaN, Number.NaN))
  t.notOk(same({ a: undefined }, {}))
  t.notOk(same(new Uint8Array(8), new Float64Array(1)))
  t.notOk(same(new Point(1, 2), { x: 1, y: 2 }))
})

t.test('decode(encode(v)) and parse(stringify(v)) give v back', async (t) => {
  fc.assert(
    fc.property(richArb, (v) => {
      const viaTree = codec.decode(JSON.parse(JSON.stringify(codec.encode(v))))
      const viaText = codec.parse(codec.stringify(v))
      return same(viaTree, v, true) && same(viaText, v, true)
    }),
    runs,
  )
  t.pass('round trips hold')
})

t.test('stringify(v) === JSON.stringify(encode(v)) (the direct writer and the tree agree)', async (t) => {
  fc.assert(
    fc.property(richArb, (v) => codec.stringify(v) === JSON.stringify(codec.encode(v))),
    runs,
  )
  const big = fc.array(fc.oneof(richArb, fc.dictionary(fc.string(), fc.integer())), {
    minLength: 60,
    maxLength: 80,
  })
  fc.assert(
    fc.property(big, (v) => codec.stringify(v) === JSON.stringify(codec.encode(v))),
    { numRuns: 50 },
  )
  t.pass('stringify writes the encoded tree')
})

t.test('canonical(v) === canonicalTree(encode(v)) (the written-down algorithm)', async (t) => {
  fc.assert(
    fc.property(richArb, (v) => codec.canonical(v) === canonicalTree(codec.encode(v) as never)),
    runs,
  )
  // Large plain parts take the native path (arrays of 64+ items, objects of 64+ keys).
  const rows = fc.array(
    fc
      .uniqueArray(
        fc.tuple(keyArb, fc.oneof(fc.integer(), fc.string({ maxLength: 4 }), fc.constant(-0), richArb)),
        {
          selector: ([k]) => k,
          maxLength: 4,
        },
      )
      .map(objectOf),
    { minLength: 64, maxLength: 80 },
  )
  fc.assert(
    fc.property(rows, (v) => codec.canonical(v) === canonicalTree(codec.encode(v) as never)),
    { numRuns: 100 },
  )
  t.pass('the canonical writer follows HASHING.md')
})

t.test('equal → same key: order of keys, Map entries and Set values does not matter', async (t) => {
  fc.assert(
    fc.property(richArb, fc.integer(), (v, seed) => {
      const copy = rebuilt(v, seeded(seed))
      return same(copy, v) && codec.canonical(copy) === codec.canonical(v) && key(copy) === key(v)
    }),
    runs,
  )
  t.pass('rebuilt values keep their key')
})

t.test('keys equal ⇔ values equal (the reference oracle)', async (t) => {
  let equalPairs = 0
  let differentPairs = 0
  const check = (a: unknown, b: unknown) => {
    const equal = same(a, b)
    if (equal) equalPairs++
    else differentPairs++
    return (key(a) === key(b)) === equal
  }
  fc.assert(fc.property(tinyArb, tinyArb, check), { numRuns: 500 })
  fc.assert(fc.property(richArb, richArb, check), runs)
  fc.assert(
    fc.property(richArb, fc.integer(), (v, seed) => check(v, rebuilt(v, seeded(seed)))),
    runs,
  )
  t.ok(equalPairs > 100, `equal pairs were generated (${equalPairs})`)
  t.ok(differentPairs > 100, `different pairs were generated (${differentPairs})`)
})

t.test('Date texts are exactly toISOString, over the whole Date range', async (t) => {
  fc.assert(
    fc.property(fc.integer({ min: -8.64e15, max: 8.64e15 }), (time) => {
      const date = new Date(time)
      const tree = codec.encode(date) as { value: string }
      const back = codec.decode(tree) as Date
      return tree.value === date.toISOString() && back.getTime() === time
    }),
    { numRuns: 2000 },
  )
  t.pass('dates hold')
})

t.test('base64 of any length decodes to the same bytes', async (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
      const tree = codec.encode(bytes) as { base64: string }
      const back = codec.decode(tree) as Uint8Array
      return (
        tree.base64 === Buffer.from(bytes).toString('base64') && Buffer.from(back).equals(Buffer.from(bytes))
      )
    }),
    { numRuns: 500 },
  )
  t.pass('base64 holds')
})
