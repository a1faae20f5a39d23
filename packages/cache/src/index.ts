/**
 * `@comp-manager/cache`: persistent memoization over a comp-manager Store, with TTL, tags,
 * versions, an in-process L1, stale-while-revalidate, and single flight across processes.
 */
export {
  type AnyFunction,
  type AsyncMethod,
  Cache,
  type CachedFunction,
  type CachedMethodDecorator,
  cached,
  createCache,
  FILL_HASH_PREFIX,
} from './cache.js'
export { type Duration, type DurationUnit, MAX_DURATION_MS, parseDuration } from './duration.js'
export {
  DEFAULT_L1_MAX,
  DEFAULT_L1_MAX_BYTES,
  DEFAULT_L1_TTL_MS,
  DEFAULT_LEASE_MS,
  DEFAULT_MAX_ARGS_BYTES,
  MAX_CUSTOM_KEY_LENGTH,
} from './options.js'
export type {
  CacheEventName,
  CacheEvents,
  CacheLogger,
  CacheOptions,
  CacheStatsResult,
  DecoratorOptions,
  ErrorPhase,
  Explanation,
  InvalidateOptions,
  L1Options,
  SetOptions,
  WarningReason,
  WrapOptions,
} from './types.js'
