import type { Test } from 'tap'
import { claimInput, NS_A, NS_B } from '../fixtures.js'
import { clockSkip, expectCode, type Harness } from '../harness.js'
import { claimNextInput, jobInput, queueOf } from '../queue-fixtures.js'

const boom = { name: 'Error', message: 'boom', code: 'E_BOOM' }

/** `queue.retry` and `queue.recoverExpired`. */
export function queueRetry(t: Test, h: Harness): void {
  const skip = clockSkip(h)

  t.test('retry: the attempt fails and attempt n+1 is queued for runAt, with the same call', { skip }, (t) =>
    retryQueuesNextAttempt(t, h),
  )

  t.test('retry refuses the last attempt and a record that is not started', (t) => retryRefusals(t, h))

  t.test(
    'recoverExpired: expired claimed jobs become lost and get a new attempt, checkpoint kept',
    { skip },
    (t) => recoverExpiredJobs(t, h),
  )

  t.test('recoverExpired: limit, and no new attempt past maxAttempts + maxLostRetries', { skip }, (t) =>
    recoverBounds(t, h),
  )

  t.test(
    'computations.expire of a claimed job (a sweeper, a waiter) also queues its next attempt',
    { skip },
    (t) => expireQueuesNextAttempt(t, h),
  )

  t.test('computations.expire gives a job the lost retries its claim recorded', { skip }, (t) =>
    expireHonoursClaimedLostRetries(t, h),
  )

  t.test(
    "recoverExpired gives a job the lost retries its claim recorded, not the recovering process's",
    { skip },
    (t) => recoverHonoursClaimedLostRetries(t, h),
  )
}

/**
 * Worker A claims with its `maxLostRetries` and dies; another process (its own option differs)
 * recovers the job: the value A's claim recorded decides, as `computations.expire` would.
 */
async function recoverHonoursClaimedLostRetries(t: Test, h: Harness): Promise<void> {
  const { store, clock } = await h.open(t)
  const queue = queueOf(store)
  const zero = (await queue.enqueue(jobInput({ maxAttempts: 1 }))).record
  await queue.claimNext(claimNextInput({ worker: 'worker-a', leaseMs: 100, maxLostRetries: 0 }))
  clock.advance(100)
  const [first, ...others] = await queue.recoverExpired({ maxLostRetries: 5 })
  t.hasStrict(first, { lost: { id: zero.id, status: 'lost' } })
  t.equal(first?.next, null, "A's 0 wins over the recoverer's 5: no next attempt")
  t.same(others, [], 'one job recovered')

  const five = (await queue.enqueue(jobInput({ maxAttempts: 1 }))).record
  await queue.claimNext(claimNextInput({ worker: 'worker-a', leaseMs: 100, maxLostRetries: 5 }))
  clock.advance(100)
  const [second] = await queue.recoverExpired({ maxLostRetries: 0 })
  t.hasStrict(
    second,
    { lost: { id: five.id, status: 'lost' }, next: { hash: five.hash, attempt: 2, status: 'queued' } },
    "A's 5 wins over the recoverer's 0: attempt 2 is queued",
  )
  const attempts = await store.computations.list({ namespace: NS_A, hash: five.hash, sort: 'createdAt' })
  t.same(
    attempts.data.map((r) => [r.attempt, r.status]),
    [
      [1, 'lost'],
      [2, 'queued'],
    ],
  )
}

/** `maxLostRetries` given at claim (the claiming worker's option) bounds what `expire` re-queues. */
async function expireHonoursClaimedLostRetries(t: Test, h: Harness): Promise<void> {
  const { store, clock } = await h.open(t)
  const queue = queueOf(store)
  const attemptsOf = async (hash: string) =>
    (await store.computations.list({ namespace: NS_A, hash, sort: 'createdAt' })).data.map((r) => [
      r.attempt,
      r.status,
    ])
  const none = await queue.enqueue(jobInput({ maxAttempts: 1 }))
  await queue.claimNext(claimNextInput({ leaseMs: 100, maxLostRetries: 0 }))
  clock.advance(100)
  t.hasStrict(await store.computations.expire(NS_A, none.record.id), { status: 'lost' })
  t.same(await attemptsOf(none.record.hash), [[1, 'lost']], 'maxLostRetries 0: no next attempt')

  const one = await queue.enqueue(jobInput({ maxAttempts: 1 }))
  await queue.claimNext(claimNextInput({ leaseMs: 100, maxLostRetries: 1 }))
  clock.advance(100)
  await store.computations.expire(NS_A, one.record.id)
  const [, second] = (
    await store.computations.list({ namespace: NS_A, hash: one.record.hash, sort: 'createdAt' })
  ).data
  t.hasStrict(second, { attempt: 2, status: 'queued' }, 'maxLostRetries 1: one more attempt')
  await queue.claimNext(claimNextInput({ leaseMs: 100, maxLostRetries: 1 }))
  clock.advance(100)
  await store.computations.expire(NS_A, second?.id as string)
  t.same(
    await attemptsOf(one.record.hash),
    [
      [1, 'lost'],
      [2, 'lost'],
    ],
    'and no third',
  )
}

async function expireQueuesNextAttempt(t: Test, h: Harness): Promise<void> {
  const { store, clock } = await h.open(t)
  const queue = queueOf(store)
  const { record } = await queue.enqueue(jobInput({ maxAttempts: 1 }))
  await queue.claimNext(claimNextInput({ leaseMs: 100 }))
  await store.computations.update(NS_A, record.id, 'started', { checkpoint: { done: 3 } })
  const tracked = await store.computations.claim(claimInput({ leaseMs: 100 }))
  clock.advance(100)
  t.hasStrict(await store.computations.expire(NS_A, record.id), { id: record.id, status: 'lost' })
  const attempts = await store.computations.list({ namespace: NS_A, hash: record.hash, sort: 'createdAt' })
  t.same(
    attempts.data.map((r) => [r.attempt, r.status]),
    [
      [1, 'lost'],
      [2, 'queued'],
    ],
    'the next attempt is queued (default lost retries: 3 beyond maxAttempts)',
  )
  t.hasStrict(attempts.data[1], { checkpoint: { done: 3 }, worker: null, runAt: null })
  t.same(await queue.recoverExpired(), [], 'nothing left for a worker to recover')
  t.hasStrict(await queue.claimNext(claimNextInput()), { attempt: 2, status: 'started' }, 'claimable')
  await store.computations.expire(NS_A, tracked.record.id)
  const own = await store.computations.list({ namespace: NS_A, hash: tracked.record.hash })
  t.equal(own.total, 1, 'a run tracked in-process gets no new attempt from expire')
  for (let attempt = 2; attempt <= 4; attempt++) {
    clock.advance(30_000)
    const live = await store.computations.list({ namespace: NS_A, hash: record.hash, status: 'started' })
    const [running] = live.data
    t.equal(running?.attempt, attempt)
    await store.computations.expire(NS_A, running?.id as string)
    if (attempt < 4) await queue.claimNext(claimNextInput())
  }
  const last = await store.computations.list({ namespace: NS_A, hash: record.hash, sort: 'createdAt' })
  t.same(
    last.data.map((r) => r.status),
    ['lost', 'lost', 'lost', 'lost'],
    'attempt 4 = 1 + 3 lost retries: no fifth attempt',
  )
}

async function retryQueuesNextAttempt(t: Test, h: Harness): Promise<void> {
  const { store, clock } = await h.open(t)
  const queue = queueOf(store)
  const { record } = await queue.enqueue(jobInput({ maxAttempts: 3, priority: 4 }))
  await queue.claimNext(claimNextInput())
  await store.computations.update(NS_A, record.id, 'started', { checkpoint: { page: 2 } })
  const { failed, next } = await queue.retry(NS_A, record.id, { error: boom, runAt: clock() + 2000 })
  t.hasStrict(failed, {
    id: record.id,
    status: 'failed',
    error: boom,
    attempt: 1,
    finishedAt: clock(),
    leaseUntil: null,
  })
  t.hasStrict(next, {
    hash: record.hash,
    status: 'queued',
    attempt: 2,
    priority: 4,
    maxAttempts: 3,
    runAt: clock() + 2000,
    worker: null,
    checkpoint: { page: 2 },
  })
  t.same(next.args, record.args, 'same args')
  t.same(await store.computations.get(NS_A, record.id), failed, 'stored: failed')
  t.same(await store.computations.getByHash(NS_A, record.hash), next, 'the latest attempt is the new one')
  t.equal(await queue.claimNext(claimNextInput()), null, 'backoff: not before runAt')
  clock.advance(2000)
  t.equal((await queue.claimNext(claimNextInput()))?.id, next.id, 'then claimable')
}

async function retryRefusals(t: Test, h: Harness): Promise<void> {
  const { store, clock } = await h.open(t)
  const queue = queueOf(store)
  const { record } = await queue.enqueue(jobInput({ maxAttempts: 1 }))
  const input = { error: boom, runAt: clock() }
  await expectCode(t, () => queue.retry(NS_A, record.id, input), 'CM_ERR_CONFLICT', 'queued: not started')
  await queue.claimNext(claimNextInput())
  await expectCode(t, () => queue.retry(NS_A, record.id, input), 'CM_ERR_INVALID_ARGUMENT', 'attempt 1 of 1')
  t.hasStrict(await store.computations.get(NS_A, record.id), { status: 'started' }, 'unchanged')
  t.equal((await store.computations.list({ namespace: NS_A })).total, 1, 'no attempt inserted')
  await expectCode(t, () => queue.retry(NS_B, record.id, input), 'CM_ERR_NOT_FOUND', 'other namespace')
}

async function recoverExpiredJobs(t: Test, h: Harness): Promise<void> {
  const { store, clock } = await h.open(t)
  const queue = queueOf(store)
  const a = (await queue.enqueue(jobInput())).record
  const b = (await queue.enqueue(jobInput({ namespace: NS_B }))).record
  await queue.claimNext(claimNextInput({ leaseMs: 1000 }))
  clock.advance(1)
  await queue.claimNext(claimNextInput({ namespaces: [NS_B], leaseMs: 1000 }))
  await store.computations.update(NS_A, a.id, 'started', { checkpoint: { done: 7 } })
  const tracked = await store.computations.claim(claimInput({ leaseMs: 500 }))
  t.same(await queue.recoverExpired(), [], 'nothing expired yet')
  clock.advance(1000)
  const recovered = await queue.recoverExpired()
  t.same(
    recovered.map((r) => r.lost.id),
    [a.id, b.id],
    'both namespaces, oldest lease first; a run tracked in-process (no worker) is not a job',
  )
  t.hasStrict(recovered[0], {
    lost: { status: 'lost', finishedAt: clock() },
    next: { status: 'queued', attempt: 2, checkpoint: { done: 7 }, runAt: null, worker: null },
  })
  t.hasStrict(await store.computations.get(NS_A, tracked.record.id), { status: 'started' }, 'untouched')
  t.same(await queue.recoverExpired(), [], 'idempotent: nothing left to recover')
}

async function recoverBounds(t: Test, h: Harness): Promise<void> {
  const { store, clock } = await h.open(t)
  const queue = queueOf(store)
  for (let i = 0; i < 3; i++) await queue.enqueue(jobInput({ maxAttempts: 1 }))
  // The lost retries are the claim's (recorded with the job), whatever the recovering process says.
  await queue.claimNext(claimNextInput({ leaseMs: 100, maxLostRetries: 0 }))
  clock.advance(1)
  for (let i = 0; i < 2; i++) await queue.claimNext(claimNextInput({ leaseMs: 100, maxLostRetries: 1 }))
  clock.advance(100)
  const one = await queue.recoverExpired({ limit: 1 })
  t.equal(one.length, 1, 'limit')
  t.equal(one[0]?.next, null, 'attempt 1 of 1 and no lost retries: no new attempt')
  const rest = await queue.recoverExpired()
  t.same(
    rest.map((r) => r.next?.attempt),
    [2, 2],
    'one lost retry each',
  )
  await queue.claimNext(claimNextInput({ leaseMs: 100, maxLostRetries: 1 }))
  clock.advance(100)
  const [again] = await queue.recoverExpired({ maxLostRetries: 3 })
  t.hasStrict(again, { lost: { attempt: 2 }, next: null }, 'attempt 2 < 1 + 1 is false: over')
}
