/**
 * `store.migrate()`: old-layout documents rewritten in bounded batches, with progress, a pause the
 * store's own operations get through, a stop that the next call resumes, idempotence, concurrent
 * writes that win, unreadable documents left alone. On FakeDb, and on MONGODB_URL (where number
 * timestamps are matched by real type bracketing).
 */
import type { Test } from 'tap'
import t from 'tap'
import {
  DOCUMENT_VERSION,
  type MigrationProgress,
  type MongoStore,
  MongoStore as Store,
} from '../src/index.js'
import { FakeDb, type FakeHooks } from './fixtures/fake-mongo.js'
import { peerStore, withPeer } from './fixtures/peer.js'

const RUNS = 25
const BATCH = 10

const v0Run = (i: number, at: number) => ({
  _id: `old-${String(i).padStart(3, '0')}`,
  namespace: 'ns',
  function: 'fib',
  args: { n: i },
  hash: `h${i}`,
  status: 'finished',
  createdAt: at,
  updatedAt: at,
  startedAt: at,
  finishedAt: at + 10,
})

const v0Entry = (i: number, at: number) => ({
  namespace: 'ns',
  key: `k${i}`,
  function: 'fib',
  value: JSON.stringify(i),
  createdAt: at,
})

type Open = (t: Test, hooks?: FakeHooks) => Promise<MongoStore>

async function seed(store: MongoStore, at: number): Promise<void> {
  const runs = store.db.collection(store.names.computations)
  await runs.insertMany(Array.from({ length: RUNS }, (_, i) => v0Run(i, at)) as never[])
  await store.db
    .collection(store.names.cacheEntries)
    .insertMany(Array.from({ length: 3 }, (_, i) => v0Entry(i, at)))
}

const oldLayout = (store: MongoStore, which: 'computations' | 'cacheEntries') =>
  store.db.collection(store.names[which]).countDocuments({ schemaVersion: { $ne: DOCUMENT_VERSION } })

function groups(t: Test, open: Open): void {
  t.test('batches of batchSize with progress; records read the same; idempotent', async (t) => {
    const store = await open(t)
    const at = Date.now() - 60_000
    await seed(store, at)
    const current = await store.computations.claim({
      namespace: 'ns',
      function: 'fib',
      functionFull: 'fib',
      args: null,
      hash: 'new',
      hashAlgorithm: 'sha256',
      owner: 'me',
      pid: 1,
      host: 'here',
      leaseMs: 60_000,
    })
    const before = await store.computations.get('ns', 'old-007')
    const seen: MigrationProgress[] = []
    const report = await store.migrate({ batchSize: BATCH, pauseMs: 0, onProgress: (p) => seen.push(p) })
    t.match(report.computations, { pending: RUNS, migrated: RUNS, raced: 0, failed: 0, batches: 3 })
    t.match(report.cacheEntries, { pending: 3, migrated: 3, failed: 0, batches: 1 })
    t.equal(report.stopped, false)
    t.same(
      seen.filter((p) => p.collection === 'computations').map((p) => p.migrated),
      [10, 20, 25],
      'one progress event per batch',
    )
    t.equal(await oldLayout(store, 'computations'), 0, 'no computation in an old layout is left')
    t.equal(await oldLayout(store, 'cacheEntries'), 0, 'no cache entry in an old layout is left')
    t.same(await store.computations.get('ns', 'old-007'), before, 'the record reads as before')
    const raw = await store.db.collection(store.names.computations).findOne({ _id: 'old-007' as never })
    t.ok(raw?.createdAt instanceof Date, 'timestamps are Dates now')
    t.equal(raw?.argsJson, '{"n":7}', 'args as JSON text')
    t.same(
      (await store.computations.list({ namespace: 'ns', until: at + 1, perPage: 100 })).data.length,
      RUNS,
      'found by a time query',
    )
    t.equal((await store.cache.get('ns', 'k1'))?.value, '1', 'a migrated cache entry is a hit')
    t.same(await store.computations.get('ns', current.record.id), current.record, 'a current run untouched')

    const again = await store.migrate({ pauseMs: 0 })
    t.match(again.computations, { pending: 0, migrated: 0, batches: 0 }, 'a second run has nothing to do')
  })

  t.test('stopped by its signal after a batch; the next call resumes', async (t) => {
    const store = await open(t)
    await seed(store, Date.now())
    const controller = new AbortController()
    const first = await store.migrate({
      batchSize: BATCH,
      pauseMs: 0,
      signal: controller.signal,
      onProgress: () => controller.abort(),
    })
    t.equal(first.stopped, true)
    t.equal(first.computations.migrated, BATCH, 'one batch')
    t.equal(first.cacheEntries.batches, 0, 'the cache entries were not started')
    t.equal(await oldLayout(store, 'computations'), RUNS - BATCH)
    const second = await store.migrate({ batchSize: BATCH, pauseMs: 0 })
    t.match(second.computations, { pending: RUNS - BATCH, migrated: RUNS - BATCH, batches: 2 })
    t.equal(await oldLayout(store, 'computations'), 0)
  })

  t.test('the pause between batches lets store operations through', async (t) => {
    const store = await open(t)
    await seed(store, Date.now())
    const order: string[] = []
    let firstBatch: () => void = () => undefined
    const batched = new Promise<void>((resolve) => {
      firstBatch = resolve
    })
    const migration = store.migrate({
      batchSize: BATCH,
      pauseMs: 200,
      onProgress: (p) => {
        order.push(`batch ${p.collection} ${p.batches}`)
        firstBatch()
      },
    })
    t.equal(store.migrate(), migration, 'a second call while it runs gets the same run')
    await batched
    await store.computations.get('ns', 'old-020').then(() => order.push('get'))
    await migration
    t.same(order.slice(0, 2), ['batch computations 1', 'get'], 'the get ran before the second batch')
  })

  t.test('an unreadable document is counted and left; the rest is migrated', async (t) => {
    const store = await open(t)
    await seed(store, Date.now())
    const runs = store.db.collection(store.names.computations)
    await runs.insertOne({ _id: 'broken', namespace: 'ns', status: 'no-such-status', createdAt: 1 } as never)
    const report = await store.migrate({ batchSize: BATCH, pauseMs: 0 })
    t.match(report.computations, { pending: RUNS + 1, migrated: RUNS, failed: 1 })
    t.equal(await oldLayout(store, 'computations'), 1, 'only the broken one is left')
  })

  t.test('invalid options', async (t) => {
    const store = await open(t)
    for (const bad of [
      { batchSize: 0 },
      { batchSize: 1.5 },
      { pauseMs: -1 },
      { signal: {} },
      { onProgress: 1 },
    ])
      await t.rejects(store.migrate(bad as never), { code: 'CM_ERR_INVALID_ARGUMENT' }, JSON.stringify(bad))
  })
}

t.test('on FakeDb', async (t) => {
  const fakeOpen: Open = async (_t, hooks = {}) => {
    const store = new Store({ db: new FakeDb('fake', hooks).asDb() })
    await store.init()
    return store
  }
  groups(t, fakeOpen)
  t.test('a write between the read and the rewrite wins (counted as raced)', async (t) => {
    let store: MongoStore | undefined
    let once = true
    store = await fakeOpen(t, {
      before: async (collection, operation) => {
        if (collection !== 'computations' || operation !== 'replaceOne' || !once) return
        once = false
        await store!.computations.heartbeat('ns', 'live', { leaseUntil: Date.now() + 60_000 })
      },
    })
    const runs = store.db.collection(store.names.computations)
    await runs.insertOne({ ...v0Run(0, Date.now()), _id: 'live', status: 'started', leaseUntil: 1 } as never)
    const report = await store.migrate({ pauseMs: 0 })
    t.match(report.computations, { migrated: 0, raced: 1 })
    const raw = await runs.findOne({ _id: 'live' as never })
    t.ok(raw?.leaseUntil instanceof Date && raw.leaseUntil.getTime() > Date.now(), 'the heartbeat kept')
    t.match(await store.migrate({ pauseMs: 0 }), { computations: { migrated: 1 } }, 'the next call does it')
    t.equal((await store.computations.get('ns', 'live'))?.status, 'started')
  })
})

t.test('on MongoDB', (t) =>
  withPeer(t, async (client) => {
    groups(t, (t) => peerStore(t, client, { ttlIndex: false }))
  }),
)
