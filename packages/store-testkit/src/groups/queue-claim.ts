import type { Test } from 'tap'
import { NS_A, NS_B, NS_C } from '../fixtures.js'
import { clockSkip, type Harness } from '../harness.js'
import { claimNextInput, drain, jobInput, queueOf } from '../queue-fixtures.js'

/** `queue.claimNext`: order, run-at, scope, leases and fleet-wide limits (manual clock). */
export function queueClaim(t: Test, h: Harness): void {
  const skip = clockSkip(h)

  t.test('claim order: priority desc, then run-at (or creation), then FIFO', { skip }, (t) =>
    claimOrder(t, h),
  )

  t.test('a job whose runAt is in the future is not claimed until the clock passes it', { skip }, (t) =>
    runAtInTheFuture(t, h),
  )

  t.test('claimNext only takes queued jobs of the given namespaces and functions', { skip }, (t) =>
    claimScope(t, h),
  )

  t.test(
    'the winner holds a lease; the job is claimed once until it expires and is recovered',
    { skip },
    (t) => claimLease(t, h),
  )

  t.test('claimNext: the owner defaults to the worker id', (t) => ownerDefaultsToWorker(t, h))

  t.test('fleet-wide limits: at most n claimed jobs of a function run at once', { skip }, (t) =>
    fleetWideLimits(t, h),
  )

  t.test('claimBatch: up to max jobs in claim order, limits honoured across the batch', { skip }, (t) =>
    claimBatch(t, h),
  )
}

async function claimBatch(t: Test, h: Harness): Promise<void> {
  const { store, clock } = await h.open(t)
  const queue = queueOf(store)
  const ids: string[] = []
  for (let i = 0; i < 5; i++) {
    ids.push((await queue.enqueue(jobInput({ priority: i }))).record.id)
    clock.advance(1)
  }
  const encode = (await queue.enqueue(jobInput({ function: 'encode' }))).record
  t.same(await queue.claimBatch(claimNextInput({ functions: ['nothing'], max: 5 })), [], 'nothing runnable')
  const first = await queue.claimBatch(claimNextInput({ max: 3, worker: 'w-batch' }))
  t.same(
    first.map((r) => r.id),
    [ids[4], ids[3], ids[2]],
    'three, highest priority first',
  )
  t.ok(
    first.every((r) => r.status === 'started' && r.worker === 'w-batch' && r.leaseUntil === clock() + 30_000),
    'each claimed and leased',
  )
  const limited = await queue.claimBatch(
    claimNextInput({ functions: ['resize', 'encode'], limits: { resize: 4 }, max: 10 }),
  )
  t.same(
    limited.map((r) => r.id),
    [ids[1], encode.id],
    'resize stops at its fleet-wide limit of 4 running; encode is unlimited',
  )
  const rest = await queue.claimBatch(claimNextInput({ max: 10 }))
  t.same(
    rest.map((r) => r.id),
    [ids[0]],
    'fewer than max left: all of them',
  )
  t.same(await drain(queue), [], 'every job claimed exactly once')
}

async function claimOrder(t: Test, h: Harness): Promise<void> {
  const { store, clock } = await h.open(t)
  const queue = queueOf(store)
  const enqueue = async (label: string, extra: { priority?: number; runAt?: number }) => {
    const { record } = await queue.enqueue(jobInput({ ...extra, message: label }))
    clock.advance(10)
    return record
  }
  const t0 = clock()
  await enqueue('low-first', { priority: -5 })
  await enqueue('fifo-1', {})
  await enqueue('fifo-2', {})
  await enqueue('urgent', { priority: 10 })
  await enqueue('backdated', { runAt: t0 - 1000 })
  await enqueue('urgent-later', { priority: 10 })
  const order: string[] = []
  for (
    let next = await queue.claimNext(claimNextInput());
    next !== null;
    next = await queue.claimNext(claimNextInput())
  ) {
    order.push(next.message ?? '?')
  }
  t.same(order, ['urgent', 'urgent-later', 'backdated', 'fifo-1', 'fifo-2', 'low-first'])
}

async function runAtInTheFuture(t: Test, h: Harness): Promise<void> {
  const { store, clock } = await h.open(t)
  const queue = queueOf(store)
  const { record } = await queue.enqueue(jobInput({ runAt: clock() + 60_000, priority: 100 }))
  const now = await queue.enqueue(jobInput())
  t.equal(
    (await queue.claimNext(claimNextInput()))?.id,
    now.record.id,
    'the due job first, whatever the priority',
  )
  t.equal(await queue.claimNext(claimNextInput()), null, 'the delayed job waits')
  clock.advance(59_999)
  t.equal(await queue.claimNext(claimNextInput()), null, '1 ms before its runAt')
  clock.advance(1)
  t.equal((await queue.claimNext(claimNextInput()))?.id, record.id, 'claimable at its runAt')
}

async function claimScope(t: Test, h: Harness): Promise<void> {
  const { store } = await h.open(t)
  const queue = queueOf(store)
  const wanted = await queue.enqueue(jobInput({ namespace: NS_B }))
  await queue.enqueue(jobInput({ namespace: NS_C }))
  await queue.enqueue(jobInput({ function: 'encode', functionFull: 'video/encode' }))
  await store.computations.create({ ...jobInput(), status: 'started' })
  const input = claimNextInput({ namespaces: [NS_A, NS_B], functions: ['resize', 'thumbnail'] })
  t.same(await drain(queue, input), [wanted.record.id], 'only the queued resize job of A or B')
  const enc = await queue.claimNext(claimNextInput({ functions: ['encode'] }))
  t.equal(enc?.function, 'encode', 'another function, another claim')
  t.equal(
    await queue.claimNext(claimNextInput({ functions: ['video/encode'] })),
    null,
    'matched on `function` only',
  )
}

async function claimLease(t: Test, h: Harness): Promise<void> {
  const { store, clock } = await h.open(t)
  const queue = queueOf(store)
  const { record } = await queue.enqueue(jobInput({ maxAttempts: 2 }))
  const claimed = await queue.claimNext(claimNextInput({ leaseMs: 5000, owner: 'w1/slot-1' }))
  t.hasStrict(claimed, {
    id: record.id,
    status: 'started',
    worker: 'w1',
    owner: 'w1/slot-1',
    pid: 4242,
    host: 'host-1',
    startedAt: clock(),
    heartbeatAt: clock(),
    leaseUntil: clock() + 5000,
  })
  const byWorker = await queue.claimNext(claimNextInput({ worker: 'w9' }))
  t.equal(byWorker, null, 'owner defaults aside, nobody else gets it')
  clock.advance(4000)
  await store.computations.heartbeat(NS_A, record.id, { leaseUntil: clock() + 5000 })
  clock.advance(4000)
  t.same(await queue.recoverExpired(), [], 'renewed by a heartbeat: not expired')
  t.equal(await queue.claimNext(claimNextInput({ worker: 'w2' })), null, 'still held')
  clock.advance(1000)
  const [recovered] = await queue.recoverExpired()
  t.hasStrict(recovered?.lost, { id: record.id, status: 'lost' })
  const again = await queue.claimNext(claimNextInput({ worker: 'w2' }))
  t.hasStrict(again, { id: recovered?.next?.id, attempt: 2, worker: 'w2' }, 'attempt 2 on another worker')
}

async function ownerDefaultsToWorker(t: Test, h: Harness): Promise<void> {
  const { store } = await h.open(t)
  await queueOf(store).enqueue(jobInput())
  t.hasStrict(await queueOf(store).claimNext(claimNextInput({ worker: 'w7' })), {
    worker: 'w7',
    owner: 'w7',
  })
}

async function fleetWideLimits(t: Test, h: Harness): Promise<void> {
  const { store, clock } = await h.open(t)
  const queue = queueOf(store)
  for (let i = 0; i < 4; i++) await queue.enqueue(jobInput())
  const other = await queue.enqueue(jobInput({ function: 'encode', functionFull: 'video/encode' }))
  const input = claimNextInput({ functions: ['resize', 'encode'], limits: { resize: 2 }, leaseMs: 10_000 })
  const first = await queue.claimNext({ ...input, worker: 'w1' })
  const second = await queue.claimNext({ ...input, worker: 'w2' })
  t.same([first?.function, second?.function], ['resize', 'resize'])
  const third = await queue.claimNext({ ...input, worker: 'w3' })
  t.equal(third?.id, other.record.id, 'resize is at its limit: the other function is claimed')
  t.equal(await queue.claimNext({ ...input, worker: 'w4' }), null, 'nothing else may run')
  await store.computations.update(NS_A, first!.id, 'started', { status: 'finished' })
  t.equal(
    (await queue.claimNext({ ...input, worker: 'w4' }))?.function,
    'resize',
    'a slot freed by a finished job',
  )
  t.equal(await queue.claimNext({ ...input, worker: 'w5' }), null, 'at the limit again')
  clock.advance(10_000)
  t.equal(
    (await queue.claimNext({ ...input, worker: 'w5' }))?.function,
    'resize',
    'expired leases hold no slot',
  )
  t.equal(
    await queue.claimNext(claimNextInput({ limits: { resize: 1 } })),
    null,
    'no queued resize job is left',
  )
}
