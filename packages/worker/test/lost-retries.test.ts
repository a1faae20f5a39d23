import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { MemoryStore, type Store } from '@comp-manager/core'
import { MongoStore } from '@comp-manager/mongo-store'
import { SqliteStore } from '@comp-manager/sqlite-store'
import t, { type Test } from 'tap'
import { createQueue } from '../src/index.js'
import { fakeClock, gate, startWorker, until } from './fixtures/helpers.js'

// The worker's `maxLostRetries` travels with its claims: when its lease runs out and someone else
// notices first (a tracker's sweeper, a waiter: `computations.expire`), the job gets the retries the
// worker was configured with, not a fixed 3. A fake clock shared by the store and the worker moves
// past the lease; the lease is long in real time (60 s), so no heartbeat renews it meanwhile.
type Open = (t: Test, clock: () => number) => Store
const closing = (t: Test, store: Store) => {
  t.teardown(() => store.close())
  return store
}
const kinds: [string, Open][] = [
  ['memory', (t, clock) => closing(t, new MemoryStore({ clock }))],
  ['sqlite', (t, clock) => closing(t, new SqliteStore({ path: join(t.testdir(), 'lost.db'), clock }))],
]
const mongoUrl = process.env.MONGODB_URL
if (mongoUrl) {
  kinds.push([
    'mongo',
    (t, clock) => {
      const store = new MongoStore({
        url: mongoUrl,
        dbName: `cm_lost_${randomBytes(6).toString('hex')}`,
        clock,
      })
      t.teardown(async () => {
        await store.db.dropDatabase()
        await store.close()
      })
      return store
    },
  ])
} else console.log('# skipped: MONGODB_URL not set')

/** Runs one job on a worker with `maxLostRetries`, lets its lease lapse, expires it; the attempts left. */
async function expireAfterLapse(t: Test, open: Open, maxLostRetries: number | undefined) {
  const clock = fakeClock()
  const store = open(t, clock.now)
  const queue = createQueue({ store, namespace: 'w', clock: clock.now })
  const hang = gate()
  t.teardown(hang.open)
  const started: string[] = []
  const worker = await startWorker(t, store, {
    clock: clock.now,
    leaseMs: 60_000,
    recoverIntervalMs: 600_000,
    scheduleIntervalMs: false,
    ...(maxLostRetries === undefined ? {} : { maxLostRetries }),
    functions: { slow: () => hang.wait },
  })
  worker.on('started', ({ record }) => void started.push(record.id))
  const job = await queue.submit('slow', [1], { attempts: 1 })
  await until(() => started.length === 1, 'the job to start')
  clock.advance(60_001)
  const lost = await store.computations.expire('w', job.id)
  t.equal(lost?.status, 'lost', 'expired by someone other than the worker')
  const { data } = await store.computations.list({ namespace: 'w', hash: job.record.hash, sort: 'createdAt' })
  return data.map((r) => [r.attempt, r.status])
}

for (const [name, open] of kinds) {
  t.test(`${name}: a worker with maxLostRetries 0: expire queues no next attempt`, async (t) => {
    t.same(await expireAfterLapse(t, open, 0), [[1, 'lost']])
  })

  t.test(`${name}: the default (3) still gives a next attempt`, async (t) => {
    t.same(await expireAfterLapse(t, open, undefined), [
      [1, 'lost'],
      [2, 'queued'],
    ])
  })
}
