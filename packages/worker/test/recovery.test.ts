import { callHash, waitForRun } from '@comp-manager/core/runs'
import t from 'tap'
import { createQueue } from '../src/index.js'
import type { JobRecord } from '../src/types.js'
import { startWorker, storeKinds, until } from './fixtures/helpers.js'

for (const kind of storeKinds) {
  t.test(`${kind.name}: a job of a dead worker is recovered as lost and run again`, async (t) => {
    const store = kind.open(t)
    const queue = createQueue({ store, namespace: 'w' })
    const job = await queue.submit('work', [7])
    // A worker that claims the job and dies at once: its lease is never renewed.
    const claimed = await store.queue?.claimNext({
      namespaces: ['w'],
      functions: ['work'],
      worker: 'dead-worker',
      pid: 999_999,
      host: 'gone',
      leaseMs: 100,
    })
    t.equal(claimed?.id, job.id)
    const worker = await startWorker(t, store, {
      recoverIntervalMs: 50,
      functions: { work: (n: number) => n * 3 },
    })
    const lost: { record: JobRecord; next: JobRecord | null }[] = []
    worker.on('lost', (e) => lost.push(e))
    t.equal(await job.result({ timeoutMs: 10_000 }), 21, 'the next attempt ran on the live worker')
    await until(() => lost.length === 1, 'the lost event')
    t.match(lost[0], { record: { id: job.id, status: 'lost', worker: 'dead-worker' }, next: { attempt: 2 } })
    const { data } = await store.computations.list({
      namespace: 'w',
      hash: callHash({ functionFull: 'work', args: [7] }).key,
      sort: 'createdAt',
    })
    t.same(
      data.map((r) => r.status),
      ['lost', 'finished'],
      'exactly one recorded result',
    )
  })
}

for (const kind of storeKinds) {
  t.test(
    `${kind.name}: a dead worker's job noticed first by a waiter or sweeper still runs again`,
    async (t) => {
      const store = kind.open(t)
      const queue = createQueue({ store, namespace: 'w' })
      const job = await queue.submit('work', [5])
      const claimed = await store.queue?.claimNext({
        namespaces: ['w'],
        functions: ['work'],
        worker: 'dead-worker',
        pid: 999_999,
        host: 'gone',
        leaseMs: 100,
      })
      t.equal(claimed?.id, job.id)
      // A tracker or cache waiting on the run expires the lease itself (computations.expire) before
      // any worker's recovery runs: before the fix the job ended `lost` with no next attempt.
      const seen = await waitForRun(store.computations, 'w', job.id, { pollMs: 20, timeoutMs: 10_000 })
      t.equal(seen.status, 'lost', 'the waiter marked it lost')
      const worker = await startWorker(t, store, {
        recoverIntervalMs: 50,
        functions: { work: (n: number) => n * 3 },
      })
      const lost: unknown[] = []
      worker.on('lost', (e) => lost.push(e))
      t.equal(await job.result({ timeoutMs: 10_000 }), 15, 'the next attempt ran on a live worker')
      t.equal(lost.length, 0, 'nothing left for the worker to recover')
      const { data } = await store.computations.list({
        namespace: 'w',
        hash: callHash({ functionFull: 'work', args: [5] }).key,
        sort: 'createdAt',
      })
      t.same(
        data.map((r) => [r.attempt, r.status]),
        [
          [1, 'lost'],
          [2, 'finished'],
        ],
        'exactly one recorded result',
      )
    },
  )
}
