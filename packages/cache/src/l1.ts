import { LRUCache } from 'lru-cache'
import { estimateHeapBytes, L1_ENTRY_OVERHEAD } from './heap-size.js'
import type { ResolvedL1 } from './options.js'

/** A decoded value held in this process, with what invalidation and expiry need to know. */
export interface L1Entry {
  value: unknown
  function: string
  functionFull: string
  version: string | null
  tags: readonly string[]
  /** When the store wrote the entry (store clock). */
  createdAt: number
  /** The store entry's expiry (`null` = none). */
  expiresAt: number | null
  /** When this copy stops being served here: `min(expiresAt, stored-here + l1.ttl)`. */
  evictAt: number
  /** UTF-8 bytes of the value's codec text. */
  size: number
}

export interface L1Criteria {
  function?: string | undefined
  tag?: string | undefined
  version?: string | null | undefined
  all?: boolean | undefined
}

/**
 * The optional in-process LRU in front of the store (lru-cache, bounded by entries and by the
 * estimated heap bytes of the decoded values).
 * Expiry is checked here against the cache's clock on every read, so an entry is never served past
 * its TTL (nor past `l1.ttl` after it was stored here).
 */
export class L1 {
  readonly #lru: LRUCache<string, L1Entry>
  readonly #ttlMs: number | null

  /** `onEvict`: an entry was pushed out for room (`max` or `maxBytes`), not deleted nor expired. */
  constructor(options: ResolvedL1, onEvict?: (entry: L1Entry) => void) {
    this.#lru = new LRUCache<string, L1Entry>({
      max: options.max,
      maxSize: options.maxBytes,
      ...(onEvict === undefined
        ? {}
        : { dispose: (entry, _key, reason) => reason === 'evict' && onEvict(entry) }),
    })
    this.#ttlMs = options.ttlMs
  }

  get(key: string, now: number): L1Entry | undefined {
    const entry = this.#lru.get(key)
    if (entry === undefined) return undefined
    if (now >= entry.evictAt) {
      this.#lru.delete(key)
      return undefined
    }
    return entry
  }

  set(key: string, entry: Omit<L1Entry, 'evictAt'>, now: number): void {
    const capped = this.#ttlMs === null ? Number.POSITIVE_INFINITY : now + this.#ttlMs
    const evictAt = Math.min(entry.expiresAt ?? Number.POSITIVE_INFINITY, capped)
    if (now >= evictAt) return
    // Counted as the estimated heap the decoded value and its slot take (`heap-size.ts`), not its
    // codec text: a decoded value is several times larger. lru-cache ignores (and evicts any older
    // copy of) an entry larger than maxSize.
    const size = L1_ENTRY_OVERHEAD + estimateHeapBytes(entry.value)
    this.#lru.set(key, { ...entry, evictAt }, { size })
  }

  delete(key: string): boolean {
    return this.#lru.delete(key)
  }

  /** Drops the entries matching every given criterion; returns how many. */
  invalidate(criteria: L1Criteria): number {
    const doomed: string[] = []
    for (const [key, entry] of this.#lru.entries()) {
      if (criteria.all !== true) {
        const fn = criteria.function
        if (fn !== undefined && entry.function !== fn && entry.functionFull !== fn) continue
        if (criteria.tag !== undefined && !entry.tags.includes(criteria.tag)) continue
        if (criteria.version !== undefined && entry.version !== criteria.version) continue
      }
      doomed.push(key)
    }
    for (const key of doomed) this.#lru.delete(key)
    return doomed.length
  }

  /** Drops the entries past their time; returns how many. */
  purge(now: number): number {
    const doomed: string[] = []
    for (const [key, entry] of this.#lru.entries()) if (now >= entry.evictAt) doomed.push(key)
    for (const key of doomed) this.#lru.delete(key)
    return doomed.length
  }

  clear(): void {
    this.#lru.clear()
  }

  get entries(): number {
    return this.#lru.size
  }

  get bytes(): number {
    return this.#lru.calculatedSize
  }
}
