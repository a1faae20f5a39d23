import { MemoryStore } from '@comp-manager/core'
import t from 'tap'
import { createQueue } from '../src/index.js'
import type { JobRecord } from '../src/types.js'
import { fakeClock, startWorker, storeKinds } from './fixtures/helpers.js'

for (const kind of storeKinds) {
  t.test(
    `${kind.name}: retention keeps the newest n per function and deletes their stored results`,
    async (t) => {
      const store = kind.open(t)
      const worker = await startWorker(t, store, {
        retention: { keepLast: 3, intervalMs: '1h' },
        functions: { sq: (n: number) => n * n, id: (n: number) => n },
      })
      const queue = createQueue({ store, namespace: 'w' })
      const squares = []
      for (let i = 0; i < 8; i++) squares.push(await queue.submit('sq', [i]))
      const ids = [await queue.submit('id', [1]), await queue.submit('id', [2])]
      for (const job of [...squares, ...ids]) await job.result()
      await worker.prune()
      const { data } = await store.computations.list({ namespace: 'w', perPage: 100 })
      t.equal(data.filter((r) => r.function === 'sq').length, 3, 'three sq records kept')
      t.equal(data.filter((r) => r.function === 'id').length, 2, 'id had fewer than 3: all kept')
      const kept = new Set(data.map((r) => r.id))
      for (const [i, job] of squares.entries()) {
        const entry = await store.cache.get('w', job.record.hash)
        t.equal(
          entry !== null,
          kept.has(job.id),
          `sq(${i}): stored result ${kept.has(job.id) ? 'kept' : 'deleted'}`,
        )
      }
    },
  )
}

t.test('retention by age (fake clock)', async (t) => {
  const clock = fakeClock()
  const store = new MemoryStore({ clock: clock.now })
  t.teardown(() => store.close())
  const worker = await startWorker(t, store, {
    clock: clock.now,
    retention: { maxAgeMs: '1d', intervalMs: '1h' },
    functions: { f: (n: number) => n },
  })
  const queue = createQueue({ store, namespace: 'w', clock: clock.now })
  const old = await queue.submit('f', [1])
  await old.result()
  clock.advance(2 * 86_400_000)
  const young = await queue.submit('f', [2])
  await young.result()
  t.equal(await worker.prune(), 1, 'one record older than a day')
  t.equal(await queue.get(old.id), null)
  t.equal(((await queue.get(young.id)) as JobRecord).status, 'finished')
})
