import { allowedTransitions, type ComputationStatus, computationStatuses } from '@comp-manager/core'
import type { Test } from 'tap'
import { NS_A, recordIn } from '../fixtures.js'
import { expectCode, expectTime, type Harness } from '../harness.js'

const isTerminal = (s: ComputationStatus) => s === 'finished' || s === 'failed' || s === 'lost'

/** `update` is a compare-and-set on the status, and status changes follow the state machine. */
export function compareAndSet(t: Test, h: Harness): void {
  t.test('a wrong expected status → CM_ERR_CONFLICT, record unchanged', (t) => wrongExpectedStatus(t, h))
  t.test('every allowed transition works and stamps its timestamps', (t) => everyAllowedTransition(t, h))
  t.test('every other transition → CM_ERR_INVALID_TRANSITION, record unchanged', (t) =>
    everyOtherTransition(t, h),
  )
  t.test('a patch that repeats the current status is a plain update', (t) => repeatedStatus(t, h))
  t.test('a lease set on a live run is cleared when it ends', (t) => leaseClearedAtEnd(t, h))
  t.test('concurrent updates from the same status: exactly one wins', (t) => concurrentUpdates(t, h))
}

async function wrongExpectedStatus(t: Test, h: Harness): Promise<void> {
  const { store } = await h.open(t)
  const record = await recordIn(store, 'started')
  for (const expected of computationStatuses.filter((s) => s !== 'started')) {
    await expectCode(
      t,
      () => store.computations.update(NS_A, record.id, expected, { message: 'should not land' }),
      'CM_ERR_CONFLICT',
      `expected '${expected}' while it is 'started'`,
    )
  }
  t.same(await store.computations.get(NS_A, record.id), record, 'nothing changed')
}

async function everyAllowedTransition(t: Test, h: Harness): Promise<void> {
  const { store, clock } = await h.open(t)
  for (const from of computationStatuses) {
    for (const to of allowedTransitions[from]) {
      const record = await recordIn(store, from)
      const now = clock.advance(1000)
      const updated = await store.computations.update(NS_A, record.id, from, { status: to })
      const edge = `${from} → ${to}`
      t.equal(updated.status, to, edge)
      expectTime(t, h, updated.updatedAt, now, `${edge}: updatedAt`)
      if (to === 'started' && from === 'queued')
        expectTime(t, h, updated.startedAt, now, `${edge}: startedAt`)
      if (to === 'started' && from === 'paused') {
        t.equal(updated.startedAt, record.startedAt, `${edge}: startedAt kept from the first start`)
      }
      if (to === 'paused') expectTime(t, h, updated.pausedAt, now, `${edge}: pausedAt`)
      if (isTerminal(to)) {
        expectTime(t, h, updated.finishedAt, now, `${edge}: finishedAt`)
        t.equal(updated.leaseUntil, null, `${edge}: lease cleared`)
      } else {
        t.equal(updated.finishedAt, null, `${edge}: not finished`)
      }
      t.equal((await store.computations.get(NS_A, record.id))?.status, to, `${edge}: stored`)
    }
  }
}

async function everyOtherTransition(t: Test, h: Harness): Promise<void> {
  const { store } = await h.open(t)
  for (const from of computationStatuses) {
    for (const to of computationStatuses) {
      if (to === from || allowedTransitions[from].includes(to)) continue
      const record = await recordIn(store, from)
      await expectCode(
        t,
        () => store.computations.update(NS_A, record.id, from, { status: to, message: 'should not land' }),
        'CM_ERR_INVALID_TRANSITION',
        `${from} → ${to}`,
      )
      t.same(await store.computations.get(NS_A, record.id), record, `${from} → ${to}: unchanged`)
    }
  }
}

async function repeatedStatus(t: Test, h: Harness): Promise<void> {
  const { store } = await h.open(t)
  const record = await recordIn(store, 'started')
  const updated = await store.computations.update(NS_A, record.id, 'started', {
    status: 'started',
    message: 'still going',
  })
  t.equal(updated.status, 'started')
  t.equal(updated.message, 'still going')
  t.equal(updated.startedAt, record.startedAt, 'startedAt unchanged')
}

async function leaseClearedAtEnd(t: Test, h: Harness): Promise<void> {
  const { store, clock } = await h.open(t)
  const record = await recordIn(store, 'started')
  const leased = await store.computations.update(NS_A, record.id, 'started', { leaseUntil: clock() + 5000 })
  t.equal(leased.leaseUntil, clock() + 5000, 'lease set')
  const finished = await store.computations.update(NS_A, record.id, 'started', {
    status: 'finished',
    leaseUntil: clock() + 9000,
  })
  t.equal(finished.leaseUntil, null, 'a terminal status clears the lease, whatever the patch says')
}

async function concurrentUpdates(t: Test, h: Harness): Promise<void> {
  const { store } = await h.open(t)
  const record = await recordIn(store, 'started')
  const targets: ComputationStatus[] = ['finished', 'failed', 'paused', 'lost']
  const outcomes = await Promise.allSettled(
    Array.from({ length: 16 }, (_, i) =>
      store.computations.update(NS_A, record.id, 'started', { status: targets[i % targets.length]! }),
    ),
  )
  const won = outcomes.filter((o) => o.status === 'fulfilled')
  const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected')
  t.equal(won.length, 1, 'one update applies')
  t.same(
    lost.map((o) => (o.reason as { code?: unknown }).code),
    lost.map(() => 'CM_ERR_CONFLICT'),
    'the others get CM_ERR_CONFLICT',
  )
  const stored = await store.computations.get(NS_A, record.id)
  t.equal(
    stored?.status,
    (won[0] as PromiseFulfilledResult<{ status: string }>).value.status,
    'the winner is stored',
  )
}
