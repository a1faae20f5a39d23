// The tracker's sweeper and the queue: an expired job of a dead worker gets its next attempt.
import { hashKey, MemoryStore } from '@comp-manager/core'
import t from 'tap'
import { createTracker } from '../src/index.js'

t.test(
  'sweep() recovers an expired queue job through the queue port (its next attempt is queued)',
  async (t) => {
    let now = 1_000_000
    const store = new MemoryStore({ clock: () => now })
    t.teardown(() => store.close())
    const tracker = createTracker({ store, namespace: 'default', clock: () => now })
    t.teardown(() => tracker.close())
    const hash = hashKey({ fn: 'job', args: [1] })
    const { record } = await store.queue!.enqueue({
      namespace: 'default',
      function: 'job',
      functionFull: 'job',
      args: [1],
      hash: hash.key,
      hashAlgorithm: hash.algorithm,
      maxAttempts: 1,
    })
    const claimed = await store.queue!.claimNext({
      namespaces: ['default'],
      functions: ['job'],
      worker: 'dead',
      pid: 1,
      host: 'h',
      leaseMs: 1000,
    })
    t.equal(claimed?.id, record.id)
    // A run tracked without the queue (worker null), expired too: marked lost the ordinary way.
    const tracked = await store.computations.create({
      namespace: 'default',
      function: 't',
      functionFull: 't',
      args: [],
      hash: 'h-t',
      hashAlgorithm: 'sha256',
      status: 'started',
      leaseUntil: now + 500,
    })
    now += 2000
    const lost = await tracker.sweep()
    t.same(lost.map((r) => r.id).sort(), [record.id, tracked.id].sort())
    const latest = await store.computations.getByHash('default', hash.key)
    t.equal(latest?.attempt, 2, 'the job got its next attempt')
    t.equal(latest?.status, 'queued')
    t.equal((await store.computations.get('default', tracked.id))?.status, 'lost')
  },
)
