import type { Test } from 'tap'
import { NS_A, NS_B } from '../fixtures.js'
import { expectCode, type Harness, hasComputationFields, sameJson } from '../harness.js'
import { claimNextInput, jobInput, queueOf } from '../queue-fixtures.js'

/** `queue.enqueue` (create, join, rerun) and `queue.requeue`. */
export function queueEnqueue(t: Test, h: Harness): void {
  t.test('enqueue: a queued record with the queue fields', (t) => enqueueCreates(t, h))

  t.test('enqueue joins a live attempt and returns a finished one unless rerun', (t) => enqueueJoins(t, h))

  t.test('enqueue starts a new attempt after a failed or lost one', (t) => enqueueAfterFailedOrLost(t, h))

  t.test('enqueue is scoped by namespace', (t) => enqueueByNamespace(t, h))

  t.test('requeue: started or paused back to queued, same attempt, checkpoint kept or replaced', (t) =>
    requeueBack(t, h),
  )
}

async function enqueueCreates(t: Test, h: Harness): Promise<void> {
  const { store, clock } = await h.open(t)
  const input = jobInput({ priority: 7, maxAttempts: 3, runAt: clock() + 5000, owner: 'alice' })
  const { record, created } = await queueOf(store).enqueue(input)
  t.equal(created, true, 'created')
  hasComputationFields(t, record)
  t.hasStrict(record, {
    namespace: NS_A,
    function: 'resize',
    status: 'queued',
    attempt: 1,
    priority: 7,
    maxAttempts: 3,
    runAt: input.runAt,
    worker: null,
    owner: 'alice',
    leaseUntil: null,
    startedAt: null,
  })
  sameJson(t, record.args, input.args, 'args as given')
  t.same(await store.computations.get(NS_A, record.id), record, 'stored as returned')
  const plain = (await queueOf(store).enqueue(jobInput())).record
  t.hasStrict(plain, { priority: 0, maxAttempts: 1, runAt: null }, 'defaults')
}

async function enqueueJoins(t: Test, h: Harness): Promise<void> {
  const { store } = await h.open(t)
  const queue = queueOf(store)
  const first = await queue.enqueue(jobInput())
  const hash = first.record.hash
  const joined = await queue.enqueue(jobInput({ hash, priority: 99 }))
  t.same(
    [joined.created, joined.record.id, joined.record.priority],
    [false, first.record.id, 0],
    'queued: joined',
  )
  await queue.claimNext(claimNextInput())
  const whileRunning = await queue.enqueue(jobInput({ hash }))
  t.same([whileRunning.created, whileRunning.record.status], [false, 'started'], 'started: joined')
  await store.computations.update(NS_A, first.record.id, 'started', { status: 'finished' })
  const done = await queue.enqueue(jobInput({ hash }))
  t.same(
    [done.created, done.record.id, done.record.status],
    [false, first.record.id, 'finished'],
    'finished: returned',
  )
  const rerun = await queue.enqueue(jobInput({ hash, rerun: true }))
  t.same([rerun.created, rerun.record.attempt, rerun.record.status], [true, 2, 'queued'], 'rerun: attempt 2')
  t.equal((await store.computations.getByHash(NS_A, hash))?.id, rerun.record.id, 'the latest attempt')
}

async function enqueueAfterFailedOrLost(t: Test, h: Harness): Promise<void> {
  const { store } = await h.open(t)
  const queue = queueOf(store)
  const { record } = await queue.enqueue(jobInput())
  await store.computations.update(NS_A, record.id, 'queued', { status: 'failed' })
  const again = await queue.enqueue(jobInput({ hash: record.hash }))
  t.same([again.created, again.record.attempt], [true, 2], 'after failed')
  const other = await store.computations.create({ ...jobInput(), status: 'started' })
  await store.computations.update(NS_A, other.id, 'started', { status: 'lost' })
  const afterLost = await queue.enqueue(jobInput({ hash: other.hash }))
  t.same([afterLost.created, afterLost.record.attempt], [true, 2], 'after lost')
}

async function enqueueByNamespace(t: Test, h: Harness): Promise<void> {
  const { store } = await h.open(t)
  const a = await queueOf(store).enqueue(jobInput({ hash: 'same-hash' }))
  const b = await queueOf(store).enqueue(jobInput({ hash: 'same-hash', namespace: NS_B }))
  t.equal(b.created, true, 'the same hash in another namespace is another job')
  t.not(a.record.id, b.record.id)
}

async function requeueBack(t: Test, h: Harness): Promise<void> {
  const { store, clock } = await h.open(t)
  const queue = queueOf(store)
  const { record } = await queue.enqueue(jobInput())
  await queue.claimNext(claimNextInput())
  await store.computations.update(NS_A, record.id, 'started', { checkpoint: { step: 3 } })
  clock.advance(1000)
  const back = await queue.requeue(NS_A, record.id, 'started')
  t.hasStrict(back, {
    status: 'queued',
    attempt: 1,
    worker: null,
    leaseUntil: null,
    checkpoint: { step: 3 },
  })
  if (h.caps.supportsInjectedClock) t.equal(back.activeMs, 1000, 'the running segment is closed')
  const again = await queue.claimNext(claimNextInput({ worker: 'w2' }))
  t.hasStrict(again, { id: record.id, worker: 'w2', status: 'started' }, 'claimable again by any worker')
  await store.computations.update(NS_A, record.id, 'started', { status: 'paused' })
  const resumed = await queue.requeue(NS_A, record.id, 'paused', { checkpoint: { step: 4 }, runAt: null })
  t.hasStrict(resumed, { status: 'queued', checkpoint: { step: 4 } }, 'paused → queued with a new checkpoint')
  await expectCode(t, () => queue.requeue(NS_A, record.id, 'started'), 'CM_ERR_CONFLICT', 'not started')
  await expectCode(
    t,
    () => queue.requeue(NS_B, record.id, 'queued' as 'started'),
    'CM_ERR_INVALID_ARGUMENT',
    'queued is not a requeue source',
  )
  await expectCode(t, () => queue.requeue(NS_B, record.id, 'paused'), 'CM_ERR_NOT_FOUND', 'other namespace')
  await expectCode(t, () => queue.requeue(NS_A, 'missing', 'paused'), 'CM_ERR_NOT_FOUND', 'missing')
}
