import type { ComputationStatus, OnTerminal } from '@comp-manager/core'
import type { Test } from 'tap'
import { claimInput, computationInput, NS_A, recordIn } from '../fixtures.js'
import { clockSkip, expectTime, type Harness, hasComputationFields, sameJson } from '../harness.js'

interface PolicyRow {
  status: ComputationStatus
  policy: OnTerminal | undefined
  reruns: boolean
}

/** What each `onTerminal` policy does with a run that ended in each terminal status. */
const policyTable: PolicyRow[] = [
  { status: 'finished', policy: undefined, reruns: false },
  { status: 'finished', policy: 'return', reruns: false },
  { status: 'finished', policy: 'rerun', reruns: true },
  { status: 'finished', policy: 'rerun-failed', reruns: false },
  { status: 'failed', policy: undefined, reruns: false },
  { status: 'failed', policy: 'return', reruns: false },
  { status: 'failed', policy: 'rerun', reruns: true },
  { status: 'failed', policy: 'rerun-failed', reruns: true },
  { status: 'lost', policy: 'return', reruns: false },
  { status: 'lost', policy: 'rerun', reruns: true },
  { status: 'lost', policy: 'rerun-failed', reruns: true },
]

/** One claim at a time: insert, lose to a live run, take over a queued or expired one, onTerminal. */
export function claimSemantics(t: Test, h: Harness): void {
  t.test('claim of a new hash inserts a started, leased record', (t) => newHashInserts(t, h))
  t.test('a live run is not taken: the claim loses and returns it unchanged', (t) => liveRunNotTaken(t, h))
  t.test('claim takes over a queued record', (t) => takesOverQueued(t, h))
  t.test('an expired lease: the old run becomes lost and a new attempt wins', { skip: clockSkip(h) }, (t) =>
    expiredLease(t, h),
  )
  t.test('an expired lease of a paused run is taken over too', { skip: clockSkip(h) }, (t) =>
    expiredPausedLease(t, h),
  )

  for (const row of policyTable) {
    const { status, policy, reruns } = row
    const label = policy ?? 'default (return)'
    t.test(`onTerminal ${label} after a ${status} run ${reruns ? 'reruns' : 'returns it'}`, (t) =>
      onTerminalPolicy(t, h, row),
    )
  }
}

async function newHashInserts(t: Test, h: Harness): Promise<void> {
  const { store, clock } = await h.open(t)
  const input = claimInput({ message: 'claimed', args: { n: 7, opts: { exact: true } } })
  const result = await store.computations.claim(input)
  t.equal(result.won, true, 'wins')
  if (!result.won) return
  t.equal(result.previous, null, 'no previous run')
  hasComputationFields(t, result.record)
  t.hasStrict(result.record, {
    namespace: input.namespace,
    name: input.function,
    function: input.function,
    functionFull: input.functionFull,
    hash: input.hash,
    hashAlgorithm: input.hashAlgorithm,
    attempt: 1,
    status: 'started',
    owner: input.owner,
    pid: input.pid,
    host: input.host,
    message: 'claimed',
    finishedAt: null,
    pausedAt: null,
  })
  sameJson(t, result.record.args, input.args, 'args')
  expectTime(t, h, result.record.startedAt, clock(), 'startedAt')
  expectTime(t, h, result.record.heartbeatAt, clock(), 'heartbeatAt')
  expectTime(t, h, result.record.leaseUntil, clock() + input.leaseMs, 'leaseUntil = now + leaseMs')
  t.same(await store.computations.get(NS_A, result.record.id), result.record, 'stored as returned')
}

async function liveRunNotTaken(t: Test, h: Harness): Promise<void> {
  const { store, clock } = await h.open(t)
  const input = claimInput()
  const first = await store.computations.claim(input)
  clock.advance(10)
  const second = await store.computations.claim({ ...input, owner: 'worker-2' })
  t.equal(second.won, false, 'loses')
  t.same(second.record, first.record, "returns the live run as it is (the winner's record)")
  const paused = await store.computations.update(NS_A, first.record.id, 'started', { status: 'paused' })
  const third = await store.computations.claim({ ...input, owner: 'worker-3' })
  t.equal(third.won, false, 'a paused run is live too')
  t.same(third.record, paused)
}

async function takesOverQueued(t: Test, h: Harness): Promise<void> {
  const { store, clock } = await h.open(t)
  const queued = await store.computations.create(computationInput({ name: 'queued by the API' }))
  const now = clock.advance(500)
  const result = await store.computations.claim(claimInput({ hash: queued.hash, leaseMs: 2000 }))
  t.equal(result.won, true)
  if (!result.won) return
  t.equal(result.previous, null, 'no previous run')
  t.equal(result.record.id, queued.id, 'same record')
  t.hasStrict(result.record, {
    attempt: 1,
    status: 'started',
    name: 'queued by the API',
    owner: 'worker-1',
    pid: 4242,
    host: 'host-1',
  })
  t.equal(result.record.createdAt, queued.createdAt, 'createdAt kept')
  expectTime(t, h, result.record.startedAt, now, 'startedAt')
  expectTime(t, h, result.record.leaseUntil, now + 2000, 'leaseUntil')
}

async function expiredLease(t: Test, h: Harness): Promise<void> {
  const { store, clock } = await h.open(t)
  const input = claimInput({ leaseMs: 1000 })
  const first = await store.computations.claim({ ...input, owner: 'crashed' })
  clock.advance(999)
  const early = await store.computations.claim({ ...input, owner: 'worker-2' })
  t.equal(early.won, false, 'one ms before the lease ends, the run is still live')
  const now = clock.advance(1)
  const result = await store.computations.claim({ ...input, owner: 'worker-2' })
  t.equal(result.won, true, 'at leaseUntil the lease has expired')
  if (!result.won) return
  t.equal(result.record.attempt, 2, 'attempt 2')
  t.not(result.record.id, first.record.id, 'a new record')
  t.equal(result.record.owner, 'worker-2')
  t.hasStrict(result.previous, { id: first.record.id, status: 'lost', leaseUntil: null, finishedAt: now })
  t.same(
    await store.computations.get(NS_A, first.record.id),
    result.previous,
    'the lost run is stored as returned',
  )
  t.equal(
    (await store.computations.getByHash(NS_A, input.hash))?.id,
    result.record.id,
    'latest = the new attempt',
  )
}

async function expiredPausedLease(t: Test, h: Harness): Promise<void> {
  const { store, clock } = await h.open(t)
  const input = claimInput({ leaseMs: 1000 })
  const first = await store.computations.claim(input)
  await store.computations.update(NS_A, first.record.id, 'started', { status: 'paused' })
  clock.advance(1000)
  const result = await store.computations.claim({ ...input, owner: 'worker-2' })
  t.equal(result.won, true)
  t.equal(result.won && result.previous?.status, 'lost', 'paused → lost')
}

async function onTerminalPolicy(t: Test, h: Harness, { status, policy, reruns }: PolicyRow): Promise<void> {
  const { store } = await h.open(t)
  const ended = await recordIn(store, status)
  const input = claimInput({ hash: ended.hash, ...(policy === undefined ? {} : { onTerminal: policy }) })
  const result = await store.computations.claim(input)
  t.equal(result.won, reruns, reruns ? 'wins a new attempt' : 'loses')
  if (result.won) {
    t.equal(result.record.attempt, 2, 'attempt 2')
    t.equal(result.record.status, 'started')
    t.same(result.previous, ended, 'previous is the ended run, unchanged')
  } else {
    t.same(result.record, ended, 'returns the ended run')
  }
  t.same(await store.computations.get(NS_A, ended.id), ended, 'the ended run is not modified')
}
