import type { Test } from 'tap'
import { createManualClock } from './clock.js'
import { badInput } from './groups/bad-input.js'
import { basics } from './groups/basics.js'
import { cache } from './groups/cache.js'
import { cacheTtl } from './groups/cache-ttl.js'
import { claimRaces } from './groups/claim-races.js'
import { claimSemantics } from './groups/claim-semantics.js'
import { compareAndSet } from './groups/compare-and-set.js'
import { documents } from './groups/documents.js'
import { events, eventsQueue } from './groups/events.js'
import { eventsLog } from './groups/events-log.js'
import { invalidation } from './groups/invalidation.js'
import { largeValues } from './groups/large-values.js'
import { leases } from './groups/leases.js'
import { namespaces } from './groups/namespaces.js'
import { pagination } from './groups/pagination.js'
import { pingAndClose } from './groups/ping-and-close.js'
import { queueBadInput } from './groups/queue-bad-input.js'
import { queueClaim } from './groups/queue-claim.js'
import { queueComplete } from './groups/queue-complete.js'
import { queueEnqueue } from './groups/queue-enqueue.js'
import { queuePrune } from './groups/queue-prune.js'
import { queueRaces } from './groups/queue-races.js'
import { queueRegistry } from './groups/queue-registry.js'
import { queueRetry } from './groups/queue-retry.js'
import { unicode } from './groups/unicode.js'
import { createHarness, type Harness } from './harness.js'
import {
  type ConformanceGroup,
  conformanceGroups,
  eventGroups,
  type MakeStore,
  queueGroups,
  resolveCapabilities,
  type StoreConformanceCapabilities,
} from './options.js'

export { createManualClock, MANUAL_CLOCK_START, type ManualClock } from './clock.js'
export {
  type ConformanceGroup,
  conformanceGroups,
  eventGroups,
  type MakeStore,
  type MakeStoreContext,
  queueGroups,
  type StoreConformanceCapabilities,
  type StoreLimit,
  storeLimits,
} from './options.js'
export { claimNextInput, jobInput } from './queue-fixtures.js'

const groups: Record<ConformanceGroup, (t: Test, h: Harness) => void> = {
  basics,
  'compare-and-set': compareAndSet,
  'claim-races': claimRaces,
  'claim-semantics': claimSemantics,
  leases,
  cache,
  'cache-ttl': cacheTtl,
  invalidation,
  pagination,
  namespaces,
  'large-values': largeValues,
  unicode,
  'bad-input': badInput,
  'ping-and-close': pingAndClose,
  'queue-enqueue': queueEnqueue,
  'queue-claim': queueClaim,
  'queue-retry': queueRetry,
  'queue-complete': queueComplete,
  'queue-prune': queuePrune,
  'queue-registry': queueRegistry,
  'queue-bad-input': queueBadInput,
  'queue-races': queueRaces,
  events,
  'events-log': eventsLog,
  'events-queue': eventsQueue,
  documents,
}

/** Groups that only make sense when time can be moved. */
const needsClock: readonly ConformanceGroup[] = ['leases', 'cache-ttl']

/**
 * The Store conformance suite: registers one tap subtest per group on `t`, each subtest opening a
 * fresh store with `makeStore({ clock, t })` and closing it in its teardown.
 *
 * @example
 * import t from 'tap'
 * import { MemoryStore } from '@comp-manager/core'
 * import { storeConformance } from '@comp-manager/store-testkit'
 *
 * storeConformance(t, ({ clock }) => new MemoryStore({ clock }), { name: 'MemoryStore' })
 */
export function storeConformance(
  t: Test,
  makeStore: MakeStore,
  capabilities?: StoreConformanceCapabilities,
): Promise<unknown> {
  const caps = resolveCapabilities(capabilities)
  const harness = createHarness(makeStore, caps)
  return t.test(`Store conformance: ${caps.name}`, async (t) => {
    const { hasQueue, hasEvents, hasDocuments } = await probePorts(makeStore, t)
    for (const name of conformanceGroups) {
      const skip =
        caps.skip[name] ??
        (queueGroups.includes(name) && !hasQueue
          ? `the store has no queue port (store.queue is undefined): ${name} not run`
          : eventGroups.includes(name) && !hasEvents
            ? `the store has no event log port (store.events is undefined): ${name} not run`
            : name === 'documents' && !hasDocuments
              ? 'the store has no document port (store.documents is undefined): documents not run'
              : name === 'events-queue' && !hasQueue
                ? 'the store has no queue port (store.queue is undefined): events-queue not run'
                : needsClock.includes(name) && !caps.supportsInjectedClock
                  ? 'needs a store that reads the injected clock'
                  : false)
      t.test(name, { skip }, (t) => {
        groups[name](t, harness)
        t.end()
      })
    }
    const limits = Object.entries(caps.limits)
    if (limits.length > 0) {
      t.test('declared limits', (t) => {
        for (const [limit, reason] of limits)
          t.test(`${limit}: false`, { skip: `not verified: ${reason}` }, () => {})
        t.end()
      })
    }
  })
}

/** Whether the store under test has the queue and event ports: one store opened and closed to look. */
async function probePorts(
  makeStore: MakeStore,
  t: Test,
): Promise<{ hasQueue: boolean; hasEvents: boolean; hasDocuments: boolean }> {
  const store = await makeStore({ clock: createManualClock(), t })
  try {
    return {
      hasQueue: store.queue !== undefined,
      hasEvents: store.events !== undefined,
      hasDocuments: store.documents !== undefined,
    }
  } finally {
    await store.close()
  }
}
