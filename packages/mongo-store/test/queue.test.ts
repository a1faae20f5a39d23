/**
 * MongoDB specifics of the queue port (its semantics are the store-testkit's queue groups, run by
 * conformance.test.ts): without transactions, a recovery or retry interrupted between inserting the
 * next attempt and closing the old one must finish cleanly the next time. Runs when MONGODB_URL is set.
 */
import { randomBytes } from 'node:crypto'
import { MongoClient } from 'mongodb'
import t, { type Test } from 'tap'
import { createMongoStore, toComputationDocument } from '../src/index.js'

const url = process.env.MONGODB_URL

if (url === undefined || url === '') {
  t.comment('skipped: MONGODB_URL not set')
  t.plan(0, 'MONGODB_URL not set')
} else {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 10_000 })
  await client.connect()
  t.teardown(() => client.close())

  const open = async (t: Test, clock: () => number) => {
    const dbName = `cm_test_${randomBytes(8).toString('hex')}`
    const store = await createMongoStore({ client, dbName, clock })
    t.teardown(async () => {
      await store.close()
      await client.db(dbName).dropDatabase()
    })
    return store
  }
  const job = {
    namespace: 'ns',
    function: 'work',
    functionFull: 'jobs/work',
    args: [1],
    hashAlgorithm: 'sha256',
  }
  const claim = { namespaces: ['ns'], functions: ['work'], worker: 'w1', pid: 1, host: 'h', leaseMs: 1000 }

  t.test(
    'recoverExpired after a crash that left the next attempt inserted: closes the old one, reuses it',
    async (t) => {
      let now = Date.UTC(2100, 0, 1)
      const store = await open(t, () => now)
      const { record } = await store.queue.enqueue({ ...job, hash: 'h1', maxAttempts: 3 })
      const claimed = await store.queue.claimNext(claim)
      now += 1000
      // What a recoverer that crashed after its first write left behind: attempt 2 queued, attempt 1 live.
      const orphan = {
        ...claimed!,
        id: 'orphan-attempt-2',
        attempt: 2,
        status: 'queued' as const,
        worker: null,
      }
      await store.db.collection(store.names.computations).insertOne(toComputationDocument(orphan) as never)
      const [recovered] = await store.queue.recoverExpired()
      t.hasStrict(recovered, {
        lost: { id: record.id, status: 'lost' },
        next: { id: 'orphan-attempt-2', attempt: 2 },
      })
      const all = await store.computations.list({ namespace: 'ns' })
      t.equal(all.total, 2, 'no third record')
      t.same(await store.queue.recoverExpired(), [], 'nothing left to recover')
    },
  )

  t.test('retry refuses to run twice: the second sees the next attempt already there', async (t) => {
    const now = Date.UTC(2100, 0, 1)
    const store = await open(t, () => now)
    const { record } = await store.queue.enqueue({ ...job, hash: 'h2', maxAttempts: 3 })
    await store.queue.claimNext(claim)
    const error = { name: 'Error', message: 'x' }
    const results = await Promise.allSettled([
      store.queue.retry('ns', record.id, { error, runAt: now }),
      store.queue.retry('ns', record.id, { error, runAt: now }),
    ])
    t.equal(results.filter((r) => r.status === 'fulfilled').length, 1, 'one retry wins')
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult | undefined
    t.equal((rejected?.reason as { code?: string } | undefined)?.code, 'CM_ERR_CONFLICT')
    const attempts = (await store.computations.list({ namespace: 'ns' })).data.map((r) => [
      r.attempt,
      r.status,
    ])
    t.same(attempts.sort(), [
      [1, 'failed'],
      [2, 'queued'],
    ])
  })
}
