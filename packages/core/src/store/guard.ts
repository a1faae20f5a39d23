import type { CacheEntry, CacheEntryMeta, Computation } from '../domain/schemas.js'
import type { ComputationStatus } from '../domain/status.js'
import type { CacheBackend, ComputationBackend, StoreBackend } from './backend.js'
import { CursorCodec } from './cursor.js'
import { HitCounter } from './hits.js'
import type {
  CacheGetOptions,
  CacheQuery,
  CacheStats,
  CacheStore,
  ClaimInput,
  ClaimResult,
  Clock,
  ComputationPatch,
  ComputationQuery,
  ComputationStore,
  FillFinished,
  HeartbeatInput,
  InvalidateCriteria,
  NewCacheEntry,
  NewComputation,
  Page,
  PingResult,
  Store,
  StoreCapabilities,
} from './ports.js'
import {
  DEFAULT_COUNT_LIMIT,
  type ListPolicy,
  normalizeCacheQuery,
  normalizeComputationQuery,
} from './queries.js'
import { GuardedQueueStore } from './queue-guard.js'
import { assertValueSize, pageOf, utf8Length } from './records.js'
import {
  assertComputationStatus,
  assertKey,
  assertNamespace,
  normalizeFindExpiredOptions,
  validateCacheGetOptions,
  validateClaimInput,
  validateHeartbeat,
  validateInvalidateCriteria,
  validateNewCacheEntry,
  validateNewComputation,
  validatePatch,
} from './validate.js'

/**
 * The guard in front of every Store (keyv's `Keyv` over its adapters): each port method validates its
 * input once, here, the same way for every backend (`CM_ERR_INVALID_ARGUMENT` naming the field),
 * then calls the backend's raw operation. Methods are `async`, so bad input is always a rejection.
 */
export class GuardedComputationStore implements ComputationStore {
  readonly #backend: ComputationBackend
  readonly #lists: ListPolicy

  constructor(backend: ComputationBackend, options: ListOptions = {}) {
    this.#backend = backend
    this.#lists = listPolicy(options)
  }

  async create(input: NewComputation): Promise<Computation> {
    this.#backend.assertOpen?.('computations.create')
    validateNewComputation(input)
    return this.#backend.create(input)
  }

  async get(namespace: string, id: string): Promise<Computation | null> {
    this.#backend.assertOpen?.('computations.get')
    assertNamespace(namespace)
    assertKey(id, 'id')
    return this.#backend.get(namespace, id)
  }

  async getByHash(namespace: string, hash: string): Promise<Computation | null> {
    this.#backend.assertOpen?.('computations.getByHash')
    assertNamespace(namespace)
    assertKey(hash, 'hash')
    return this.#backend.getByHash(namespace, hash)
  }

  async claim(input: ClaimInput): Promise<ClaimResult> {
    this.#backend.assertOpen?.('computations.claim')
    validateClaimInput(input)
    return this.#backend.claim(input)
  }

  async update(
    namespace: string,
    id: string,
    expectedStatus: ComputationStatus,
    patch: ComputationPatch,
  ): Promise<Computation> {
    this.#backend.assertOpen?.('computations.update')
    assertNamespace(namespace)
    assertKey(id, 'id')
    assertComputationStatus(expectedStatus, 'expectedStatus')
    validatePatch(patch)
    return this.#backend.update(namespace, id, expectedStatus, patch)
  }

  async heartbeat(namespace: string, id: string, input: HeartbeatInput): Promise<Computation> {
    this.#backend.assertOpen?.('computations.heartbeat')
    assertNamespace(namespace)
    assertKey(id, 'id')
    validateHeartbeat(input)
    return this.#backend.heartbeat(namespace, id, input)
  }

  async expire(namespace: string, id: string): Promise<Computation | null> {
    this.#backend.assertOpen?.('computations.expire')
    assertNamespace(namespace)
    assertKey(id, 'id')
    return this.#backend.expire(namespace, id)
  }

  async findExpired(options?: { limit?: number }): Promise<Computation[]> {
    this.#backend.assertOpen?.('computations.findExpired')
    return this.#backend.findExpired(normalizeFindExpiredOptions(options).limit)
  }

  async list(query: ComputationQuery): Promise<Page<Computation>> {
    this.#backend.assertOpen?.('computations.list')
    const q = normalizeComputationQuery(query, this.#lists)
    const slice = await this.#backend.list(q)
    const field = q.sort.field
    return pageOf(slice, q, this.#lists.cursors, (r) => [r[field], r.id])
  }

  async delete(namespace: string, id: string): Promise<boolean> {
    this.#backend.assertOpen?.('computations.delete')
    assertNamespace(namespace)
    assertKey(id, 'id')
    return this.#backend.delete(namespace, id)
  }
}

/** How listings page (every Store may pass them through from its own options). */
export interface ListOptions {
  /** `total` is exact up to this many matches, a lower bound above (default 10,000). */
  countLimit?: number
  /** The key cursors are signed with; processes sharing a database should share it. */
  cursorSecret?: string
}

function listPolicy(options: ListOptions): ListPolicy {
  return {
    cursors: new CursorCodec(options.cursorSecret),
    countLimit: options.countLimit ?? DEFAULT_COUNT_LIMIT,
  }
}

export interface GuardedCacheOptions extends ListOptions {
  clock: Clock
  /** Largest encoded value accepted (`capabilities.maxValueBytes`). */
  maxValueBytes: number
  /** How often batched hit counts are written; `0` writes each hit at once. */
  hitFlushMs: number
}

/** The cache half of the guard: validation, the value-size limit and hit accounting, for every backend. */
export class GuardedCacheStore implements CacheStore {
  readonly #backend: CacheBackend
  readonly #options: GuardedCacheOptions
  readonly #lists: ListPolicy
  readonly #hits: HitCounter

  /** Present when the backend can store an entry and finish its fill run in one atomic step. */
  readonly setAndFinish?: (entry: NewCacheEntry, runId: string) => Promise<FillFinished | null>

  constructor(backend: CacheBackend, options: GuardedCacheOptions) {
    this.#backend = backend
    this.#options = options
    this.#lists = listPolicy(options)
    this.#hits = new HitCounter(backend, options.hitFlushMs)
    const atomic = backend.setAndFinish?.bind(backend)
    if (atomic !== undefined) {
      this.setAndFinish = async (entry, runId) => {
        backend.assertOpen?.('cache.setAndFinish')
        validateNewCacheEntry(entry)
        assertKey(runId, 'runId')
        assertValueSize(utf8Length(entry.value), options.maxValueBytes)
        const done = await atomic(entry, runId)
        if (done !== null) this.#hits.forget(done.meta.namespace, done.meta.key)
        return done
      }
    }
  }

  /** Hits counted and not written yet (diagnostics). */
  get pendingHits(): number {
    return this.#hits.pending
  }

  async get(namespace: string, key: string, options?: CacheGetOptions): Promise<CacheEntry | null> {
    this.#backend.assertOpen?.('cache.get')
    assertNamespace(namespace)
    assertKey(key, 'key')
    validateCacheGetOptions(options)
    const entry = await this.#backend.get(namespace, key)
    if (entry === null || options?.touch === false) return entry
    // The entry returned counts this hit and the ones not written yet, as if hits were immediate.
    const now = this.#options.clock()
    const pending = this.#hits.record(namespace, key, entry.createdAt, now)
    entry.hits += pending.count
    entry.lastHitAt = Math.max(entry.lastHitAt ?? pending.lastHitAt, pending.lastHitAt)
    if (this.#hits.immediate) await this.#hits.flush()
    return entry
  }

  async set(input: NewCacheEntry): Promise<CacheEntryMeta> {
    this.#backend.assertOpen?.('cache.set')
    validateNewCacheEntry(input)
    assertValueSize(utf8Length(input.value), this.#options.maxValueBytes)
    const meta = await this.#backend.set(input)
    this.#hits.forget(meta.namespace, meta.key)
    return meta
  }

  async delete(namespace: string, key: string): Promise<boolean> {
    this.#backend.assertOpen?.('cache.delete')
    assertNamespace(namespace)
    assertKey(key, 'key')
    const deleted = await this.#backend.delete(namespace, key)
    this.#hits.forget(namespace, key)
    return deleted
  }

  async invalidate(namespace: string, criteria: InvalidateCriteria): Promise<number> {
    this.#backend.assertOpen?.('cache.invalidate')
    assertNamespace(namespace)
    validateInvalidateCriteria(criteria)
    return this.#backend.invalidate(namespace, criteria)
  }

  async list(query: CacheQuery): Promise<Page<CacheEntryMeta>> {
    this.#backend.assertOpen?.('cache.list')
    const q = normalizeCacheQuery(query, this.#lists)
    const slice = await this.#backend.list(q)
    const field = q.sort.field
    return pageOf(slice, q, this.#lists.cursors, (e) => [e[field], e.key, e.namespace])
  }

  async stats(namespace: string): Promise<CacheStats> {
    this.#backend.assertOpen?.('cache.stats')
    assertNamespace(namespace)
    return this.#backend.stats(namespace)
  }

  async purgeExpired(): Promise<number> {
    this.#backend.assertOpen?.('cache.purgeExpired')
    return this.#backend.purgeExpired()
  }

  /** Writes the hit counts collected since the last flush. */
  async flush(): Promise<void> {
    this.#backend.assertOpen?.('cache.flush')
    await this.#hits.flush()
  }

  /** Writes what is left of the hit counts and stops the flush timer (the store's `close` calls it). */
  async close(): Promise<void> {
    await this.#hits.close()
  }
}

export interface GuardStoreOptions extends ListOptions {
  /** How often batched cache hit counts are written (default 1000 ms; `0`: at once). */
  hitFlushMs?: number
}

/**
 * A `Store` from a backend: the guard in front of its raw operations (see {@link GuardedComputationStore},
 * {@link GuardedCacheStore}). `close()` writes pending hit counts, then closes the backend; idempotent.
 */
export function guardStore(backend: StoreBackend, options: GuardStoreOptions = {}): Store {
  const computations = new GuardedComputationStore(backend.computations, options)
  const cache = new GuardedCacheStore(backend.cache, {
    ...options,
    clock: backend.clock,
    maxValueBytes: backend.capabilities.maxValueBytes,
    hitFlushMs: options.hitFlushMs ?? 1000,
  })
  let closing: Promise<void> | undefined
  return {
    kind: backend.kind,
    get capabilities(): StoreCapabilities {
      return backend.capabilities
    },
    computations,
    cache,
    ...(backend.queue === undefined
      ? {}
      : {
          queue: new GuardedQueueStore(backend.queue, backend.clock, {
            maxValueBytes: backend.capabilities.maxValueBytes,
            ports: { cache, computations },
          }),
        }),
    ping: (): Promise<PingResult> => backend.ping(),
    close(): Promise<void> {
      closing ??= (async () => {
        await cache.close()
        await backend.close()
      })()
      return closing
    },
  }
}
