import type { CompleteJob, QueueStore } from '@comp-manager/core'
import t from 'tap'
import { createQueue } from '../src/index.js'
import { gate, startWorker, storeKinds, until } from './fixtures/helpers.js'

/** Counts the store's `queue.complete` calls and the jobs of each. */
function spyComplete(queue: QueueStore): number[] {
  const sizes: number[] = []
  const complete = queue.complete.bind(queue)
  queue.complete = (jobs: readonly CompleteJob[]) => {
    sizes.push(jobs.length)
    return complete(jobs)
  }
  return sizes
}

for (const kind of storeKinds) {
  t.test(`${kind.name}: jobs that return together are ended by one complete call`, async (t) => {
    const store = kind.open(t)
    const sizes = spyComplete(store.queue as QueueStore)
    const open = gate()
    await startWorker(t, store, {
      concurrency: 8,
      functions: {
        square: async (n: number) => {
          await open.wait
          return n * n
        },
      },
    })
    const queue = createQueue({ store, namespace: 'w' })
    const jobs = []
    for (let i = 0; i < 8; i++) jobs.push(await queue.submit('square', [i]))
    await until(
      async () => (await store.computations.list({ namespace: 'w', status: 'started' })).total === 8,
      '8 running',
    )
    open.open()
    t.same(
      await Promise.all(jobs.map((job) => job.result())),
      [0, 1, 4, 9, 16, 25, 36, 49],
      'every stored result',
    )
    if (kind.name === 'mongo') {
      // No transactions: each job's completion is two writes, and the jobs reach the completer over
      // more event-loop turns; they are still grouped, not ended one call each.
      t.equal(
        sizes.reduce((a, b) => a + b, 0),
        8,
        'every job through complete',
      )
      t.ok(sizes.length < 8, `grouped into fewer calls than jobs (${sizes.join(', ')})`)
    } else t.same(sizes, [8], 'one call for the 8 jobs released at once')
    const { data } = await store.computations.list({ namespace: 'w', perPage: 100 })
    t.equal(data.length, 8, 'exactly one record per job')
    t.ok(
      data.every((r) => r.status === 'finished' && r.result?.cacheKey === r.hash),
      'each finished with its result',
    )
  })

  t.test(
    `${kind.name}: a job cancelled while its value is written is recorded cancelled, once`,
    async (t) => {
      const store = kind.open(t)
      const open = gate()
      const worker = await startWorker(t, store, {
        functions: {
          slow: async () => {
            await open.wait
            return 'late'
          },
        },
      })
      const queue = createQueue({ store, namespace: 'w' })
      const job = await queue.submit('slow', [])
      await until(() => worker.running.length === 1, 'running')
      await queue.cancel(job.id)
      open.open()
      await until(() => worker.running.length === 0, 'ended')
      t.hasStrict(await store.computations.get('w', job.id), {
        status: 'failed',
        error: { code: 'CM_ERR_CANCELLED' },
      })
      const { total } = await store.computations.list({ namespace: 'w' })
      t.equal(total, 1, 'no other attempt, no second result')
    },
  )
}
