import type { Clock, Codec, Store } from '@comp-manager/core'
import type { Duration } from '@comp-manager/core/options'
import type { RedisAcceleratorOptions } from './redis.js'

// biome-ignore lint/suspicious/noExplicitAny: any function may be wrapped, whatever its `this` and arguments
export type AnyFunction = (this: any, ...args: any[]) => any

/** What `wrap` returns: the same parameters and `this`, always async. */
export type CachedFunction<F extends AnyFunction> = F extends (this: infer T, ...args: infer A) => infer R
  ? (this: T, ...args: A) => Promise<Awaited<R>>
  : never

/** A logger in the pino / Fastify shape (`logger.warn(obj, msg)`); `console` works too. */
export interface CacheLogger {
  warn(details: object, message: string): void
  error(details: object, message: string): void
}

/** The in-process LRU in front of the store. */
export interface L1Options {
  /** Most entries kept. Default 1000. */
  max?: number
  /** Most bytes kept, counted as the size of each value's codec text. Default 64 MiB. */
  maxBytes?: number
  /**
   * Longest time an entry stays in this L1, whatever its TTL: the bound on how long a value
   * invalidated by *another* process can still be served here when the store has no event log (or
   * `syncMs` is `false`). Default `'1m'`; `null` = until the entry's own expiry.
   */
  ttl?: Duration | null
  /**
   * How often the store's event log (`store.events`) is polled for other processes' deletes and
   * invalidations, which this L1 then drops: the bound on serving a stale copy. Default `'200ms'`;
   * `false` = off. Ignored for a store without an event log.
   */
  syncMs?: Duration | false
}

/** Options of {@link createCache}. */
export interface CacheOptions {
  /** Where entries and fill runs live (`SqliteStore`, `MongoStore`, `MemoryStore`…). Not closed by the cache. */
  store: Store
  /** Scope of every entry and run this cache writes. */
  namespace: string
  /** In-process LRU in front of the store: `true` for the defaults, or its bounds. Default: none. */
  l1?: boolean | L1Options
  /** Default time to live of entries (each `wrap` may override it). Default: no expiry. */
  ttl?: Duration | null
  /** Codec of values and arguments (register your classes on it). Default: core's `defaultCodec`. */
  codec?: Codec
  /** Lease of a fill run: if its process stops renewing it this long, a waiter takes over. Default 30 s. */
  leaseMs?: Duration
  /** How often the computing process renews its lease. Default `leaseMs / 3`. */
  heartbeatMs?: Duration
  /** Source of "now" in epoch ms; give the store the same one. Default `Date.now`. */
  clock?: Clock
  /** Receives the `warning` and `error` events (they are emitted either way). */
  logger?: CacheLogger
  /** Deletes expired entries (of every namespace of the store) this often; unref'd. Default: off. */
  purgeIntervalMs?: Duration
  /**
   * Where a miss is single-flighted. `'store'` (default): through a recorded fill run in the store, so one
   * process of the fleet computes a key and the fill is visible (`GET /computations`), drained and
   * recovered like any run. `'process'`: in this process only, no fill run recorded (the store only
   * holds the entry): the cost of an in-process memoizer, but processes sharing the store may compute
   * the same key at once, and `drain()` has no fills to wait for.
   */
  singleFlight?: 'store' | 'process'
  /** Recorded as `owner` on the fill runs. Default `null`. */
  owner?: string | null
  /** Largest encoded arguments recorded on fill runs and (with `storeArgs`) on entries. Default 16 KiB. */
  maxArgsBytes?: number
  /** First polling interval of a waiter; grows ×1.5 up to `maxPollMs`. Default 20 ms. */
  pollMs?: Duration
  /** Longest polling interval of a waiter. Default 250 ms. */
  maxPollMs?: Duration
  /**
   * How often this cache writes its counters to the store (`store.documents`) for the fleet's totals
   * (`fleetStats()`, `GET /cache/stats`); they are also written by `flushStats()` and `close()`. `0`:
   * only then. Default 5 s.
   */
  statsFlushMs?: Duration
  /**
   * Redis pub/sub as an accelerator of the L1 coherence: this cache's deletes and invalidations are
   * published on `channelPrefix + namespace`, and the L1 drops other caches' at once instead of at
   * the next event-log poll (which still catches up what Redis loses). Needs `ioredis` for `url`.
   * Default: none.
   */
  redis?: RedisAcceleratorOptions
}

/** Options of `cache.wrap(name, fn, options)` and of the decorator. */
export interface WrapOptions<A extends readonly unknown[] = unknown[], R = unknown> {
  /** Qualified name hashed into the key (`module/Class.method`). Default: the name given to `wrap`. */
  functionFull?: string
  /** Time to live; `null` = never expires. Default: the cache's `ttl`. */
  ttl?: Duration | null
  /** Part of the key: bump it after a code change and every old entry stops matching. */
  version?: string | number
  /** Tags to invalidate by: a list, or a function of the arguments and the result. */
  tags?: readonly string[] | ((args: A, result: R) => readonly string[])
  /**
   * Custom key from the arguments (used as is, up to 250 characters; `this` is the wrapped call's
   * `this`, e.g. the instance of a decorated method). Exclusive with `ignoreArgs`.
   */
  // biome-ignore lint/suspicious/noExplicitAny: lets `function (this: MyClass, …)` key functions through
  key?: (this: any, ...args: A) => string
  /** One entry whatever the arguments. */
  ignoreArgs?: boolean
  /**
   * After `ttl`, serve the old value for this much longer while one caller refreshes it in the
   * background. Needs a `ttl`.
   */
  staleWhileRevalidate?: Duration
  /** Which results are stored. Default: everything but `undefined`. */
  shouldCache?: (result: R) => boolean
  /** Longest wait for a computation running elsewhere (`CM_ERR_TIMEOUT` after). Default: no limit. */
  timeoutMs?: Duration
  /** Keep the encoded arguments on the entry, for inspection (up to the cache's `maxArgsBytes`). */
  storeArgs?: boolean
}

/** Options of the method decorator: the wrap options plus the function name. */
export interface DecoratorOptions<A extends readonly unknown[] = unknown[], R = unknown>
  extends WrapOptions<A, R> {
  /** Default `ClassName.method`. */
  name?: string
}

/** Options of `cache.set(key, value, options)`. */
export interface SetOptions {
  /** Default: the cache's `ttl`. */
  ttl?: Duration | null
  tags?: readonly string[]
  /** Recorded `function` (the name `invalidate({ function })` matches). Default `'cache.set'`. */
  function?: string
  /** @deprecated The former name of `function`; still accepted (both given must agree). */
  fn?: string
  /** Recorded `functionFull`. Default: `function`. */
  functionFull?: string
  version?: string | number
}

/** What `cache.invalidate` removes: criteria are ANDed; `all` alone clears the namespace. */
export interface InvalidateOptions {
  /** Matches the function's name or its `functionFull` (`function` in REST and the CLI too). */
  function?: string
  /** @deprecated The former name of `function`; still accepted (both given must agree). */
  fn?: string
  tag?: string
  version?: string | number | null
  all?: boolean
}

/** Options of `cache.drain()`. */
export interface DrainOptions {
  /** How long the fills running here may take to end before they are given up (`lost`). Default 0. */
  timeoutMs?: Duration
}

/** `cache.stats()`. */
export interface CacheStatsResult {
  /** Calls served a fresh value (from L1 or the store). */
  hits: number
  /** Calls that found no usable entry. Some of them are `dedupes`. */
  misses: number
  /** Calls served a stale value (stale-while-revalidate). */
  staleHits: number
  /** Misses that got a value computed by another caller (this process or another one). */
  dedupes: number
  /** `(hits + staleHits) / (hits + staleHits + misses)`; 0 before any call. */
  hitRate: number
  /** Live entries of the namespace in the store. */
  entries: number
  /** Bytes of their values in the store. */
  bytes: number
  /** The L1, when there is one. */
  l1?: { entries: number; bytes: number }
}

/** `cache.explain(name, args)`: how a call's key is made. */
export interface Explanation {
  key: string
  /** `sha256` (or another digest), or `custom` for a `key` function. */
  algorithm: string
  /** The text that was hashed; `null` for a custom key. */
  canonical: string | null
}

export type WarningReason =
  /** `shouldCache` said no (or threw). */
  | 'not-cacheable'
  /** The codec cannot encode the result (a function, an unregistered class…). */
  | 'encode'
  /** The encoded result exceeds the store's limit. */
  | 'too-large'
  /** The `tags` function threw or returned something else than a list of strings. */
  | 'tags'
  /** A stored value could not be decoded here (a type not registered in this process?): recomputed. */
  | 'decode'

export type ErrorPhase =
  | 'set'
  | 'refresh'
  | 'purge'
  | 'renew'
  | 'store-result'
  | 'finish'
  | 'checkpoint'
  | 'listener'
  /** Following the store's event log for the L1 (the next poll tries again). */
  | 'sync'
  /** Writing the fleet-wide counters (the next flush tries again). */
  | 'stats'
  /** The Redis accelerator lost its connection (once per outage; it reconnects) or cannot load ioredis. */
  | 'redis'

/** The events of a cache, with their payloads. */
export interface CacheEvents {
  hit: { key: string; name: string | undefined; source: 'l1' | 'store' }
  miss: { key: string; name: string | undefined }
  stale: { key: string; name: string; staleForMs: number }
  set: { key: string; name: string; size: number; expiresAt: number | null }
  warning: { key: string; name: string; reason: WarningReason; message: string; error?: unknown }
  error: { key?: string; name?: string; during: ErrorPhase; error: unknown }
}

export type CacheEventName = keyof CacheEvents
