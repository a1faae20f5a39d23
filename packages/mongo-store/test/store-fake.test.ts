/**
 * MongoStore behaviours specific to MongoDB (GridFS bookkeeping, expired documents still present,
 * lazy upgrade written back, lost races, driver failures), on FakeDb: see test/fixtures/fake-mongo.ts.
 */
import { type ClaimInput, SCHEMA_VERSION } from '@comp-manager/core'
import { MongoNetworkError, ObjectId } from 'mongodb'
import t from 'tap'
import { DOCUMENT_VERSION, MongoStore, toComputationDocument } from '../src/index.js'
import { FakeDb, type FakeHooks } from './fixtures/fake-mongo.js'

const T0 = Date.UTC(2100, 0, 1)

function setup(options: { gridFsThresholdBytes?: number; hooks?: FakeHooks; maxValueBytes?: number } = {}) {
  let now = T0
  const clock = Object.assign(() => now, { advance: (ms: number) => (now += ms) })
  const fake = new FakeDb('fake', options.hooks ?? {})
  const store = new MongoStore({
    db: fake.asDb(),
    clock,
    ...(options.gridFsThresholdBytes === undefined
      ? {}
      : { gridFsThresholdBytes: options.gridFsThresholdBytes }),
    ...(options.maxValueBytes === undefined ? {} : { maxValueBytes: options.maxValueBytes }),
  })
  return {
    fake,
    store,
    clock,
    computations: fake.collection('computations'),
    entries: fake.collection('cache_entries'),
    files: fake.collection('cache_values.files'),
    chunks: fake.collection('cache_values.chunks'),
  }
}

const entry = (key: string, value: string, extra: Record<string, unknown> = {}) => ({
  namespace: 'ns',
  key,
  function: 'fib',
  functionFull: 'math/fib',
  algorithm: 'sha256',
  value,
  ...extra,
})

const claimInput = (extra: Partial<ClaimInput> = {}): ClaimInput => ({
  namespace: 'ns',
  function: 'fib',
  functionFull: 'math/fib',
  args: { n: 1 },
  hash: 'h1',
  hashAlgorithm: 'sha256',
  owner: 'me',
  pid: 1,
  host: 'here',
  leaseMs: 1000,
  ...extra,
})

t.test('a small value lives inline; a large one in GridFS, streamed back', async (t) => {
  const { store, entries, files, chunks } = setup({ gridFsThresholdBytes: 1000 })
  await store.cache.set(entry('small', '"x"'))
  const big = JSON.stringify('é'.repeat(200_000)) // 400 002 bytes: two chunks of 255 KiB
  const meta = await store.cache.set(entry('big', big))
  t.equal(meta.size, Buffer.byteLength(big))

  const small = entries.docs.find((d) => d.key === 'small')!
  t.equal(small.storage, 'inline')
  t.equal(small.value, '"x"')
  const large = entries.docs.find((d) => d.key === 'big')!
  t.equal(large.storage, 'gridfs')
  t.equal(large.value, null)
  t.ok(large.valueFile instanceof ObjectId)
  t.equal(files.docs.length, 1)
  t.same(files.docs[0]!.metadata, { store: 'comp-manager', namespace: 'ns', key: 'big' })
  t.equal(chunks.docs.length, 2)

  const back = await store.cache.get('ns', 'big')
  t.equal(back?.value, big)
  t.equal(back?.hits, 1)
  t.equal((await store.cache.get('ns', 'small'))?.value, '"x"')
})

t.test('deleting, replacing, invalidating and purging a large value deletes its chunks', async (t) => {
  const { store, clock, files, chunks } = setup({ gridFsThresholdBytes: 10 })
  const value = (n: number) => JSON.stringify('v'.repeat(n))

  await store.cache.set(entry('a', value(100)))
  t.equal(files.docs.length, 1)
  await store.cache.set(entry('a', value(200)))
  t.equal(files.docs.length, 1, 'replacing an entry deletes the previous file')
  t.equal(chunks.docs.length, 1)
  t.equal((await store.cache.get('ns', 'a'))?.value, value(200))
  await store.cache.set(entry('a', '1'))
  t.equal(files.docs.length, 0, 'replaced by an inline value: the file goes')
  t.equal(chunks.docs.length, 0)

  await store.cache.set(entry('b', value(100)))
  t.equal(await store.cache.delete('ns', 'b'), true)
  t.equal(files.docs.length + chunks.docs.length, 0, 'delete')

  await store.cache.set(entry('c', value(100), { tags: ['t'] }))
  await store.cache.set(entry('d', value(100), { tags: ['t'] }))
  await store.cache.set(entry('e', '2', { tags: ['t'] }))
  t.equal(await store.cache.invalidate('ns', { tag: 't' }), 3)
  t.equal(files.docs.length + chunks.docs.length, 0, 'invalidate')

  await store.cache.set(entry('f', value(100), { ttlMs: 1000 }))
  await store.cache.set(entry('g', '3', { ttlMs: 1000 }))
  await store.cache.set(entry('h', value(100)))
  clock.advance(1000)
  t.equal(await store.cache.purgeExpired(), 2)
  t.equal(files.docs.length, 1, 'only the live entry keeps its file')
  t.equal((await store.cache.get('ns', 'h'))?.value, value(100))
})

t.test('an expired entry still in the collection is never returned', async (t) => {
  const { store, clock, entries } = setup()
  await store.cache.set(entry('k', '1', { ttlMs: 500, tags: ['t'] }))
  clock.advance(500)
  t.equal(entries.docs.length, 1, 'the TTL monitor has not run: the document is still there')
  t.equal(await store.cache.get('ns', 'k'), null)
  t.equal(await store.cache.get('ns', 'k', { touch: false }), null)
  t.equal((await store.cache.list({ namespace: 'ns' })).total, 0)
  t.same(await store.cache.stats('ns'), { entries: 0, bytes: 0 })
  t.equal(await store.cache.delete('ns', 'k'), false)
  t.equal(await store.cache.invalidate('ns', { all: true }), 0)
  t.equal(entries.docs[0]?.hits, 0, 'no hit was counted')
  t.equal(await store.cache.purgeExpired(), 1)
  t.equal(entries.docs.length, 0)
})

t.test('a GridFS file that vanished under a get is a miss, not an error', async (t) => {
  const { store, files, chunks } = setup({ gridFsThresholdBytes: 0 })
  await store.cache.set(entry('k', '"v"'))
  files.docs.length = 0
  chunks.docs.length = 0
  t.equal(await store.cache.get('ns', 'k'), null)
})

t.test('a version-0 computation is upgraded on read and rewritten whole by its next write', async (t) => {
  const { store, computations } = setup()
  computations.docs.push({
    _id: 'legacy-1',
    namespace: 'ns',
    function: 'fib',
    args: { n: 3 },
    hash: 'old',
    status: 'queued',
    createdAt: T0 - 10,
    updatedAt: T0 - 10,
  })
  const read = await store.computations.get('ns', 'legacy-1')
  t.equal(read?.attempt, 1)
  t.same(read?.args, { n: 3 })
  t.equal(read?.schemaVersion, SCHEMA_VERSION)
  t.equal(computations.docs[0]!.schemaVersion, undefined, 'reading does not write')

  const claimed = await store.computations.claim(claimInput({ hash: 'old' }))
  t.equal(claimed.won, true, 'a claim takes the queued legacy record')
  t.equal(claimed.record.id, 'legacy-1')
  const doc = computations.docs[0]!
  t.equal(doc.schemaVersion, DOCUMENT_VERSION)
  t.equal(doc.argsJson, '{"n":3}')
  t.notOk('args' in doc, 'the old field is gone')
  t.ok(doc.createdAt instanceof Date)
  t.equal(doc.rev, 1)
})

t.test('a document of a newer schema is refused, not misread', async (t) => {
  const { store, computations } = setup()
  computations.docs.push({ _id: 'future', namespace: 'ns', schemaVersion: 99 })
  await t.rejects(store.computations.get('ns', 'future'), { code: 'CM_ERR_SCHEMA_VERSION' })
})

t.test('claim: a duplicate key on insert is a lost race, answered with the winner', async (t) => {
  let raced = false
  const { store, computations } = setup({
    hooks: {
      before: (collection, operation) => {
        if (collection !== 'computations' || operation !== 'insertOne' || raced) return
        raced = true
        // Another machine inserts attempt 1 of the same hash just before us.
        const rival = toComputationDocument({
          id: 'rival',
          namespace: 'ns',
          name: 'fib',
          function: 'fib',
          functionFull: 'math/fib',
          args: null,
          hash: 'h1',
          hashAlgorithm: 'sha256',
          attempt: 1,
          status: 'started',
          pid: 2,
          host: 'there',
          owner: 'them',
          message: null,
          error: null,
          progress: null,
          result: null,
          checkpoint: null,
          createdAt: T0,
          updatedAt: T0,
          startedAt: T0,
          finishedAt: null,
          pausedAt: null,
          heartbeatAt: T0,
          leaseUntil: T0 + 60_000,
          activeMs: 0,
          activeSince: T0,
          pauseRequestedAt: null,
          priority: 0,
          runAt: null,
          maxAttempts: 1,
          worker: null,
          schemaVersion: 1,
        })
        computations.docs.push(rival)
      },
    },
  })
  const result = await store.computations.claim(claimInput())
  t.equal(raced, true)
  t.equal(result.won, false)
  t.equal(result.record.id, 'rival')
  t.equal(result.record.owner, 'them')
  t.equal(computations.docs.length, 1)

  await t.rejects(
    store.computations.create({
      namespace: 'ns',
      function: 'fib',
      functionFull: 'math/fib',
      args: null,
      hash: 'h1',
      hashAlgorithm: 'sha256',
    }),
    { code: 'CM_ERR_DUPLICATE' },
  )
})

t.test('compare-and-set: a write that lost to a concurrent one is retried from a fresh read', async (t) => {
  let interfere: (() => void) | undefined
  const { store, computations } = setup({
    hooks: {
      before: (collection, operation) => {
        if (collection === 'computations' && operation === 'updateOne' && interfere) {
          const once = interfere
          interfere = undefined
          once()
        }
      },
    },
  })
  const { record } = await store.computations.claim(claimInput())

  // Someone heartbeats between our read and our write: we retry and still apply the patch.
  const writes = () => computations.calls.filter((c) => c === 'updateOne').length
  interfere = () => {
    computations.docs[0]!.rev += 1
  }
  const before = writes()
  const updated = await store.computations.update('ns', record.id, 'started', { message: 'working' })
  t.equal(updated.message, 'working')
  t.equal(writes() - before, 2, 'the first conditional write matched nothing and was retried')
  t.equal(computations.docs[0]!.rev, 2, 'rev 1 by the interfering writer, 2 by us')

  // Someone finishes the run between our read and our write: the retry sees it and conflicts.
  interfere = () => {
    computations.docs[0]!.status = 'finished'
    computations.docs[0]!.rev += 1
  }
  await t.rejects(store.computations.update('ns', record.id, 'started', { status: 'paused' }), {
    code: 'CM_ERR_CONFLICT',
  })
  t.equal(computations.docs[0]!.status, 'finished')
})

t.test('heartbeat: CM_ERR_NOT_FOUND when absent, CM_ERR_CONFLICT when over', async (t) => {
  const { store } = setup()
  await t.rejects(store.computations.heartbeat('ns', 'nope', { leaseUntil: T0 + 1 }), {
    code: 'CM_ERR_NOT_FOUND',
  })
  const { record } = await store.computations.claim(claimInput())
  const beat = await store.computations.heartbeat('ns', record.id, {
    leaseUntil: T0 + 5000,
    progress: { fraction: 0.25 },
  })
  t.equal(beat.leaseUntil, T0 + 5000)
  t.same(beat.progress, { fraction: 0.25 })
  await store.computations.update('ns', record.id, 'started', { status: 'finished' })
  await t.rejects(store.computations.heartbeat('ns', record.id, { leaseUntil: T0 + 9000 }), {
    code: 'CM_ERR_CONFLICT',
  })
})

t.test(
  'a takeover inserts the next attempt, then marks the expired run lost (no reader sees a lost latest)',
  async (t) => {
    const { store, clock, computations } = setup()
    const first = await store.computations.claim(claimInput())
    clock.advance(1000)
    const second = await store.computations.claim(claimInput({ owner: 'next' }))
    t.equal(second.won, true)
    if (!second.won) return
    t.equal(second.previous?.id, first.record.id)
    t.equal(second.previous?.status, 'lost')
    t.equal(second.record.attempt, 2)
    t.same(
      computations.docs.map((d) => [d.attempt, d.status]),
      [
        [1, 'lost'],
        [2, 'started'],
      ],
    )
    t.same(
      computations.calls.filter((c) => c !== 'find' && c !== 'findOne'),
      ['createIndexes', 'insertOne', 'countDocuments', 'insertOne', 'countDocuments', 'updateOne'],
      'the insert of the next attempt (unique index: one winner, checked sole), then the conditional update of the old run',
    )
  },
)

t.test(
  'a takeover of a run that renews its lease just in time is undone: the live run keeps the hash',
  async (t) => {
    let renewed = false
    const setupResult = setup({
      hooks: {
        before: async (collection, operation) => {
          // After the next attempt is inserted, the old run's (slow, not dead) process heartbeats.
          if (collection !== 'computations' || operation !== 'updateOne' || renewed) return
          renewed = true
          const old = setupResult.computations.docs.find((d) => d.attempt === 1)!
          old.leaseUntil = new Date(setupResult.clock() + 60_000)
          old.rev = (old.rev as number) + 1
        },
      },
    })
    const store = setupResult.store
    const first = await store.computations.claim(claimInput())
    setupResult.clock.advance(1000)
    const second = await store.computations.claim(claimInput({ owner: 'next' }))
    t.equal(second.won, false, 'the claim is lost')
    t.equal(second.record.id, first.record.id, 'the loser gets the renewed run')
    t.equal(second.record.status, 'started')
    t.same(
      setupResult.computations.docs.map((d) => [d.attempt, d.status]),
      [[1, 'started']],
      'the inserted attempt was removed again',
    )
  },
)

t.test('driver failures surface as typed errors with the cause kept', async (t) => {
  const outage = new MongoNetworkError('connection 7 to 10.0.0.5:27017 closed')
  let failing = false
  const { store } = setup({
    hooks: {
      before: (_c, operation) => {
        if (failing && operation !== 'createIndexes') throw outage
      },
    },
  })
  await store.init()
  failing = true
  const err = await store.cache.get('ns', 'k').catch((e: unknown) => e)
  t.match(err, { code: 'CM_ERR_STORE_UNAVAILABLE' })
  t.equal((err as Error).cause, outage)
  await t.rejects(store.computations.claim(claimInput()), { code: 'CM_ERR_STORE_UNAVAILABLE' })
})

t.test(
  'a document over 16 MiB is CM_ERR_VALUE_TOO_LARGE; a value over maxValueBytes fails before I/O',
  async (t) => {
    const { store, entries } = setup()
    const huge = 'x'.repeat(17 * 1024 * 1024)
    await t.rejects(
      store.computations.create({
        namespace: 'ns',
        function: 'f',
        functionFull: 'f',
        args: huge,
        hash: 'big',
        hashAlgorithm: 'sha256',
      }),
      { code: 'CM_ERR_VALUE_TOO_LARGE' },
    )
    const small = setup({ maxValueBytes: 10 })
    await t.rejects(small.store.cache.set(entry('k', '"more than ten"')), { code: 'CM_ERR_VALUE_TOO_LARGE' })
    t.same(small.entries.calls, [], 'nothing was sent')
    t.equal(entries.docs.length, 0)
  },
)
