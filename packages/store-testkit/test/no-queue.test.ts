import { MemoryStore, type Store } from '@comp-manager/core'
import t from 'tap'
import { conformanceGroups, queueGroups, storeConformance } from '../src/index.js'

// A store without the queue port: the queue groups must be skipped (with a reason in the TAP
// output), not run and passed vacuously. Only the probe opens a store.
t.test('a store without store.queue skips every queue group', async (t) => {
  let opened = 0
  const withoutQueue = ({ clock }: { clock: () => number }): Store => {
    opened++
    const store = new MemoryStore({ clock })
    return {
      kind: store.kind,
      capabilities: store.capabilities,
      computations: store.computations,
      cache: store.cache,
      ping: () => store.ping(),
      close: () => store.close(),
    }
  }
  const others = conformanceGroups.filter((g) => !queueGroups.includes(g))
  await storeConformance(t, withoutQueue, {
    name: 'MemoryStore without its queue',
    skip: Object.fromEntries(others.map((g) => [g, 'not under test here'])),
  })
  t.equal(opened, 1, 'only the probe opened a store: no queue group ran')
  t.equal(queueGroups.length, 8, 'the eight queue groups')
})
