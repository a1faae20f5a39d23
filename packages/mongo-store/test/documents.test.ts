import {
  CACHE_SCHEMA_VERSION,
  type CacheEntryMeta,
  type Computation,
  ComputationSchema,
  SCHEMA_VERSION,
} from '@comp-manager/core'
import { BSON, ObjectId } from 'mongodb'
import t from 'tap'
import { changedComputationFields, toDate } from '../src/documents.js'
import {
  cacheEntryUpgrades,
  computationUpgrades,
  DOCUMENT_VERSION,
  fromCacheEntryDocument,
  fromComputationDocument,
  toCacheEntryDocument,
  toComputationDocument,
  type UpgradeRegistry,
  upgradeDocument,
} from '../src/index.js'

const T0 = Date.UTC(2030, 0, 2, 3, 4, 5, 678)

const record: Computation = {
  id: '0190c7a8-0000-7000-8000-000000000001',
  namespace: 'team-a',
  name: 'fib',
  function: 'fib',
  functionFull: 'math/Series.fib',
  // keys that would be operators, paths or prototype slots if they reached the server as such
  args: {
    n: 30,
    $gt: '',
    'a.b': [1, -0.5, null],
    nested: JSON.parse('{"__proto__":"x","$where":"sleep(1)"}'),
  },
  hash: 'ab'.repeat(32),
  hashAlgorithm: 'sha256',
  attempt: 2,
  status: 'started',
  pid: 4242,
  host: 'worker-1',
  owner: 'alice',
  message: 'halfway',
  error: null,
  progress: { fraction: 0.5, note: 'n=15' },
  result: null,
  checkpoint: { i: 15, acc: [1, 1, 2] },
  createdAt: T0,
  updatedAt: T0 + 10,
  startedAt: T0 + 1,
  finishedAt: null,
  pausedAt: null,
  heartbeatAt: T0 + 10,
  leaseUntil: T0 + 30_000,
  activeMs: 0,
  activeSince: T0 + 1,
  pauseRequestedAt: null,
  priority: 0,
  runAt: null,
  maxAttempts: 1,
  worker: null,
  schemaVersion: SCHEMA_VERSION,
}

t.test('a computation record → document', async (t) => {
  const doc = toComputationDocument(record, 3)
  t.equal(doc._id, record.id, 'id is stored as _id')
  t.notOk('id' in doc)
  t.equal(doc.rev, 3)
  t.equal(doc.schemaVersion, DOCUMENT_VERSION, 'the document layout version')
  t.ok(doc.createdAt instanceof Date, 'timestamps are BSON Dates')
  t.equal(doc.createdAt.getTime(), T0)
  t.ok(doc.leaseUntil instanceof Date)
  t.equal(doc.finishedAt, null)
  t.equal(typeof doc.argsJson, 'string', 'args are stored as JSON text')
  t.same(JSON.parse(doc.argsJson), record.args)
  t.equal(doc.checkpointJson, JSON.stringify(record.checkpoint))
  t.notOk('args' in doc)
  // no `undefined` anywhere: the driver would store it as null
  const walk = (node: unknown, path: string): void => {
    if (node === undefined) t.fail(`undefined at ${path}`)
    if (node !== null && typeof node === 'object' && !(node instanceof Date)) {
      for (const [k, v] of Object.entries(node)) walk(v, `${path}.${k}`)
    }
  }
  walk(doc, 'doc')
})

t.test('document → record: exactly the schema fields, through a real BSON round trip', async (t) => {
  const stored = BSON.deserialize(BSON.serialize(toComputationDocument(record, 7)))
  const back = fromComputationDocument(stored)
  t.same(back, record)
  t.same(Object.keys(back).sort(), Object.keys(ComputationSchema.properties).sort())
  t.equal(Object.getPrototypeOf((back.args as { nested: object }).nested), Object.prototype)
  t.ok(Object.hasOwn((back.args as { nested: object }).nested, '__proto__'), '__proto__ stays a plain key')
})

t.test('optional sub-document fields never come back as null', async (t) => {
  const failed: Computation = {
    ...record,
    status: 'failed',
    error: { name: 'RangeError', message: 'too deep' },
    result: { cacheKey: 'k1' },
    progress: { fraction: 1 },
  }
  const back = fromComputationDocument(BSON.deserialize(BSON.serialize(toComputationDocument(failed))))
  t.same(back.error, { name: 'RangeError', message: 'too deep' })
  t.same(back.result, { cacheKey: 'k1' })
  t.same(back.progress, { fraction: 1 })
})

t.test('timestamps: whole milliseconds, clamped to what a Date holds', async (t) => {
  t.equal(toDate(1234.9).getTime(), 1234)
  t.equal(toDate(Number.MAX_SAFE_INTEGER).getTime(), 8.64e15)
  t.equal(toDate(Number.MAX_VALUE).getTime(), 8.64e15)
  t.throws(() => toDate(Number.NaN), { code: 'CM_ERR_INVALID_ARGUMENT' })
})

t.test('changed fields: only what a patch changed, in stored form', async (t) => {
  const next: Computation = {
    ...record,
    status: 'finished',
    finishedAt: T0 + 99,
    leaseUntil: null,
    updatedAt: T0 + 99,
  }
  const set = changedComputationFields(record, next)
  t.same(Object.keys(set).sort(), ['finishedAt', 'leaseUntil', 'status', 'updatedAt'])
  t.same(set.finishedAt, new Date(T0 + 99))
  t.equal(set.leaseUntil, null)
  t.same(
    changedComputationFields(record, { ...record, progress: { fraction: 0.5, note: 'n=15' } }),
    {},
    'equal objects',
  )
})

t.test('bad stored documents are refused with CM_ERR_SCHEMA_VERSION, not misread', async (t) => {
  const doc = toComputationDocument(record)
  t.throws(() => fromComputationDocument({ ...doc, status: 'running' }), { code: 'CM_ERR_SCHEMA_VERSION' })
  t.throws(() => fromComputationDocument({ ...doc, createdAt: 'yesterday' }), {
    code: 'CM_ERR_SCHEMA_VERSION',
  })
  t.throws(() => fromComputationDocument({ ...doc, argsJson: '{' }), { code: 'CM_ERR_SCHEMA_VERSION' })
  t.throws(() => fromComputationDocument({ ...doc, _id: new ObjectId() }), { code: 'CM_ERR_SCHEMA_VERSION' })
})

const meta: CacheEntryMeta = {
  key: 'cd'.repeat(32),
  namespace: 'team-a',
  function: 'fib',
  functionFull: 'math/Series.fib',
  version: 'v2',
  algorithm: 'sha256',
  args: { n: 30 },
  size: 12,
  tags: ['math', 'slow'],
  createdAt: T0,
  expiresAt: T0 + 60_000,
  hits: 0,
  lastHitAt: null,
  schemaVersion: CACHE_SCHEMA_VERSION,
}

t.test('cache entries both ways: inline and GridFS-backed', async (t) => {
  const inline = toCacheEntryDocument(meta, { storage: 'inline', value: '{"v":832040}' })
  t.equal(inline.storage, 'inline')
  t.equal(inline.value, '{"v":832040}')
  t.equal(inline.valueFile, null)
  t.same(inline.expiresAt, new Date(T0 + 60_000), 'expiresAt is a BSON Date for the TTL index')
  t.same(fromCacheEntryDocument(BSON.deserialize(BSON.serialize(inline))), meta)

  const file = new ObjectId()
  const big = toCacheEntryDocument(
    { ...meta, args: null, version: null, expiresAt: null },
    { storage: 'gridfs', valueFile: file },
  )
  t.equal(big.storage, 'gridfs')
  t.equal(big.value, null)
  t.ok(file.equals(big.valueFile!))
  t.equal(big.argsJson, null)
  const back = fromCacheEntryDocument(BSON.deserialize(BSON.serialize(big)))
  t.same(back, { ...meta, args: null, version: null, expiresAt: null })
  t.notOk('value' in back, 'metadata only')
})

// ---- lazy upgrade ---------------------------------------------------------------------------------

/** A computation as pre-release builds wrote it: no schemaVersion, args embedded, ms numbers. */
const computationV0 = {
  _id: '0190c7a8-0000-7000-8000-0000000000aa',
  namespace: 'legacy',
  function: 'fib',
  args: { n: 10, $gt: 1 },
  hash: 'ef'.repeat(32),
  status: 'finished',
  progress: 1,
  createdAt: T0,
  updatedAt: new Date(T0 + 5),
  startedAt: T0 + 1,
  finishedAt: T0 + 5,
  result: { cacheKey: 'k' },
}

t.test('a version-0 computation is upgraded on read', async (t) => {
  const frozen = structuredClone(computationV0)
  const upgraded = upgradeDocument(computationV0, computationUpgrades)
  t.same(computationV0, frozen, 'the input is not modified')
  t.equal(upgraded.schemaVersion, DOCUMENT_VERSION)
  t.same(fromComputationDocument(upgraded), {
    id: computationV0._id,
    namespace: 'legacy',
    name: 'fib',
    function: 'fib',
    functionFull: 'fib',
    args: { n: 10, $gt: 1 },
    hash: computationV0.hash,
    hashAlgorithm: 'sha256',
    attempt: 1,
    status: 'finished',
    pid: null,
    host: null,
    owner: null,
    message: null,
    error: null,
    progress: { fraction: 1 },
    result: { cacheKey: 'k' },
    checkpoint: null,
    createdAt: T0,
    updatedAt: T0 + 5,
    startedAt: T0 + 1,
    finishedAt: T0 + 5,
    pausedAt: null,
    heartbeatAt: null,
    leaseUntil: null,
    activeMs: 4,
    activeSince: null,
    pauseRequestedAt: null,
    priority: 0,
    runAt: null,
    maxAttempts: 1,
    worker: null,
    schemaVersion: SCHEMA_VERSION,
  })
  t.ok(upgraded.createdAt instanceof Date, 'numbers become Dates')
})

t.test('a version-0 cache entry is upgraded on read', async (t) => {
  const v0 = {
    _id: new ObjectId(),
    namespace: 'legacy',
    key: 'k0',
    function: 'fib',
    value: '"é"',
    tags: ['a'],
    createdAt: new Date(T0),
    expiresAt: null,
  }
  const upgraded = upgradeDocument(v0, cacheEntryUpgrades)
  t.equal(upgraded.storage, 'inline')
  t.equal(upgraded.valueFile, null)
  t.same(fromCacheEntryDocument(upgraded), {
    key: 'k0',
    namespace: 'legacy',
    function: 'fib',
    functionFull: 'fib',
    version: null,
    algorithm: 'sha256',
    args: null,
    size: 4,
    tags: ['a'],
    createdAt: T0,
    expiresAt: null,
    hits: 0,
    lastHitAt: null,
    schemaVersion: CACHE_SCHEMA_VERSION,
  })
})

t.test('a current document passes through unchanged', async (t) => {
  const doc = toComputationDocument(record)
  t.equal(upgradeDocument(doc, computationUpgrades), doc)
})

t.test('newer, invalid or unknown versions are refused with CM_ERR_SCHEMA_VERSION', async (t) => {
  t.throws(() => upgradeDocument({ schemaVersion: DOCUMENT_VERSION + 1 }, computationUpgrades), {
    code: 'CM_ERR_SCHEMA_VERSION',
    message: new RegExp(`newer than this package's ${DOCUMENT_VERSION}`),
  })
  t.throws(() => upgradeDocument({ schemaVersion: -1 }, computationUpgrades), {
    code: 'CM_ERR_SCHEMA_VERSION',
  })
  t.throws(() => upgradeDocument({ schemaVersion: 'one' }, computationUpgrades), {
    code: 'CM_ERR_SCHEMA_VERSION',
  })
  const gap: UpgradeRegistry = { collection: 'test', current: 3, steps: { 0: (d) => d, 2: (d) => d } }
  t.throws(() => upgradeDocument({}, gap), {
    code: 'CM_ERR_SCHEMA_VERSION',
    message: /no upgrade from schemaVersion 1/,
  })
})

t.test('steps run one version at a time, in order', async (t) => {
  const seen: number[] = []
  const step =
    (add: (d: Record<string, number>) => Record<string, number>) =>
    (d: Record<string, number>): Record<string, number> => {
      seen.push(d.schemaVersion ?? 0)
      return { ...d, ...add(d) }
    }
  const registry: UpgradeRegistry = {
    collection: 'test',
    current: 3,
    steps: {
      0: step(() => ({ a: 1 })),
      1: step((d) => ({ b: (d.a ?? 0) + 1 })),
      2: step((d) => ({ c: (d.b ?? 0) + 1 })),
    },
  }
  t.same(upgradeDocument({ x: 0 }, registry), { x: 0, a: 1, b: 2, c: 3, schemaVersion: 3 })
  t.same(seen, [0, 1, 2])
  t.same(upgradeDocument({ schemaVersion: 2, b: 5 }, registry), { schemaVersion: 3, b: 5, c: 6 })
})

t.test(
  'a version-2 computation is upgraded on read with the queue defaults, a claimed worker kept',
  async (t) => {
    const v2 = { ...toComputationDocument(record), schemaVersion: 2 } as Record<string, unknown>
    for (const field of ['priority', 'runAt', 'maxAttempts', 'worker', 'dueAt']) delete v2[field]
    const upgraded = upgradeDocument(v2, computationUpgrades)
    t.equal(upgraded.schemaVersion, DOCUMENT_VERSION)
    t.hasStrict(fromComputationDocument(upgraded), { priority: 0, runAt: null, maxAttempts: 1, worker: null })
    t.same(upgraded.dueAt, new Date(record.createdAt), 'due at its creation')
    const claimed = upgradeDocument({ ...v2, worker: 'w1' }, computationUpgrades)
    t.equal(
      fromComputationDocument(claimed).worker,
      'w1',
      'a worker $set by a claim on the old layout is kept',
    )
  },
)
