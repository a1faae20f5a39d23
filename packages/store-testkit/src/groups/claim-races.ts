import type { ClaimInput, ClaimResult, Store } from '@comp-manager/core'
import type { Test } from 'tap'
import { claimInput, computationInput, NS_A, recordIn } from '../fixtures.js'
import { clockSkip, type Harness } from '../harness.js'

/** Fires `n` claims of one hash at once, each with its own owner `racer-<i>`. */
function race(store: Store, n: number, base: ClaimInput): Promise<ClaimResult[]> {
  return Promise.all(
    Array.from({ length: n }, (_, i) =>
      store.computations.claim({ ...base, owner: `racer-${i}`, pid: 1000 + i }),
    ),
  )
}

/** Asserts exactly one winner, and that every loser got the winner's record. */
function exactlyOneWinner(t: Test, results: ClaimResult[]): (ClaimResult & { won: true }) | null {
  const winners = results.filter((r): r is ClaimResult & { won: true } => r.won)
  t.equal(winners.length, 1, `exactly one of ${results.length} claims wins`)
  const winner = winners[0]
  if (winners.length !== 1 || winner === undefined) return null
  const index = results.indexOf(winner)
  t.equal(winner.record.owner, `racer-${index}`, "the winner's record carries the winner's owner")
  t.equal(winner.record.status, 'started')
  const losers = results.filter((r) => !r.won)
  t.ok(
    losers.every((r) => r.record.id === winner.record.id && r.record.status === 'started'),
    "every loser gets the winner's live record",
  )
  return winner
}

/** Many concurrent claims of one hash: exactly one wins, the losers see the winner. */
export function claimRaces(t: Test, h: Harness): void {
  const n = h.caps.raceConcurrency

  t.test(`${n} claims of a new hash`, (t) => newHash(t, h))
  t.test(`${n} claims of a queued record`, (t) => queuedRecord(t, h))
  t.test(`${n} claims of a run whose lease expired`, { skip: clockSkip(h) }, (t) => expiredLease(t, h))
  t.test(`${n} claims of a finished run with onTerminal 'rerun'`, (t) => finishedRerun(t, h))
}

async function newHash(t: Test, h: Harness): Promise<void> {
  const n = h.caps.raceConcurrency
  const { store } = await h.open(t)
  const base = claimInput()
  const winner = exactlyOneWinner(t, await race(store, n, base))
  if (winner === null) return
  t.equal(winner.record.attempt, 1)
  const page = await store.computations.list({ namespace: NS_A, hash: base.hash })
  t.equal(page.total, 1, 'one record for the hash')
  t.equal((await store.computations.getByHash(NS_A, base.hash))?.owner, winner.record.owner, 'stored winner')
}

async function queuedRecord(t: Test, h: Harness): Promise<void> {
  const n = h.caps.raceConcurrency
  const { store } = await h.open(t)
  const queued = await store.computations.create(computationInput())
  const winner = exactlyOneWinner(t, await race(store, n, claimInput({ hash: queued.hash })))
  if (winner === null) return
  t.equal(winner.record.id, queued.id, 'the queued record is taken over, not duplicated')
  t.equal((await store.computations.list({ namespace: NS_A, hash: queued.hash })).total, 1, 'one record')
}

async function expiredLease(t: Test, h: Harness): Promise<void> {
  const n = h.caps.raceConcurrency
  const { store, clock } = await h.open(t)
  const base = claimInput({ leaseMs: 1000 })
  const first = await store.computations.claim({ ...base, owner: 'crashed' })
  clock.advance(1000)
  const winner = exactlyOneWinner(t, await race(store, n, base))
  if (winner === null) return
  t.equal(winner.record.attempt, 2, 'a new attempt')
  t.equal(winner.previous?.id, first.record.id, 'previous is the expired run')
  t.equal(
    (await store.computations.get(NS_A, first.record.id))?.status,
    'lost',
    'expired run marked lost once',
  )
  t.equal(
    (await store.computations.list({ namespace: NS_A, hash: base.hash })).total,
    2,
    'two attempts, no more',
  )
}

async function finishedRerun(t: Test, h: Harness): Promise<void> {
  const n = h.caps.raceConcurrency
  const { store } = await h.open(t)
  const done = await recordIn(store, 'finished')
  const winner = exactlyOneWinner(
    t,
    await race(store, n, claimInput({ hash: done.hash, onTerminal: 'rerun' })),
  )
  if (winner === null) return
  t.equal(winner.record.attempt, 2)
  t.equal((await store.computations.list({ namespace: NS_A, hash: done.hash })).total, 2, 'one rerun only')
}
