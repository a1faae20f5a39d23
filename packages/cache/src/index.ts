/**
 * `@comp-manager/cache`: persistent memoization over a comp-manager Store, with TTL, tags,
 * versions, an in-process L1, stale-while-revalidate, and single flight across processes.
 */
export { type Duration, type DurationUnit, MAX_DURATION_MS, parseDuration } from '@comp-manager/core/options'
export type { DrainResult } from '@comp-manager/core/runs'
export { Cache, cached, createCache } from './cache.js'
export type { AsyncMethod, CachedMethodDecorator } from './decorator.js'
export { FILL_HASH_PREFIX } from './fill.js'
export { type FleetStatsResult, MAX_STAT_FUNCTIONS, STATS_KIND, type StatCounters } from './fleet-stats.js'
export { estimateHeapBytes, L1_ENTRY_OVERHEAD } from './heap-size.js'
export {
  DEFAULT_L1_MAX,
  DEFAULT_L1_MAX_BYTES,
  DEFAULT_L1_TTL_MS,
  DEFAULT_LEASE_MS,
  DEFAULT_MAX_ARGS_BYTES,
  DEFAULT_STATS_FLUSH_MS,
  MAX_CUSTOM_KEY_LENGTH,
} from './options.js'
export {
  DEFAULT_REDIS_CHANNEL_PREFIX,
  type RedisAcceleratorOptions,
  type RedisClientLike,
  type RedisStatus,
} from './redis.js'
export { MAX_REDIS_MESSAGE_LENGTH } from './redis-message.js'
export type {
  AnyFunction,
  CachedFunction,
  CacheEventName,
  CacheEvents,
  CacheLogger,
  CacheOptions,
  CacheStatsResult,
  DecoratorOptions,
  DrainOptions,
  ErrorPhase,
  Explanation,
  InvalidateOptions,
  L1Options,
  SetOptions,
  WarningReason,
  WrapOptions,
} from './types.js'
