import type { CacheEntryMeta } from '@comp-manager/core'
import { Emitter, LocalRuns } from '@comp-manager/core/runs'
import { L1Coherence } from './coherence.js'
import type { FillResult } from './fill.js'
import { FleetStats } from './fleet-stats.js'
import { L1 } from './l1.js'
import type { ResolvedCacheOptions } from './options.js'
import { RedisAccelerator } from './redis.js'
import type { RedisChange } from './redis-message.js'
import type { CacheEvents, ErrorPhase, WarningReason } from './types.js'

/**
 * What the parts of one cache share: its resolved options, its L1, its events and counters, and
 * what runs in this process (the single flights, the background refreshes, the fills). Internal: the
 * `Cache` class is the API over it; the call and fill paths take it as their explicit context.
 */
export class CacheContext {
  readonly o: ResolvedCacheOptions
  readonly l1: L1 | null
  /** Other processes' deletes and invalidations dropped from the L1 (when the store has an event log). */
  readonly coherence: L1Coherence | null
  /** Redis pub/sub in front of the event log (when `redis` is given). */
  readonly redis: RedisAccelerator | null
  readonly events: Emitter<CacheEvents>
  readonly counters = { hits: 0, misses: 0, staleHits: 0, dedupes: 0 }
  /** The same counters (and fills, fill time, evictions) written in batches for the fleet's totals. */
  readonly stats: FleetStats
  /** In-process single flight: one fill per key at a time; every caller of the key shares it. */
  readonly inflight = new Map<string, Promise<FillResult>>()
  /** Stale-while-revalidate refreshes nobody awaits (waited for by `close`). */
  readonly background = new Set<Promise<unknown>>()
  /** The fill runs this process is executing (what `drain` waits for). */
  readonly runs: LocalRuns
  closed = false

  constructor(options: ResolvedCacheOptions) {
    this.o = options
    this.stats = new FleetStats(options.store.documents, options.namespace, options.statsFlushMs, (err) =>
      this.error('stats', err),
    )
    this.l1 =
      options.l1 === null ? null : new L1(options.l1, (entry) => this.stats.add(entry.function, 'evictions'))
    this.events = new Emitter<CacheEvents>((err, event) => this.error('listener', err, { event }))
    const { store } = options
    this.coherence =
      this.l1 === null || options.l1?.syncMs === null || store.events === undefined
        ? null
        : new L1Coherence(store.events, this.l1, options.namespace, options.l1!.syncMs, (err) =>
            this.error('sync', err),
          )
    this.coherence?.start().catch((err: unknown) => this.error('sync', err))
    this.redis =
      options.redis === null
        ? null
        : new RedisAccelerator(options.redis, options.namespace, this.l1 !== null, {
            apply: (change, at) => this.#drop(change, at),
            down: (err) => this.error('redis', err),
            up: () => this.o.logger?.warn({ during: 'redis' }, 'cache: redis accelerator connected again'),
          })
    this.runs = new LocalRuns(options.store.computations)
  }

  /** Another process's change, from Redis: through the coherence (which remembers it), or straight to the L1. */
  #drop(change: RedisChange, at: number): void {
    if (this.coherence !== null)
      this.coherence.drop(change.key === undefined ? { criteria: change.criteria } : { key: change.key }, at)
    else if (change.key !== undefined) this.l1?.delete(change.key)
    else this.l1?.invalidate(change.criteria)
  }

  /**
   * Tells the other processes' L1s, through Redis, of a change this cache made in the store (in
   * `namespace`, default the cache's own).
   */
  published(change: RedisChange, namespace?: string): void {
    this.redis?.publish(change, this.o.clock(), namespace)
  }

  hit(key: string, name: string | undefined, source: 'l1' | 'store'): void {
    this.counters.hits++
    this.stats.add(name, 'hits')
    if (this.events.has('hit')) this.events.emit('hit', { key, name, source })
  }

  miss(key: string, name: string | undefined): void {
    this.counters.misses++
    this.stats.add(name, 'misses')
    if (this.events.has('miss')) this.events.emit('miss', { key, name })
  }

  warn(reason: WarningReason, message: string, key: string, name: string, error?: unknown): void {
    this.events.emit('warning', { key, name, reason, message, ...(error === undefined ? {} : { error }) })
    this.o.logger?.warn({ key, name, reason, err: error }, message)
  }

  error(
    during: ErrorPhase,
    error: unknown,
    where: { key?: string; name?: string; event?: string } = {},
  ): void {
    if (during !== 'listener') {
      this.events.emit('error', {
        during,
        error,
        ...(where.key === undefined ? {} : { key: where.key }),
        ...(where.name === undefined ? {} : { name: where.name }),
      })
    }
    this.o.logger?.error(
      { ...where, during, err: error },
      `cache: ${during} failed: ${String((error as Error)?.message ?? error)}`,
    )
  }

  /** Keeps a decoded value in the L1 (when there is one). */
  remember(meta: CacheEntryMeta, value: unknown): void {
    if (this.coherence?.outdated(meta)) return
    this.l1?.set(
      meta.key,
      {
        value,
        function: meta.function,
        functionFull: meta.functionFull,
        version: meta.version,
        tags: meta.tags,
        createdAt: meta.createdAt,
        expiresAt: meta.expiresAt,
        size: meta.size,
      },
      this.o.clock(),
    )
  }
}
