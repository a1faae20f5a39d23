import { cmError, describeType } from '../errors/index.js'
import { MemoryCacheStore } from './memory-cache-store.js'
import { MemoryComputationStore } from './memory-computation-store.js'
import {
  type CacheStore,
  type Clock,
  type ComputationStore,
  type PingResult,
  type Store,
  type StoreCapabilities,
  systemClock,
} from './ports.js'

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
  readonly #computations: MemoryComputationStore
  readonly #cache: MemoryCacheStore
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
    this.computations = this.#computations = new MemoryComputationStore(context)
    this.cache = this.#cache = new MemoryCacheStore(context)
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
    this.#closed = true
    this.#computations.clear()
    this.#cache.clear()
  }
}

/** Creates a {@link MemoryStore}. */
export function createMemoryStore(options?: MemoryStoreOptions): MemoryStore {
  return new MemoryStore(options)
}

function resolveOptions(options: MemoryStoreOptions): Required<MemoryStoreOptions> {
  if (typeof options !== 'object' || options === null) {
    throw cmError(
      'CM_ERR_INVALID_ARGUMENT',
      `MemoryStore options must be an object, got ${describeType(options)}`,
    )
  }
  const clock = options.clock ?? systemClock
  if (typeof clock !== 'function') {
    throw cmError(
      'CM_ERR_INVALID_ARGUMENT',
      `MemoryStore option \`clock\` must be a function returning epoch ms`,
      {
        details: { field: 'clock' },
      },
    )
  }
  const maxValueBytes = options.maxValueBytes ?? DEFAULT_MEMORY_MAX_VALUE_BYTES
  if (!Number.isSafeInteger(maxValueBytes) || maxValueBytes < 1) {
    throw cmError(
      'CM_ERR_INVALID_ARGUMENT',
      'MemoryStore option `maxValueBytes` must be a positive integer',
      {
        details: { field: 'maxValueBytes' },
      },
    )
  }
  return { clock, maxValueBytes }
}
