import type { Store } from '@comp-manager/core'
import { defineOptions } from '@comp-manager/core/options'
import type { Test } from 'tap'
import { Type } from 'typebox'
import type { ManualClock } from './clock.js'

/** What `makeStore` receives for each subtest. */
export interface MakeStoreContext {
  /** The clock the store must read the time from (when it supports an injected clock). */
  clock: ManualClock
  /**
   * The subtest the store is for: register extra cleanup on it (`t.teardown(() => rm(file))`).
   * Teardowns run last-in first-out, so yours run after the suite has closed the store.
   */
  t: Test
}

/** Returns a fresh, empty store: one per subtest. The suite closes it in the subtest's teardown. */
export type MakeStore = (context: MakeStoreContext) => Store | Promise<Store>

/** The groups of the suite, in the order they run. */
export const conformanceGroups = [
  'basics',
  'compare-and-set',
  'claim-races',
  'claim-semantics',
  'leases',
  'cache',
  'cache-ttl',
  'invalidation',
  'pagination',
  'namespaces',
  'large-values',
  'unicode',
  'bad-input',
  'ping-and-close',
  'queue-enqueue',
  'queue-claim',
  'queue-retry',
  'queue-complete',
  'queue-prune',
  'queue-registry',
  'queue-bad-input',
  'queue-races',
  'events',
  'events-log',
  'events-queue',
  'documents',
] as const

/** The groups of the queue port (`store.queue`): skipped, with a reason, for a store without one. */
export const queueGroups: readonly ConformanceGroup[] = conformanceGroups.filter((g) =>
  g.startsWith('queue-'),
)
export type ConformanceGroup = (typeof conformanceGroups)[number]
/** The groups of the event log port (`store.events`): skipped, with a reason, for a store without one. */
export const eventGroups: readonly ConformanceGroup[] = ['events', 'events-log', 'events-queue']

/** Behaviours a store (or the server behind it) may not have; declared, so they are never silently "passed". */
export const storeLimits = [
  'ttlEnforced',
  'transactions',
  'changeStreams',
  'nonUniqueIndexes',
  'writeConcernMajority',
] as const
export type StoreLimit = (typeof storeLimits)[number]

/**
 * What the store under test can do, as flags: one suite for every store instead of forks of it.
 * Every field is optional.
 */
export interface StoreConformanceCapabilities {
  /** Shown in the suite's title. Default `'store'`. */
  name?: string
  /** How many `claim`s race for one hash in the claim-races group. Default 32. */
  raceConcurrency?: number
  /** Size in UTF-8 bytes of the cache value that must round-trip in the large-values group. Default 5 MiB. */
  largeValueBytes?: number
  /**
   * The store reads the time from `makeStore`'s `clock`. Default `true`. When `false`, the groups
   * and assertions that move time (leases, TTL, exact timestamps) are skipped or loosened.
   */
  supportsInjectedClock?: boolean
  /**
   * The at-limit and over-limit value tests build a value of `store.capabilities.maxValueBytes` (+1)
   * bytes; they run only when that limit is at most this many bytes. Default 64 MiB.
   */
  maxValueTestBytes?: number
  /** How many claimers race in the queue-races group. Default 16. */
  queueClaimers?: number
  /** How many jobs they race for. Default 200. */
  queueJobs?: number
  /** Groups to skip, each with the reason shown in the TAP output. Default none. */
  skip?: Partial<Record<ConformanceGroup, string>>
  /**
   * What this store (or its server) does not do, each with the reason, e.g. `{ ttlEnforced: 'the test
   * server stores TTL indexes but never deletes' }`. Each is reported as a skipped "not verified"
   * check in the TAP output, so a green run says what it did not cover. Default none.
   */
  limits?: Partial<Record<StoreLimit, string>>
}

export interface ResolvedCapabilities {
  name: string
  raceConcurrency: number
  largeValueBytes: number
  supportsInjectedClock: boolean
  maxValueTestBytes: number
  queueClaimers: number
  queueJobs: number
  skip: Partial<Record<ConformanceGroup, string>>
  limits: Partial<Record<StoreLimit, string>>
}

const MiB = 1024 * 1024

const Positive = Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }))

const CapabilitiesParser = defineOptions(
  Type.Object(
    {
      name: Type.Optional(Type.String({ minLength: 1 })),
      raceConcurrency: Positive,
      largeValueBytes: Positive,
      supportsInjectedClock: Type.Optional(Type.Boolean()),
      maxValueTestBytes: Positive,
      queueClaimers: Positive,
      queueJobs: Positive,
      skip: Type.Optional(
        Type.Object(
          Object.fromEntries(conformanceGroups.map((group) => [group, Type.Optional(Type.String())])),
          { additionalProperties: false },
        ),
      ),
      limits: Type.Optional(
        Type.Object(
          Object.fromEntries(
            storeLimits.map((limit) => [limit, Type.Optional(Type.String({ minLength: 1 }))]),
          ),
          { additionalProperties: false },
        ),
      ),
    },
    { additionalProperties: false },
  ),
  { package: '@comp-manager/store-testkit', what: 'storeConformance', optional: true },
)

/** Fills in defaults and rejects nonsense early, naming the option (`CM_ERR_INVALID_ARGUMENT`). */
export function resolveCapabilities(capabilities: StoreConformanceCapabilities = {}): ResolvedCapabilities {
  const c = CapabilitiesParser.parse(capabilities)
  return {
    name: c.name ?? 'store',
    raceConcurrency: c.raceConcurrency ?? 32,
    largeValueBytes: c.largeValueBytes ?? 5 * MiB,
    supportsInjectedClock: c.supportsInjectedClock ?? true,
    maxValueTestBytes: c.maxValueTestBytes ?? 64 * MiB,
    queueClaimers: c.queueClaimers ?? 16,
    queueJobs: c.queueJobs ?? 200,
    skip: (c.skip ?? {}) as Partial<Record<ConformanceGroup, string>>,
    limits: (c.limits ?? {}) as Partial<Record<StoreLimit, string>>,
  }
}
