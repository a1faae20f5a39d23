import type { Test } from 'tap'
import { NS_A } from '../fixtures.js'
import type { Harness } from '../harness.js'
import { claimNextInput, drain, jobInput, queueOf } from '../queue-fixtures.js'

/** Concurrent claimers and enqueuers: every job is claimed exactly once, every call enqueued once. */
export function queueRaces(t: Test, h: Harness): void {
  const { queueClaimers: claimers, queueJobs: jobs } = h.caps

  t.test(`${claimers} concurrent claimers × ${jobs} jobs: every job claimed exactly once`, async (t) => {
    const { store } = await h.open(t)
    const queue = queueOf(store)
    const ids = new Set<string>()
    for (let i = 0; i < jobs; i++) ids.add((await queue.enqueue(jobInput({ priority: i % 3 }))).record.id)
    const claimed = await Promise.all(
      Array.from({ length: claimers }, (_, i) => drain(queue, claimNextInput({ worker: `w${i}` }))),
    )
    const all = claimed.flat()
    t.equal(all.length, jobs, 'as many claims as jobs')
    t.equal(new Set(all).size, jobs, 'no job claimed twice')
    t.ok(
      all.every((id) => ids.has(id)),
      'only enqueued jobs',
    )
    const started = await store.computations.list({ namespace: NS_A, status: 'started', perPage: 1 })
    t.equal(started.total, jobs, 'every job is started')
  })

  t.test('concurrent enqueues of one call create one job', async (t) => {
    const { store } = await h.open(t)
    const input = jobInput()
    const results = await Promise.all(Array.from({ length: 16 }, () => queueOf(store).enqueue(input)))
    t.equal(results.filter((r) => r.created).length, 1, 'one created')
    t.equal(new Set(results.map((r) => r.record.id)).size, 1, 'everyone has its id')
  })

  t.test('concurrent claimers under a fleet-wide limit never exceed it', async (t) => {
    const { store } = await h.open(t)
    const queue = queueOf(store)
    for (let i = 0; i < 20; i++) await queue.enqueue(jobInput())
    const input = claimNextInput({ limits: { resize: 3 } })
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => queue.claimNext({ ...input, worker: `w${i}` })),
    )
    t.equal(results.filter((r) => r !== null).length, 3, 'three claimed, the others refused')
    const started = await store.computations.list({ namespace: NS_A, status: 'started', perPage: 1 })
    t.equal(started.total, 3, 'three running')
  })
}
