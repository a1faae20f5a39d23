import type { Store } from '@comp-manager/core'
import type { Test } from 'tap'
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
] as const
export type ConformanceGroup = (typeof conformanceGroups)[number]

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
  /** Groups to skip, each with the reason shown in the TAP output. Default none. */
  skip?: Partial<Record<ConformanceGroup, string>>
}

export interface ResolvedCapabilities {
  name: string
  raceConcurrency: number
  largeValueBytes: number
  supportsInjectedClock: boolean
  maxValueTestBytes: number
  skip: Partial<Record<ConformanceGroup, string>>
}

const MiB = 1024 * 1024

function positiveInteger(value: unknown, fallback: number, field: string): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new TypeError(`storeConformance: \`${field}\` must be a positive integer, got ${String(value)}`)
  }
  return value
}

/** Fills in defaults and rejects nonsense early, naming the option. */
export function resolveCapabilities(capabilities: StoreConformanceCapabilities = {}): ResolvedCapabilities {
  const skip = capabilities.skip ?? {}
  for (const group of Object.keys(skip)) {
    if (!(conformanceGroups as readonly string[]).includes(group)) {
      throw new TypeError(
        `storeConformance: unknown group '${group}' in \`skip\` (groups: ${conformanceGroups.join(', ')})`,
      )
    }
  }
  return {
    name: capabilities.name ?? 'store',
    raceConcurrency: positiveInteger(capabilities.raceConcurrency, 32, 'raceConcurrency'),
    largeValueBytes: positiveInteger(capabilities.largeValueBytes, 5 * MiB, 'largeValueBytes'),
    supportsInjectedClock: capabilities.supportsInjectedClock ?? true,
    maxValueTestBytes: positiveInteger(capabilities.maxValueTestBytes, 64 * MiB, 'maxValueTestBytes'),
    skip,
  }
}
