import { type CacheEntryMeta, canonicalCall, describeType, hashKey, type Store } from '@comp-manager/core'
import type { DrainResult } from '@comp-manager/core/runs'
import { callCached, closedError, keyOf } from './call.js'
import { CacheContext } from './context.js'
import { type CachedMethodDecorator, methodDecorator } from './decorator.js'
import { readEntry } from './entries.js'
import type { FleetStatsResult } from './fleet-stats.js'
import {
  assertKey,
  assertName,
  assertNamespaceArg,
  invalidArgument,
  resolveCacheOptions,
  resolveDrainOptions,
  resolveInvalidateCriteria,
  resolveSetOptions,
} from './options.js'
import type { RedisStatus } from './redis.js'
import type {
  AnyFunction,
  CachedFunction,
  CacheEventName,
  CacheEvents,
  CacheOptions,
  CacheStatsResult,
  DecoratorOptions,
  DrainOptions,
  Explanation,
  InvalidateOptions,
  SetOptions,
  WrapOptions,
} from './types.js'
import { resolveWrapOptions, type WrapSpec } from './wrap-options.js'

type Listener<E extends CacheEventName> = (payload: CacheEvents[E]) => void

/**
 * Persistent memoization over a comp-manager `Store`: see {@link createCache}. Every fill of a missing
 * key is a claimed, leased run in the store, so one caller computes while every other caller — in
 * this process or another one sharing the store — waits for its result. This class is the API; the
 * call and fill paths live in `call.ts` and `fill.ts`, over the cache's {@link CacheContext}.
 */
export class Cache {
  /** Scope of this cache's entries and runs. */
  readonly namespace: string
  /** The store it was given (the cache never closes it). */
  readonly store: Store
  readonly #ctx: CacheContext
  /** The latest options wrapped under each name (for `explain`). */
  // biome-ignore lint/suspicious/noExplicitAny: specs of any argument and result types
  readonly #specs = new Map<string, WrapSpec<any, any>>()
  #timer: ReturnType<typeof setInterval> | undefined

  constructor(options: CacheOptions) {
    const o = resolveCacheOptions(options)
    this.namespace = o.namespace
    this.store = o.store
    this.#ctx = new CacheContext(o)
    if (o.purgeIntervalMs !== null) {
      this.#timer = setInterval(() => {
        this.purge().catch((err) => this.#ctx.error('purge', err))
      }, o.purgeIntervalMs)
      this.#timer.unref?.()
    }
  }

  // ── wrapping ──────────────────────────────────────────────────────────────────────────────────

  /**
   * Memoizes `fn` under `name`: the returned function has the same parameters and `this`, returns a
   * Promise of the result, and computes each distinct call at most once across every process
   * sharing the store (while its entry lives). Options are checked now.
   */
  wrap<F extends AnyFunction>(
    name: string,
    fn: F,
    options?: WrapOptions<Parameters<F>, Awaited<ReturnType<F>>>,
  ): CachedFunction<F> {
    assertName('wrap()', name)
    if (typeof fn !== 'function')
      invalidArgument('wrap()', 'fn', `must be the function to cache (got ${describeType(fn)})`)
    return this.#wrapSpec(resolveWrapOptions(name, options, this.#ctx.o.ttlMs), fn) as CachedFunction<F>
  }

  /** `cached(name, fn, options?)` is `wrap`; `cached(options?)` is the method decorator. */
  cached<F extends AnyFunction>(
    name: string,
    fn: F,
    options?: WrapOptions<Parameters<F>, Awaited<ReturnType<F>>>,
  ): CachedFunction<F>
  // biome-ignore lint/suspicious/noExplicitAny: the decorated method's types are inferred where it is applied
  cached<A extends unknown[] = any[], R = any>(options?: DecoratorOptions<A, R>): CachedMethodDecorator
  cached(nameOrOptions?: unknown, fn?: unknown, options?: unknown): unknown {
    if (typeof nameOrOptions === 'string')
      return this.wrap(nameOrOptions, fn as AnyFunction, options as WrapOptions)
    return this.decorator(nameOrOptions as DecoratorOptions | undefined)
  }

  /**
   * A standard (TC39) decorator for async methods: `@cache.decorator({ ttl: '1h' })`. The default
   * name is `ClassName.method` (the class that declares the method). The instance is not part of the
   * key: include what matters of it with `key`.
   */
  // biome-ignore lint/suspicious/noExplicitAny: the decorated method's types are inferred where it is applied
  decorator<A extends unknown[] = any[], R = any>(options?: DecoratorOptions<A, R>): CachedMethodDecorator {
    return methodDecorator(options as DecoratorOptions | undefined, this.#ctx.o.ttlMs, (spec, fn) =>
      this.#wrapSpec(spec, fn),
    )
  }

  // biome-ignore lint/suspicious/noExplicitAny: specs of any argument and result types
  #wrapSpec(spec: WrapSpec<any, any>, fn: AnyFunction): AnyFunction {
    this.#specs.set(spec.name, spec)
    const ctx = this.#ctx
    const wrapped = function (this: unknown, ...args: unknown[]) {
      return callCached(ctx, spec, fn, this, args)
    }
    Object.defineProperty(wrapped, 'name', { value: `cached ${fn.name || spec.name}` })
    return wrapped
  }

  // ── explicit keys ─────────────────────────────────────────────────────────────────────────────

  /** The value stored under `key`, or `undefined`. Counts a hit or a miss. */
  async get<T = unknown>(key: string): Promise<T | undefined> {
    const ctx = this.#open()
    assertKey('get()', key)
    const held = ctx.l1?.get(key, ctx.o.clock())
    if (held !== undefined) {
      ctx.hit(key, undefined, 'l1')
      return held.value as T
    }
    const found = await readEntry(ctx, key, undefined, true, true)
    if (found === null) {
      ctx.miss(key, undefined)
      return undefined
    }
    ctx.remember(found.entry, found.value)
    ctx.hit(key, undefined, 'store')
    return found.value as T
  }

  /**
   * Stores `value` under `key` (replacing any entry). Unlike a wrapped call, a value the codec cannot
   * encode or the store refuses is an error here.
   */
  async set(key: string, value: unknown, options?: SetOptions): Promise<CacheEntryMeta> {
    const ctx = this.#open()
    assertKey('set()', key)
    const set = resolveSetOptions(options, ctx.o.ttlMs)
    const text = ctx.o.codec.stringify(value)
    const meta = await ctx.o.store.cache.set({
      namespace: ctx.o.namespace,
      key,
      function: set.function,
      functionFull: set.functionFull,
      version: set.version,
      algorithm: 'custom',
      value: text,
      tags: set.tags,
      ttlMs: set.ttlMs,
    })
    ctx.remember(meta, value)
    if (ctx.events.has('set'))
      ctx.events.emit('set', { key, name: set.function, size: meta.size, expiresAt: meta.expiresAt })
    return meta
  }

  /** True when a live entry exists under `key` (does not count a hit). */
  async has(key: string): Promise<boolean> {
    const ctx = this.#open()
    assertKey('has()', key)
    if (ctx.l1?.get(key, ctx.o.clock()) !== undefined) return true
    return (await ctx.o.store.cache.get(ctx.o.namespace, key, { touch: false })) !== null
  }

  /** Deletes the entry under `key` here and in the store; `true` if the store had it. */
  async delete(key: string): Promise<boolean> {
    const ctx = this.#open()
    assertKey('delete()', key)
    ctx.l1?.delete(key)
    const deleted = await ctx.o.store.cache.delete(ctx.o.namespace, key)
    ctx.published({ key })
    return deleted
  }

  /**
   * Deletes the entries matching every criterion given (`function`, `tag`, `version`), or all of them
   * (`{ all: true }`), in the store and in this process's L1. Returns how many the store deleted.
   */
  async invalidate(criteria: InvalidateOptions): Promise<number> {
    const ctx = this.#open()
    const store = resolveInvalidateCriteria(criteria)
    const count = await ctx.o.store.cache.invalidate(ctx.o.namespace, store)
    ctx.l1?.invalidate(store)
    ctx.published({ criteria: store })
    return count
  }

  /**
   * Announces a change made in the store outside this cache — typically by an admin, in another
   * namespace: `{ key }` deleted, or `{ criteria }` invalidated (as `invalidate()` takes them). The
   * caches of `namespace` in other processes drop it from their L1 at once, through Redis (on
   * `channelPrefix + namespace`), instead of when their event-log tail reaches it (`l1.syncMs`); for
   * this cache's own namespace, its L1 drops it too. Changes nothing in the store; without `redis`
   * only the L1 part is done.
   */
  announce(namespace: string, change: { key: string } | { criteria: InvalidateOptions }): void {
    const ctx = this.#open()
    assertNamespaceArg('announce()', namespace)
    if (typeof change !== 'object' || change === null || 'key' in change === 'criteria' in change)
      invalidArgument('announce()', 'change', 'must be { key } or { criteria }')
    const own = namespace === ctx.o.namespace
    if ('key' in change) {
      assertKey('announce()', change.key)
      if (own) ctx.l1?.delete(change.key)
      ctx.published({ key: change.key }, namespace)
      return
    }
    const criteria = resolveInvalidateCriteria(change.criteria)
    const selective = criteria.function !== undefined || criteria.tag !== undefined || 'version' in criteria
    // As the store's `invalidate`: one or more criteria, or `all` alone (never an empty "match all").
    if (criteria.all === true ? selective : !selective)
      invalidArgument('announce()', 'criteria', 'needs `function`, `tag`, `version` or `all: true` alone')
    if (own) ctx.l1?.invalidate(criteria)
    ctx.published({ criteria }, namespace)
  }

  /** Deletes expired entries (the store's, in every namespace, and this L1's); returns the store's count. */
  async purge(): Promise<number> {
    const ctx = this.#open()
    const count = await ctx.o.store.cache.purgeExpired()
    ctx.l1?.purge(ctx.o.clock())
    return count
  }

  /** Counters of this cache instance, and the namespace's entries and bytes from the store. */
  async stats(): Promise<CacheStatsResult> {
    const ctx = this.#ctx
    const { entries, bytes } = await ctx.o.store.cache.stats(ctx.o.namespace)
    const { hits, misses, staleHits, dedupes } = ctx.counters
    const lookups = hits + staleHits + misses
    return {
      hits,
      misses,
      staleHits,
      dedupes,
      hitRate: lookups === 0 ? 0 : (hits + staleHits) / lookups,
      entries,
      bytes,
      ...(ctx.l1 === null ? {} : { l1: { entries: ctx.l1.entries, bytes: ctx.l1.bytes } }),
    }
  }

  /**
   * The Redis accelerator's state (`connecting`, `up`, `down`, `closed`) and counts of messages
   * published, applied and ignored; `null` without the `redis` option.
   */
  redisStatus(): RedisStatus | null {
    return this.#ctx.redis?.status() ?? null
  }

  /** Writes this cache's counters for the fleet's totals now (they are written every `statsFlushMs` too). */
  flushStats(): Promise<void> {
    return this.#ctx.stats.flush()
  }

  /**
   * The counters of every cache of this namespace on the store (every process), summed, in total and
   * per function: hits, misses, stale hits, fills, fill time, L1 evictions. Flushes this cache's own
   * first; the others' are as of their last flush (`statsFlushMs`). `null` for a store without the
   * document port.
   */
  fleetStats(): Promise<FleetStatsResult | null> {
    return this.#ctx.stats.read()
  }

  /**
   * How the key of `name(...args)` is made: the key, its algorithm and the canonical text that was
   * hashed. Uses the options `name` was last wrapped with, overridden by `options`.
   */
  explain(name: string, args: readonly unknown[], options?: WrapOptions): Explanation {
    assertName('explain()', name)
    if (!Array.isArray(args))
      invalidArgument(
        'explain()',
        'args',
        `must be the array of the call's arguments (got ${describeType(args)})`,
      )
    const { codec, ttlMs } = this.#ctx.o
    const registered = this.#specs.get(name)
    const spec =
      options === undefined && registered !== undefined
        ? registered
        : resolveWrapOptions(name, { ...registered?.options, ...options }, ttlMs)
    if (spec.key !== undefined)
      return { key: keyOf(this.#ctx, spec, undefined, [...args]).key, algorithm: 'custom', canonical: null }
    const input = { fn: spec.functionFull, version: spec.version, args: spec.ignoreArgs ? [] : args }
    const { key, algorithm } = hashKey(input, { codec })
    return { key, algorithm, canonical: canonicalCall(input, { codec }) }
  }

  // ── events, lifecycle ─────────────────────────────────────────────────────────────────────────

  /** Listens to an event; returns a function that removes the listener (as `tracker.on` does). */
  on<E extends CacheEventName>(event: E, listener: Listener<E>): () => void {
    return this.#ctx.events.on(event, assertListener(listener))
  }

  /** Removes a listener added with `on` (the function `on` returned does the same). */
  off<E extends CacheEventName>(event: E, listener: Listener<E>): this {
    this.#ctx.events.off(event, listener)
    return this
  }

  /** Listens to the next event only; returns a function that removes the listener before it fires. */
  once<E extends CacheEventName>(event: E, listener: Listener<E>): () => void {
    return this.#ctx.events.once(event, assertListener(listener))
  }

  /**
   * Waits up to `timeoutMs` (default 0) for the fills this process is running (known without asking
   * the store), then gives up the others: their runs are marked `lost` (waiters in other processes
   * claim again at once) and their callers here reject with `CM_ERR_LOST`. For a shutdown, before
   * `close()`; the cache stays usable.
   */
  drain(options?: DrainOptions): Promise<DrainResult> {
    try {
      return this.#ctx.runs.drain({ timeoutMs: resolveDrainOptions(options) })
    } catch (err) {
      return Promise.reject(err)
    }
  }

  /**
   * Stops the purge timer, waits for background refreshes and empties the L1. Later calls reject
   * with `CM_ERR_STORE_UNAVAILABLE`. The store is left open: close it yourself, after this. Running
   * fills are not drained: call `drain()` first for that.
   */
  async close(): Promise<void> {
    const ctx = this.#ctx
    if (ctx.closed) return
    ctx.closed = true
    clearInterval(this.#timer)
    await Promise.allSettled([...ctx.background])
    await ctx.coherence?.stop()
    await ctx.redis?.close()
    await ctx.stats.close()
    ctx.l1?.clear()
  }

  #open(): CacheContext {
    if (this.#ctx.closed) throw closedError()
    return this.#ctx
  }
}

function assertListener<L>(listener: L): L {
  if (typeof listener !== 'function')
    invalidArgument('on()', 'listener', `must be a function (got ${describeType(listener)})`)
  return listener
}

/**
 * Creates a cache over a Store. Options are checked now; a bad one is a `CM_ERR_INVALID_ARGUMENT`
 * naming it.
 *
 * @example
 * const cache = createCache({ store: new SqliteStore({ path: './data/cache.db' }), namespace: 'app', ttl: '1h' })
 * const price = cache.wrap('price', async (sku: string) => fetchPrice(sku), { tags: ['prices'] })
 * await price('A-1') // computed once, then served from the store by every process
 */
export function createCache(options: CacheOptions): Cache {
  return new Cache(options)
}

/**
 * The method decorator as a function of the cache: `@cached(cache, { ttl: '1h' })`. Same as
 * `@cache.decorator(options)`.
 */
// biome-ignore lint/suspicious/noExplicitAny: the decorated method's types are inferred where it is applied
export function cached<A extends unknown[] = any[], R = any>(
  cache: Cache,
  options?: DecoratorOptions<A, R>,
): CachedMethodDecorator {
  if (!(cache instanceof Cache))
    invalidArgument('cached()', 'cache', `must be a Cache from createCache (got ${describeType(cache)})`)
  return cache.decorator(options)
}
