import type { ComputationStatus } from '@comp-manager/core'
import type { Test } from 'tap'
import { claimInput, NS_A, NS_B, recordIn } from '../fixtures.js'
import { expectCode, type Harness } from '../harness.js'

/** Heartbeats, `findExpired` and `expire`, with the manual clock. */
export function leases(t: Test, h: Harness): void {
  t.test('heartbeat extends the lease and records progress and message', (t) => heartbeatExtends(t, h))
  t.test('a heartbeat keeps a run from expiring', (t) => heartbeatKeepsAlive(t, h))
  t.test('a paused run heartbeats too', (t) => pausedHeartbeats(t, h))

  for (const status of ['queued', 'finished', 'failed', 'lost'] as ComputationStatus[]) {
    t.test(`heartbeat of a ${status} run → CM_ERR_CONFLICT`, (t) => heartbeatNotLive(t, h, status))
  }

  t.test('heartbeat, expire of an unknown id → CM_ERR_NOT_FOUND', (t) => unknownId(t, h))
  t.test('findExpired: live runs past their lease, all namespaces, oldest lease first', (t) =>
    findExpiredRuns(t, h),
  )
  t.test('expire only expires what is expired', (t) => expireOnlyExpired(t, h))
}

async function heartbeatExtends(t: Test, h: Harness): Promise<void> {
  const { store, clock } = await h.open(t)
  const { record } = await store.computations.claim(claimInput({ leaseMs: 1000, message: 'starting' }))
  const now = clock.advance(800)
  const beat = await store.computations.heartbeat(NS_A, record.id, {
    leaseUntil: now + 1000,
    progress: { fraction: 0.25, note: 'a quarter' },
    message: 'working',
  })
  t.hasStrict(beat, {
    leaseUntil: now + 1000,
    heartbeatAt: now,
    updatedAt: now,
    progress: { fraction: 0.25, note: 'a quarter' },
    message: 'working',
    status: 'started',
  })
  const quiet = await store.computations.heartbeat(NS_A, record.id, {
    leaseUntil: clock.advance(500) + 1000,
  })
  t.same(quiet.progress, { fraction: 0.25, note: 'a quarter' }, 'progress kept when not given')
  t.equal(quiet.message, 'working', 'message kept when not given')
  t.same(await store.computations.get(NS_A, record.id), quiet, 'stored as returned')
}

async function heartbeatKeepsAlive(t: Test, h: Harness): Promise<void> {
  const { store, clock } = await h.open(t)
  const input = claimInput({ leaseMs: 1000 })
  const { record } = await store.computations.claim(input)
  clock.advance(900)
  await store.computations.heartbeat(NS_A, record.id, { leaseUntil: clock() + 1000 })
  clock.advance(900)
  t.same(await store.computations.findExpired(), [], 'not expired 1800 ms after the claim')
  t.equal((await store.computations.claim({ ...input, owner: 'worker-2' })).won, false, 'still held')
  t.equal(await store.computations.expire(NS_A, record.id), null, 'expire does nothing')
  clock.advance(100)
  t.same(
    (await store.computations.findExpired()).map((r) => r.id),
    [record.id],
    'expired once the renewed lease ends',
  )
}

async function pausedHeartbeats(t: Test, h: Harness): Promise<void> {
  const { store, clock } = await h.open(t)
  const { record } = await store.computations.claim(claimInput({ leaseMs: 1000 }))
  await store.computations.update(NS_A, record.id, 'started', { status: 'paused' })
  const beat = await store.computations.heartbeat(NS_A, record.id, { leaseUntil: clock() + 5000 })
  t.equal(beat.status, 'paused', 'still paused')
  t.equal(beat.leaseUntil, clock() + 5000, 'lease extended')
}

async function heartbeatNotLive(t: Test, h: Harness, status: ComputationStatus): Promise<void> {
  const { store, clock } = await h.open(t)
  const record = await recordIn(store, status)
  await expectCode(
    t,
    () => store.computations.heartbeat(NS_A, record.id, { leaseUntil: clock() + 1000 }),
    'CM_ERR_CONFLICT',
    `heartbeat while ${status}`,
  )
  t.same(await store.computations.get(NS_A, record.id), record, 'unchanged')
}

async function unknownId(t: Test, h: Harness): Promise<void> {
  const { store, clock } = await h.open(t)
  await expectCode(
    t,
    () => store.computations.heartbeat(NS_A, 'no-such-id', { leaseUntil: clock() + 1000 }),
    'CM_ERR_NOT_FOUND',
    'heartbeat',
  )
  await expectCode(t, () => store.computations.expire(NS_A, 'no-such-id'), 'CM_ERR_NOT_FOUND', 'expire')
}

async function findExpiredRuns(t: Test, h: Harness): Promise<void> {
  const { store, clock } = await h.open(t)
  const late = await store.computations.claim(claimInput({ namespace: NS_B, leaseMs: 3000 }))
  const early = await store.computations.claim(claimInput({ leaseMs: 1000 }))
  const middle = await store.computations.claim(claimInput({ leaseMs: 2000 }))
  const paused = await store.computations.claim(claimInput({ leaseMs: 2500 }))
  await store.computations.update(NS_A, paused.record.id, 'started', { status: 'paused' })
  const unleased = await recordIn(store, 'started')
  const queued = await recordIn(store, 'queued')
  const ended = await store.computations.claim(claimInput({ leaseMs: 500 }))
  await store.computations.update(NS_A, ended.record.id, 'started', { status: 'finished' })
  const future = await store.computations.claim(claimInput({ leaseMs: 60_000 }))

  t.same(await store.computations.findExpired(), [], 'nothing expired yet')
  clock.advance(3000)
  const expired = await store.computations.findExpired()
  t.same(
    expired.map((r) => r.id),
    [early.record.id, middle.record.id, paused.record.id, late.record.id],
    'oldest lease first, across namespaces',
  )
  const excluded = [unleased.id, queued.id, ended.record.id, future.record.id]
  t.notOk(
    expired.some((r) => excluded.includes(r.id)),
    'no run without a lease, queued, ended or still leased',
  )
  t.same(expired[0], await store.computations.get(NS_A, early.record.id), 'full records')
  t.same(
    (await store.computations.findExpired({ limit: 2 })).map((r) => r.id),
    [early.record.id, middle.record.id],
    'limit',
  )
  t.equal(
    (await store.computations.get(NS_A, early.record.id))?.status,
    'started',
    'findExpired changes nothing',
  )
}

async function expireOnlyExpired(t: Test, h: Harness): Promise<void> {
  const { store, clock } = await h.open(t)
  const { record } = await store.computations.claim(claimInput({ leaseMs: 1000 }))
  const queued = await recordIn(store, 'queued')
  const unleased = await recordIn(store, 'started')
  const finished = await recordIn(store, 'finished')
  clock.advance(999)
  t.equal(await store.computations.expire(NS_A, record.id), null, 'lease not over: null')
  t.equal((await store.computations.get(NS_A, record.id))?.status, 'started', 'still started')
  const now = clock.advance(1)
  const lost = await store.computations.expire(NS_A, record.id)
  t.hasStrict(lost, { id: record.id, status: 'lost', finishedAt: now, updatedAt: now, leaseUntil: null })
  t.same(await store.computations.get(NS_A, record.id), lost, 'stored as returned')
  t.equal(await store.computations.expire(NS_A, record.id), null, 'a lost run does not expire again')
  clock.advance(1_000_000)
  for (const other of [queued, unleased, finished]) {
    t.equal(
      await store.computations.expire(NS_A, other.id),
      null,
      `a ${other.status} run without a lease: null`,
    )
    t.same(await store.computations.get(NS_A, other.id), other, `${other.status}: unchanged`)
  }
}
