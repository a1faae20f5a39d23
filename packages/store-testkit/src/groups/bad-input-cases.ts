/**
 * The bad inputs of the bad-input group: calls that must reject with `CM_ERR_INVALID_ARGUMENT`,
 * by method and by what is wrong with them.
 */
import type { Store } from '@comp-manager/core'
import { cacheInput, claimInput, computationInput, NS_A } from '../fixtures.js'

/** A call that must reject with `CM_ERR_INVALID_ARGUMENT`. Arguments are deliberately untyped. */
export type BadCall = [why: string, call: (store: Store) => unknown]

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

/** A valid `computations.create` input with `overrides` on top (which may make it invalid). */
const withComputation = (overrides: Record<string, unknown>) => ({ ...computationInput(), ...overrides })

/** Every bad input of the computations API, in the order they are tried. */
export function computationCases(): BadCall[] {
  return [
    ...createCases(),
    ...claimCases(),
    ...updateCases(),
    ...heartbeatCases(),
    ...findExpiredAndListCases(),
    ...computationNamespaceCases(),
    ...computationIdCases(),
    ...notJsonCases(),
  ]
}

/** `create` with a malformed input. */
function createCases(): BadCall[] {
  return [
    ['create(null)', (s) => s.computations.create(null as Loose)],
    ['create("text")', (s) => s.computations.create('text' as Loose)],
    ['create([])', (s) => s.computations.create([] as Loose)],
    ['create({})', (s) => s.computations.create({} as Loose)],
    [
      'create: function missing',
      (s) => s.computations.create(withComputation({ function: undefined }) as Loose),
    ],
    ['create: hash missing', (s) => s.computations.create(withComputation({ hash: undefined }) as Loose)],
    ['create: function empty', (s) => s.computations.create(withComputation({ function: '' }) as Loose)],
    [
      'create: function 513 chars',
      (s) => s.computations.create(withComputation({ function: 'f'.repeat(513) }) as Loose),
    ],
    ['create: function a number', (s) => s.computations.create(withComputation({ function: 42 }) as Loose)],
    ['create: hash empty', (s) => s.computations.create(withComputation({ hash: '' }) as Loose)],
    [
      'create: hash 257 chars',
      (s) => s.computations.create(withComputation({ hash: 'h'.repeat(257) }) as Loose),
    ],
    [
      'create: hash an operator',
      (s) => s.computations.create(withComputation({ hash: { $ne: null } }) as Loose),
    ],
    [
      'create: status finished',
      (s) => s.computations.create(withComputation({ status: 'finished' }) as Loose),
    ],
    ['create: status bogus', (s) => s.computations.create(withComputation({ status: 'bogus' }) as Loose)],
    ['create: pid 1.5', (s) => s.computations.create(withComputation({ pid: 1.5 }) as Loose)],
    ['create: pid a string', (s) => s.computations.create(withComputation({ pid: '12' }) as Loose)],
    ['create: owner a number', (s) => s.computations.create(withComputation({ owner: 42 }) as Loose)],
    ['create: leaseUntil -1', (s) => s.computations.create(withComputation({ leaseUntil: -1 }) as Loose)],
    [
      'create: message over 64 KiB',
      (s) => s.computations.create(withComputation({ message: 'm'.repeat(64 * 1024 + 1) }) as Loose),
    ],
    ['create: unknown field', (s) => s.computations.create(withComputation({ color: 'red' }) as Loose)],
    [
      'create: $set field',
      (s) => s.computations.create(withComputation({ $set: { status: 'finished' } }) as Loose),
    ],
  ]
}

/** `claim` with a malformed input. */
function claimCases(): BadCall[] {
  return [
    ['claim: leaseMs 0', (s) => s.computations.claim(claimInput({ leaseMs: 0 }))],
    ['claim: leaseMs -1', (s) => s.computations.claim(claimInput({ leaseMs: -1 }))],
    ['claim: leaseMs NaN', (s) => s.computations.claim(claimInput({ leaseMs: Number.NaN }))],
    ['claim: leaseMs a string', (s) => s.computations.claim(claimInput({ leaseMs: '1000' as Loose }))],
    ['claim: onTerminal bogus', (s) => s.computations.claim(claimInput({ onTerminal: 'maybe' as Loose }))],
    ['claim: owner missing', (s) => s.computations.claim({ ...claimInput(), owner: undefined } as Loose)],
    ['claim(undefined)', (s) => s.computations.claim(undefined as Loose)],
  ]
}

/** `update` with a bad expected status or patch. */
function updateCases(): BadCall[] {
  return [
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
  ]
}

/** `heartbeat` with a malformed patch. */
function heartbeatCases(): BadCall[] {
  return [
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
  ]
}

/** `findExpired` and `list` with bad options or queries. */
function findExpiredAndListCases(): BadCall[] {
  return [
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
}

/** Every computations method with each bad namespace. */
function computationNamespaceCases(): BadCall[] {
  const cases: BadCall[] = []
  for (const ns of badNamespaces) {
    const label = JSON.stringify(ns) ?? String(ns)
    cases.push(
      [
        `create: namespace ${label}`,
        (s) => s.computations.create(withComputation({ namespace: ns }) as Loose),
      ],
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
  return cases
}

/** Every computations method that takes an id (or hash) with each bad one. */
function computationIdCases(): BadCall[] {
  const cases: BadCall[] = []
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
  return cases
}

/** `args` and `checkpoint` that are not plain JSON data, through every method that stores them. */
function notJsonCases(): BadCall[] {
  const cases: BadCall[] = []
  for (const [why, make] of notJson) {
    cases.push(
      [`create: args with ${why}`, (s) => s.computations.create(withComputation({ args: make() }) as Loose)],
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
/** Every bad input of the cache API, in the order they are tried. */
export function cacheCases(): BadCall[] {
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
