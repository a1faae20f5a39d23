import type { Store } from '@comp-manager/core'
import type { Test } from 'tap'
import { cacheInput, claimInput, computationInput, NS_A } from '../fixtures.js'
import { canonicalJson, expectCode, type Harness } from '../harness.js'

/** A call that must reject with `CM_ERR_INVALID_ARGUMENT`. Arguments are deliberately untyped. */
type BadCall = [why: string, call: (store: Store) => unknown]

// biome-ignore lint/suspicious/noExplicitAny: the point is to pass what the types forbid
type Loose = any

const nest = (depth: number): unknown => (depth === 0 ? 'leaf' : { down: nest(depth - 1) })
/** `[1, <hole>, 3]`, built without a sparse literal. */
const withHole = (): unknown[] => {
  const array: unknown[] = new Array(3)
  array[0] = 1
  array[2] = 3
  return array
}
const cyclic = (): unknown => {
  const node: Record<string, unknown> = { name: 'loop' }
  node.self = node
  return node
}

const badNamespaces: unknown[] = [
  42,
  '',
  ' ',
  'has space',
  'a'.repeat(129),
  '$where',
  '__proto__',
  '../etc',
  'é',
  null,
]
const badKeys: unknown[] = [42, '', 'k'.repeat(257), { $ne: null }, null, undefined]

/** Values that are not plain JSON data, for `args` and `checkpoint`. */
const notJson: Array<[string, () => unknown]> = [
  ['a function', () => ({ f: () => 1 })],
  ['a BigInt', () => ({ n: 10n })],
  ['a Symbol', () => ({ s: Symbol('x') })],
  ['undefined inside', () => ({ u: undefined })],
  ['NaN', () => ({ n: Number.NaN })],
  ['Infinity', () => [Number.POSITIVE_INFINITY]],
  ['a Date', () => ({ when: new Date(0) })],
  ['a Map', () => ({ m: new Map([[1, 2]]) })],
  ['a class instance', () => ({ c: new (class Point {})() })],
  ['an array with a hole', () => withHole()],
  ['100 levels deep', () => nest(100)],
  ['a cycle', cyclic],
]

function computationCases(): BadCall[] {
  const c = (overrides: Record<string, unknown>) => ({ ...computationInput(), ...overrides })
  const cases: BadCall[] = [
    ['create(null)', (s) => s.computations.create(null as Loose)],
    ['create("text")', (s) => s.computations.create('text' as Loose)],
    ['create([])', (s) => s.computations.create([] as Loose)],
    ['create({})', (s) => s.computations.create({} as Loose)],
    ['create: function missing', (s) => s.computations.create(c({ function: undefined }) as Loose)],
    ['create: hash missing', (s) => s.computations.create(c({ hash: undefined }) as Loose)],
    ['create: function empty', (s) => s.computations.create(c({ function: '' }) as Loose)],
    ['create: function 513 chars', (s) => s.computations.create(c({ function: 'f'.repeat(513) }) as Loose)],
    ['create: function a number', (s) => s.computations.create(c({ function: 42 }) as Loose)],
    ['create: hash empty', (s) => s.computations.create(c({ hash: '' }) as Loose)],
    ['create: hash 257 chars', (s) => s.computations.create(c({ hash: 'h'.repeat(257) }) as Loose)],
    ['create: hash an operator', (s) => s.computations.create(c({ hash: { $ne: null } }) as Loose)],
    ['create: status finished', (s) => s.computations.create(c({ status: 'finished' }) as Loose)],
    ['create: status bogus', (s) => s.computations.create(c({ status: 'bogus' }) as Loose)],
    ['create: pid 1.5', (s) => s.computations.create(c({ pid: 1.5 }) as Loose)],
    ['create: pid a string', (s) => s.computations.create(c({ pid: '12' }) as Loose)],
    ['create: owner a number', (s) => s.computations.create(c({ owner: 42 }) as Loose)],
    ['create: leaseUntil -1', (s) => s.computations.create(c({ leaseUntil: -1 }) as Loose)],
    [
      'create: message over 64 KiB',
      (s) => s.computations.create(c({ message: 'm'.repeat(64 * 1024 + 1) }) as Loose),
    ],
    ['create: unknown field', (s) => s.computations.create(c({ color: 'red' }) as Loose)],
    ['create: $set field', (s) => s.computations.create(c({ $set: { status: 'finished' } }) as Loose)],
    ['claim: leaseMs 0', (s) => s.computations.claim(claimInput({ leaseMs: 0 }))],
    ['claim: leaseMs -1', (s) => s.computations.claim(claimInput({ leaseMs: -1 }))],
    ['claim: leaseMs NaN', (s) => s.computations.claim(claimInput({ leaseMs: Number.NaN }))],
    ['claim: leaseMs a string', (s) => s.computations.claim(claimInput({ leaseMs: '1000' as Loose }))],
    ['claim: onTerminal bogus', (s) => s.computations.claim(claimInput({ onTerminal: 'maybe' as Loose }))],
    ['claim: owner missing', (s) => s.computations.claim({ ...claimInput(), owner: undefined } as Loose)],
    ['claim(undefined)', (s) => s.computations.claim(undefined as Loose)],
    ['update: expected status bogus', (s) => s.computations.update(NS_A, 'some-id', 'done' as Loose, {})],
    ['update: patch null', (s) => s.computations.update(NS_A, 'some-id', 'queued', null as Loose)],
    [
      'update: status bogus',
      (s) => s.computations.update(NS_A, 'some-id', 'queued', { status: 'x' as Loose }),
    ],
    [
      'update: progress 2',
      (s) => s.computations.update(NS_A, 'some-id', 'queued', { progress: { fraction: 2 } }),
    ],
    [
      'update: progress extra field',
      (s) =>
        s.computations.update(NS_A, 'some-id', 'queued', { progress: { fraction: 0.5, eta: 3 } as Loose }),
    ],
    [
      'update: error without name',
      (s) => s.computations.update(NS_A, 'x', 'queued', { error: { message: 'm' } as Loose }),
    ],
    [
      'update: result with empty key',
      (s) => s.computations.update(NS_A, 'x', 'queued', { result: { cacheKey: '' } }),
    ],
    [
      'update: unknown field',
      (s) => s.computations.update(NS_A, 'some-id', 'queued', { color: 'red' } as Loose),
    ],
    [
      'update: $set operator',
      (s) => s.computations.update(NS_A, 'some-id', 'queued', { $set: { status: 'finished' } } as Loose),
    ],
    [
      'heartbeat: leaseUntil a string',
      (s) => s.computations.heartbeat(NS_A, 'x', { leaseUntil: 'soon' as Loose }),
    ],
    ['heartbeat: leaseUntil missing', (s) => s.computations.heartbeat(NS_A, 'x', {} as Loose)],
    ['heartbeat: null', (s) => s.computations.heartbeat(NS_A, 'x', null as Loose)],
    [
      'heartbeat: progress -1',
      (s) => s.computations.heartbeat(NS_A, 'x', { leaseUntil: 1, progress: { fraction: -1 } }),
    ],
    ['findExpired: limit 0', (s) => s.computations.findExpired({ limit: 0 })],
    ['findExpired: limit 1001', (s) => s.computations.findExpired({ limit: 1001 })],
    ['findExpired: limit a string', (s) => s.computations.findExpired({ limit: '5' as Loose })],
    ['findExpired: not an object', (s) => s.computations.findExpired('all' as Loose)],
    ['list(null)', (s) => s.computations.list(null as Loose)],
    ['list: namespace missing', (s) => s.computations.list({} as Loose)],
    ['list: namespace []', (s) => s.computations.list({ namespace: [] })],
    ['list: namespace [""]', (s) => s.computations.list({ namespace: [''] })],
    ['list: status bogus', (s) => s.computations.list({ namespace: NS_A, status: 'nope' as Loose })],
    ['list: status a number', (s) => s.computations.list({ namespace: NS_A, status: 5 as Loose })],
    ['list: status []', (s) => s.computations.list({ namespace: NS_A, status: [] })],
    [
      'list: status an operator',
      (s) => s.computations.list({ namespace: NS_A, status: { $in: ['x'] } as Loose }),
    ],
    ['list: function a number', (s) => s.computations.list({ namespace: NS_A, function: 42 as Loose })],
    [
      'list: function an operator',
      (s) => s.computations.list({ namespace: NS_A, function: { $ne: 1 } as Loose }),
    ],
    ['list: hash a number', (s) => s.computations.list({ namespace: NS_A, hash: 42 as Loose })],
    ['list: since a string', (s) => s.computations.list({ namespace: NS_A, since: 'yesterday' as Loose })],
    ['list: until NaN', (s) => s.computations.list({ namespace: NS_A, until: Number.NaN })],
  ]
  for (const ns of badNamespaces) {
    const label = JSON.stringify(ns) ?? String(ns)
    cases.push(
      [`create: namespace ${label}`, (s) => s.computations.create(c({ namespace: ns }) as Loose)],
      [`claim: namespace ${label}`, (s) => s.computations.claim(claimInput({ namespace: ns as Loose }))],
      [`get: namespace ${label}`, (s) => s.computations.get(ns as Loose, 'some-id')],
      [`getByHash: namespace ${label}`, (s) => s.computations.getByHash(ns as Loose, 'some-hash')],
      [`update: namespace ${label}`, (s) => s.computations.update(ns as Loose, 'some-id', 'queued', {})],
      [
        `heartbeat: namespace ${label}`,
        (s) => s.computations.heartbeat(ns as Loose, 'some-id', { leaseUntil: 1 }),
      ],
      [`expire: namespace ${label}`, (s) => s.computations.expire(ns as Loose, 'some-id')],
      [`delete: namespace ${label}`, (s) => s.computations.delete(ns as Loose, 'some-id')],
      [`list: namespace ${label}`, (s) => s.computations.list({ namespace: ns as Loose })],
    )
  }
  for (const key of badKeys) {
    const label = JSON.stringify(key) ?? String(key)
    cases.push(
      [`get: id ${label}`, (s) => s.computations.get(NS_A, key as Loose)],
      [`getByHash: hash ${label}`, (s) => s.computations.getByHash(NS_A, key as Loose)],
      [`update: id ${label}`, (s) => s.computations.update(NS_A, key as Loose, 'queued', {})],
      [`heartbeat: id ${label}`, (s) => s.computations.heartbeat(NS_A, key as Loose, { leaseUntil: 1 })],
      [`expire: id ${label}`, (s) => s.computations.expire(NS_A, key as Loose)],
      [`delete: id ${label}`, (s) => s.computations.delete(NS_A, key as Loose)],
    )
  }
  for (const [why, make] of notJson) {
    cases.push(
      [`create: args with ${why}`, (s) => s.computations.create(c({ args: make() }) as Loose)],
      [`claim: args with ${why}`, (s) => s.computations.claim(claimInput({ args: make() }))],
      [
        `update: checkpoint with ${why}`,
        (s) => s.computations.update(NS_A, 'x', 'queued', { checkpoint: make() }),
      ],
      [`cache.set: args with ${why}`, (s) => s.cache.set(cacheInput({ args: make() }))],
    )
  }
  return cases
}

function cacheCases(): BadCall[] {
  const e = (overrides: Record<string, unknown>) => ({ ...cacheInput(), ...overrides }) as Loose
  const cases: BadCall[] = [
    ['set(null)', (s) => s.cache.set(null as Loose)],
    ['set({})', (s) => s.cache.set({} as Loose)],
    ['set: value a number', (s) => s.cache.set(e({ value: 42 }))],
    ['set: value an object', (s) => s.cache.set(e({ value: { result: 1 } }))],
    ['set: value missing', (s) => s.cache.set(e({ value: undefined }))],
    ['set: key empty', (s) => s.cache.set(e({ key: '' }))],
    ['set: key 257 chars', (s) => s.cache.set(e({ key: 'k'.repeat(257) }))],
    ['set: key an operator', (s) => s.cache.set(e({ key: { $gt: '' } }))],
    ['set: algorithm empty', (s) => s.cache.set(e({ algorithm: '' }))],
    ['set: ttlMs 0', (s) => s.cache.set(e({ ttlMs: 0 }))],
    ['set: ttlMs -5', (s) => s.cache.set(e({ ttlMs: -5 }))],
    ['set: ttlMs a string', (s) => s.cache.set(e({ ttlMs: '100' }))],
    ['set: tags a string', (s) => s.cache.set(e({ tags: 'math' }))],
    ['set: tags with an empty tag', (s) => s.cache.set(e({ tags: [''] }))],
    ['set: tags with a number', (s) => s.cache.set(e({ tags: [42] }))],
    ['set: version a number', (s) => s.cache.set(e({ version: 5 }))],
    ['set: unknown field', (s) => s.cache.set(e({ color: 'red' }))],
    ['get: touch a string', (s) => s.cache.get(NS_A, 'k', { touch: 'yes' as Loose })],
    ['get: unknown option', (s) => s.cache.get(NS_A, 'k', { bogus: true } as Loose)],
    ['get: options a string', (s) => s.cache.get(NS_A, 'k', 'touch' as Loose)],
    ['list: namespace missing', (s) => s.cache.list({} as Loose)],
    ['list: tag empty', (s) => s.cache.list({ namespace: NS_A, tag: '' })],
    ['list: function a number', (s) => s.cache.list({ namespace: NS_A, function: 42 as Loose })],
    ['list: version a number', (s) => s.cache.list({ namespace: NS_A, version: 5 as Loose })],
  ]
  for (const ns of badNamespaces) {
    const label = JSON.stringify(ns) ?? String(ns)
    cases.push(
      [`set: namespace ${label}`, (s) => s.cache.set(e({ namespace: ns }))],
      [`get: namespace ${label}`, (s) => s.cache.get(ns as Loose, 'k')],
      [`delete: namespace ${label}`, (s) => s.cache.delete(ns as Loose, 'k')],
      [`invalidate: namespace ${label}`, (s) => s.cache.invalidate(ns as Loose, { all: true })],
      [`stats: namespace ${label}`, (s) => s.cache.stats(ns as Loose)],
      [`list: namespace ${label}`, (s) => s.cache.list({ namespace: ns as Loose })],
    )
  }
  for (const key of badKeys) {
    const label = JSON.stringify(key) ?? String(key)
    cases.push(
      [`get: key ${label}`, (s) => s.cache.get(NS_A, key as Loose)],
      [`delete: key ${label}`, (s) => s.cache.delete(NS_A, key as Loose)],
    )
  }
  return cases
}

/** JSON text whose keys look like MongoDB operators, paths and prototype slots. */
const trickyJson =
  '{"$where":"sleep(1000)","$gt":"","a.b":{"$ne":null},"__proto__":{"polluted":true},' +
  '"constructor":{"prototype":{"polluted":true}},"nested":[{"$set":{"status":"finished"}}]}'

/** Wrong types, missing fields, bad strings: `CM_ERR_INVALID_ARGUMENT`, never a driver error. */
export function badInput(t: Test, h: Harness): void {
  t.test('computations: every bad input → CM_ERR_INVALID_ARGUMENT, nothing written', async (t) => {
    const { store } = await h.open(t)
    for (const [why, call] of computationCases())
      await expectCode(t, () => call(store), 'CM_ERR_INVALID_ARGUMENT', why)
    t.equal((await store.computations.list({ namespace: NS_A })).total, 0, 'no record was written')
  })

  t.test('cache: every bad input → CM_ERR_INVALID_ARGUMENT, nothing written', async (t) => {
    const { store } = await h.open(t)
    for (const [why, call] of cacheCases())
      await expectCode(t, () => call(store), 'CM_ERR_INVALID_ARGUMENT', why)
    t.same(await store.cache.stats(NS_A), { entries: 0, bytes: 0 }, 'no entry was written')
  })

  t.test('operator-looking and __proto__ keys are stored as plain data', async (t) => {
    const { store } = await h.open(t)
    const tricky = () => JSON.parse(trickyJson) as Record<string, unknown>
    const check = (value: unknown, what: string) => {
      t.equal(canonicalJson(value), canonicalJson(tricky()), `${what}: same data`)
      const object = value as object
      t.ok(Object.hasOwn(object, '__proto__'), `${what}: __proto__ is an own key`)
      t.equal(Object.getPrototypeOf(object), Object.prototype, `${what}: prototype untouched`)
      t.equal(({} as Record<string, unknown>).polluted, undefined, `${what}: Object.prototype not polluted`)
    }
    const record = await store.computations.create(computationInput({ args: tricky() }))
    check((await store.computations.get(NS_A, record.id))?.args, 'create args')
    const claimed = await store.computations.claim(claimInput({ args: tricky() }))
    check((await store.computations.get(NS_A, claimed.record.id))?.args, 'claim args')
    await store.computations.update(NS_A, record.id, 'queued', { checkpoint: tricky() })
    check((await store.computations.get(NS_A, record.id))?.checkpoint, 'checkpoint')
    const entry = cacheInput({ args: tricky(), value: trickyJson })
    await store.cache.set(entry)
    const stored = await store.cache.get(NS_A, entry.key)
    check(stored?.args, 'cache args')
    t.equal(stored?.value, trickyJson, 'cache value text unchanged')
  })

  t.test('operator-looking strings are matched literally', async (t) => {
    const { store } = await h.open(t)
    const plain = await store.computations.create(computationInput())
    const odd = await store.computations.create(
      computationInput({ function: '$where', functionFull: '{"$ne":null}', hash: '{"$gt":""}' }),
    )
    const ids = async (query: object) =>
      (await store.computations.list({ namespace: NS_A, ...query })).data.map((r) => r.id)
    t.same(await ids({ function: '$where' }), [odd.id], 'function "$where"')
    t.same(await ids({ function: '{"$ne":null}' }), [odd.id], 'functionFull that looks like an operator')
    t.same(await ids({ hash: '{"$gt":""}' }), [odd.id], 'hash that looks like an operator')
    t.equal((await store.computations.getByHash(NS_A, '{"$gt":""}'))?.id, odd.id, 'getByHash')
    t.equal(await store.computations.getByHash(NS_A, '{"$ne":null}'), null, 'no operator semantics')
    t.ok(await store.computations.get(NS_A, plain.id), 'the plain record is untouched')
    await store.cache.set(cacheInput({ key: '{"$ne":null}', tags: ['$in'], value: '1' }))
    t.equal(
      (await store.cache.get(NS_A, '{"$ne":null}'))?.value,
      '1',
      'cache key that looks like an operator',
    )
    t.equal(await store.cache.get(NS_A, '{"$gt":""}'), null, 'no operator semantics in cache keys')
    t.equal(await store.cache.invalidate(NS_A, { tag: '$in' }), 1, 'tag "$in" matched literally')
  })

  t.test('the longest allowed strings are accepted', async (t) => {
    const { store } = await h.open(t)
    const record = await store.computations.create(
      computationInput({
        function: 'f'.repeat(512),
        hash: 'h'.repeat(256),
        namespace: `n${'s'.repeat(127)}`,
      }),
    )
    t.equal(record.function.length, 512, 'a function name of 512 characters is accepted')
    t.equal(record.hash.length, 256, 'a hash of 256 characters is accepted')
    t.equal(record.namespace.length, 128, 'a namespace of 128 characters is accepted')
  })
}
