import { Type } from 'typebox'
import { cmError } from '../errors/index.js'
import { defineOptions } from '../options/parse.js'
import { CallbackSchema } from '../options/schema.js'
import { GuardedDocumentStore } from './document-guard.js'
import type { DocumentStore } from './document-ports.js'
import { GuardedEventLog } from './event-guard.js'
import { EventJournal } from './event-journal.js'
import type { EventLogStore } from './event-ports.js'
import { GuardedCacheStore, GuardedComputationStore } from './guard.js'
import { MemoryCacheStore } from './memory-cache-store.js'
import { MemoryComputationStore } from './memory-computation-store.js'
import { MemoryDocumentStore } from './memory-document-store.js'
import { MemoryEventLog } from './memory-event-log.js'
import { MemoryQueueStore } from './memory-queue-store.js'
import {
  type CacheStore,
  type Clock,
  type ComputationStore,
  type PingResult,
  type Store,
  type StoreCapabilities,
  systemClock,
} from './ports.js'
import { GuardedQueueStore } from './queue-guard.js'
import type { QueueStore } from './queue-ports.js'

/** Default largest cache value a `MemoryStore` accepts: 64 MiB of UTF-8. */
export const DEFAULT_MEMORY_MAX_VALUE_BYTES = 64 * 1024 * 1024

/** Options of {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /** Where the store reads the time (epoch ms): timestamps, leases, TTLs. Default `systemClock`. */
  clock?: Clock
  /** Largest encoded cache value accepted, in UTF-8 bytes. Default 64 MiB. */
  maxValueBytes?: number
}

/** What the computation and cache halves of a `MemoryStore` share. @internal */
export interface MemoryContext {
  readonly clock: Clock
  readonly maxValueBytes: number
  /** Throws `CM_ERR_STORE_UNAVAILABLE` once the store is closed. */
  assertOpen(): void
}

/**
 * The reference `Store`: everything in this process's memory, nothing durable. For tests, examples
 * and single-process tools; it is what the other stores are measured against (they all run the same
 * conformance suite, `@comp-manager/store-testkit`).
 *
 * Every method does its read-decide-write without yielding, so concurrent calls in one process are
 * atomic. Records go in and come out as copies: mutating an argument or a result never changes what
 * is stored. After `close()` every method rejects with `CM_ERR_STORE_UNAVAILABLE` and the data is gone.
 *
 * @example
 * const store = new MemoryStore()
 * const { won, record } = await store.computations.claim({ ...call, leaseMs: 30_000 })
 */
export class MemoryStore implements Store {
  readonly kind = 'memory'
  readonly capabilities: StoreCapabilities
  readonly computations: ComputationStore
  readonly cache: CacheStore
  /** The queue port (for `@comp-manager/worker`): jobs of this process only. */
  readonly queue: QueueStore
  /** The event log port: this process's changes, in order (nothing durable). */
  readonly events: EventLogStore
  /** The document port: revisioned JSON state of this process (nothing durable). */
  readonly documents: DocumentStore
  readonly #documents: MemoryDocumentStore
  readonly #computations: MemoryComputationStore
  readonly #queue: MemoryQueueStore
  readonly #cache: MemoryCacheStore
  readonly #events: MemoryEventLog
  readonly #guardedCache: GuardedCacheStore
  #closed = false

  constructor(options: MemoryStoreOptions = {}) {
    const { clock, maxValueBytes } = resolveOptions(options)
    this.capabilities = Object.freeze({ multiProcess: false, multiMachine: false, maxValueBytes })
    const context: MemoryContext = {
      clock,
      maxValueBytes,
      assertOpen: () => {
        if (this.#closed) throw cmError('CM_ERR_STORE_UNAVAILABLE', 'the memory store is closed')
      },
    }
    this.#computations = new MemoryComputationStore(context)
    this.#cache = new MemoryCacheStore(context)
    this.#events = new MemoryEventLog(context)
    const journal = new EventJournal(this.#events, clock)
    this.events = new GuardedEventLog(this.#events, clock)
    this.#documents = new MemoryDocumentStore(context)
    this.documents = new GuardedDocumentStore(this.#documents, clock)
    this.computations = new GuardedComputationStore(journal.computations(this.#computations))
    this.#queue = new MemoryQueueStore(context, this.#computations, this.#cache)
    this.queue = new GuardedQueueStore(journal.queue(this.#queue, true), clock, { maxValueBytes })
    // Every hit is written at once: there is nothing to batch in memory.
    this.cache = this.#guardedCache = new GuardedCacheStore(journal.cache(this.#cache), {
      clock,
      maxValueBytes,
      hitFlushMs: 0,
    })
  }

  /** `{ ok: true }` while open (latency of a no-op), `{ ok: false }` once closed. Never throws. */
  async ping(): Promise<PingResult> {
    const start = performance.now()
    if (this.#closed) return { ok: false, latencyMs: 0, error: 'the memory store is closed' }
    return { ok: true, latencyMs: performance.now() - start }
  }

  /** Drops every record and entry; later calls reject with `CM_ERR_STORE_UNAVAILABLE`. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return
    await this.#guardedCache.close()
    this.#closed = true
    this.#computations.clear()
    this.#queue.clear()
    this.#cache.clear()
    this.#events.clear()
    this.#documents.clear()
  }
}

/** Creates a {@link MemoryStore}. */
export function createMemoryStore(options?: MemoryStoreOptions): MemoryStore {
  return new MemoryStore(options)
}

const MemoryStoreOptionsParser = defineOptions(
  Type.Object(
    {
      clock: Type.Optional(CallbackSchema('a function returning epoch ms')),
      maxValueBytes: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })),
    },
    { additionalProperties: false },
  ),
  { package: '@comp-manager/core', what: 'MemoryStore', optional: true },
)

function resolveOptions(options: MemoryStoreOptions): Required<MemoryStoreOptions> {
  const parsed = MemoryStoreOptionsParser.parse(options)
  return {
    clock: (parsed.clock as Clock | undefined) ?? systemClock,
    maxValueBytes: parsed.maxValueBytes ?? DEFAULT_MEMORY_MAX_VALUE_BYTES,
  }
}
