import type { EventLogStore, EventType, Store, StoreEvent } from '@comp-manager/core'
import type { Test } from 'tap'
import { cacheInput, claimInput, computationInput, NS_A, NS_B } from '../fixtures.js'
import { clockSkip, type Harness } from '../harness.js'
import { claimNextInput, jobInput, queueOf } from '../queue-fixtures.js'

/** The store's event log; the events groups only run on stores that have one. */
export function eventsOf(store: Store): EventLogStore {
  if (store.events === undefined) throw new Error('the store has no event log port')
  return store.events
}

const typesOf = (events: readonly StoreEvent[]): EventType[] => events.map((e) => e.type)

/** Events of namespace A after `after`. */
async function newEvents(store: Store, after = 0): Promise<StoreEvent[]> {
  return eventsOf(store).read({ namespace: NS_A, after, limit: 1000 })
}

/** What the log records of computations, cache entries and workers (the same on every store). */
export function events(t: Test, h: Harness): void {
  const skip = clockSkip(h)
  t.test('a run: started, progress coalesced, paused, resumed, finished', { skip }, (t) => runEvents(t, h))
  t.test('cancel, fail, lose: cancelled, failed, lost', { skip }, (t) => endings(t, h))
  t.test('cache: a delete and an invalidation are events, a no-op is not', (t) => cacheEvents(t, h))
}

/** What the log records of the queue port's jobs and workers (stores with both ports). */
export function eventsQueue(t: Test, h: Harness): void {
  t.test('queue: queued, started, failed + retrying, requeue of a paused job is resumed', (t) =>
    queueEvents(t, h),
  )
  t.test('workers: joined once, left on unregister', (t) => workerEvents(t, h))
}

async function runEvents(t: Test, h: Harness): Promise<void> {
  const { store, clock } = await h.open(t)
  const c = store.computations
  const { record } = await c.claim(claimInput({ function: 'fib' }))
  const lease = () => clock() + 30_000
  await c.heartbeat(NS_A, record.id, { leaseUntil: lease(), progress: { fraction: 0.1 } })
  clock.advance(100)
  await c.heartbeat(NS_A, record.id, { leaseUntil: lease(), progress: { fraction: 0.2 } })
  clock.advance(1000)
  await c.heartbeat(NS_A, record.id, { leaseUntil: lease(), progress: { fraction: 0.3 } })
  await c.heartbeat(NS_A, record.id, { leaseUntil: lease() })
  await c.update(NS_A, record.id, 'started', { status: 'paused' })
  await c.update(NS_A, record.id, 'paused', { status: 'started' })
  clock.advance(10)
  const done = await c.update(NS_A, record.id, 'started', { status: 'finished', progress: { fraction: 1 } })
  const log = await newEvents(store)
  t.same(typesOf(log), ['started', 'progress', 'progress', 'paused', 'resumed', 'finished'])
  t.same(
    log.map((e) => e.sequence),
    [...log.map((e) => e.sequence)].sort((a, b) => a - b),
    'sequences increase in append order',
  )
  t.equal(new Set(log.map((e) => e.sequence)).size, log.length, 'sequences are unique')
  t.same(
    log.filter((e) => e.type === 'progress').map((e) => (e.data.progress as { fraction: number }).fraction),
    [0.1, 0.3],
    'the progress within a second of the last progress event is coalesced',
  )
  t.hasStrict(log.at(-1), {
    type: 'finished',
    namespace: NS_A,
    computationId: record.id,
    function: 'fib',
    status: 'finished',
    at: done.updatedAt,
    data: { attempt: 1, progress: { fraction: 1 }, error: null },
  })
  t.equal(await eventsOf(store).lastSequence(), log.at(-1)!.sequence, 'lastSequence is the newest event')
}

async function endings(t: Test, h: Harness): Promise<void> {
  const { store, clock } = await h.open(t)
  const c = store.computations
  const cancelled = await c.create(computationInput())
  await c.update(NS_A, cancelled.id, 'queued', {
    status: 'failed',
    error: { name: 'CancelledError', message: 'by test', code: 'CM_ERR_CANCELLED' },
  })
  const failing = (await c.claim(claimInput())).record
  await c.update(NS_A, failing.id, 'started', {
    status: 'failed',
    error: { name: 'RangeError', message: 'n < 0' },
  })
  const dying = (await c.claim(claimInput({ leaseMs: 1000 }))).record
  clock.advance(2000)
  await c.expire(NS_A, dying.id)
  const log = await newEvents(store)
  t.same(typesOf(log), ['queued', 'cancelled', 'started', 'failed', 'started', 'lost'])
  t.same(log[3]!.data.error, { name: 'RangeError', message: 'n < 0' }, 'the error name and message, no stack')
  t.equal(log[5]!.status, 'lost')
  const before = await eventsOf(store).lastSequence()
  // A later millisecond: core's journal tells a run the claim itself marked lost by its timestamp.
  clock.advance(1)
  const rerun = await c.claim(claimInput({ hash: dying.hash, onTerminal: 'rerun' }))
  t.same(typesOf(await newEvents(store, before)), ['started'], 'a rerun of a lost run: only its start')
  t.equal((await newEvents(store, before))[0]!.data.attempt, rerun.record.attempt)
  const stale = (await c.claim(claimInput({ leaseMs: 1000 }))).record
  clock.advance(2000)
  const mark = await eventsOf(store).lastSequence()
  const taken = await c.claim(claimInput({ hash: stale.hash }))
  const takeover = await newEvents(store, mark)
  t.same(typesOf(takeover), ['lost', 'started'], 'a claim that replaces an expired run: lost, then started')
  t.same(
    takeover.map((e) => e.computationId),
    [stale.id, taken.record.id],
  )
}

async function queueEvents(t: Test, h: Harness): Promise<void> {
  const { store } = await h.open(t)
  const q = queueOf(store)
  const { record } = await q.enqueue(jobInput({ maxAttempts: 2 }))
  await q.enqueue(jobInput({ hash: record.hash }))
  const claimed = await q.claimNext(claimNextInput())
  t.equal(claimed?.id, record.id)
  await q.retry(NS_A, record.id, { error: { name: 'Error', message: 'flaky' }, runAt: 0 })
  const second = await q.claimNext(claimNextInput())
  await store.computations.update(NS_A, second!.id, 'started', { status: 'paused' })
  await q.requeue(NS_A, second!.id, 'paused')
  const log = await newEvents(store)
  t.same(typesOf(log), ['queued', 'started', 'failed', 'retrying', 'started', 'paused', 'resumed'])
  t.same(
    log.map((e) => e.data.attempt),
    [1, 1, 1, 2, 2, 2, 2],
    'each event names its attempt',
  )
  t.same(
    log.map((e) => e.status),
    ['queued', 'started', 'failed', 'queued', 'started', 'paused', 'queued'],
  )
}

async function cacheEvents(t: Test, h: Harness): Promise<void> {
  const { store } = await h.open(t)
  const a = await store.cache.set(cacheInput({ tags: ['x'] }))
  await store.cache.set(cacheInput({ tags: ['x'] }))
  const kept = await store.cache.set(cacheInput({ function: 'other', namespace: NS_B }))
  t.equal(await store.cache.delete(NS_A, a.key), true)
  t.equal(await store.cache.delete(NS_A, a.key), false)
  t.equal(await store.cache.invalidate(NS_A, { tag: 'x' }), 1)
  t.equal(await store.cache.invalidate(NS_A, { tag: 'x' }), 0)
  const log = await newEvents(store)
  t.same(
    typesOf(log),
    ['cache.deleted', 'cache.invalidated'],
    'a delete or invalidation that removed nothing is no event',
  )
  t.hasStrict(log[0], { namespace: NS_A, data: { key: a.key }, computationId: null, status: null })
  t.hasStrict(log[1], { data: { criteria: { tag: 'x' }, count: 1 } })
  t.equal(await store.cache.invalidate(NS_B, { function: 'other' }), 1)
  const b = await eventsOf(store).read({ namespace: NS_B })
  t.hasStrict(b, [
    { type: 'cache.invalidated', function: 'other', data: { criteria: { function: 'other' } } },
  ])
  t.not(kept.key, a.key)
}

async function workerEvents(t: Test, h: Harness): Promise<void> {
  const { store } = await h.open(t)
  const queue = queueOf(store)
  const info = {
    id: 'w-events',
    namespaces: [NS_A, NS_B],
    functions: ['resize'],
    host: 'host-1',
    pid: 7,
    concurrency: 1,
    running: 0,
    startedAt: 1,
  }
  await queue.registerWorker(info, 10_000)
  await queue.registerWorker({ ...info, running: 1 }, 10_000)
  await queue.unregisterWorker('w-events')
  t.same(typesOf(await newEvents(store)), ['worker.joined', 'worker.left'], 'a refresh is not a join')
  const b = await eventsOf(store).read({ namespace: NS_B })
  t.hasStrict(b, [
    { type: 'worker.joined', data: { worker: 'w-events', host: 'host-1', pid: 7 } },
    { type: 'worker.left' },
  ])
}
