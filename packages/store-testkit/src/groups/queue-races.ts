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

  t.test('8 claimers racing under a fleet-wide limit of 2: never more than 2 running, from the store', (t) =>
    limitUnderRace(t, h),
  )
}

/**
 * Claimers claim, hold and finish jobs of a function limited to 2 until all are done, while the
 * claimers and a sampler count the `started` records in the store: a claim that overshoots and
 * backs out (claim first, check after) shows 3 here.
 */
async function limitUnderRace(t: Test, h: Harness): Promise<void> {
  const { store } = await h.open(t)
  const queue = queueOf(store)
  const total = 40
  for (let i = 0; i < total; i++) await queue.enqueue(jobInput())
  const input = claimNextInput({ limits: { resize: 2 }, leaseMs: 600_000 })
  const yieldNow = () => new Promise((resolve) => setImmediate(resolve))
  const running = async () =>
    (await store.computations.list({ namespace: NS_A, status: 'started', perPage: 1 })).total
  let done = 0
  let most = 0
  const runs: string[] = []
  const claimer = async (i: number) => {
    for (let spins = 0; done < total && spins < 100_000; spins++) {
      const job = await queue.claimNext({ ...input, worker: `w${i}` })
      if (job === null) {
        await yieldNow()
        continue
      }
      runs.push(job.id)
      most = Math.max(most, await running())
      await yieldNow()
      await store.computations.update(NS_A, job.id, 'started', { status: 'finished' })
      done++
    }
  }
  const sampler = async () => {
    while (done < total) {
      most = Math.max(most, await running())
      await yieldNow()
    }
  }
  await Promise.all([...Array.from({ length: 8 }, (_, i) => claimer(i)), sampler()])
  t.equal(done, total, 'every job ran')
  t.equal(new Set(runs).size, total, 'each once')
  t.ok(most <= 2, `at most 2 started at once (saw ${most})`)
  t.ok(most >= 1, 'the counts saw running jobs')
}
