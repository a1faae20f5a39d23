import type { CacheEntry, CacheEntryMeta } from '../domain/schemas.js'
import type { CacheBackend, HitCount, ListSlice } from './backend.js'
import { cloneStored } from './clone.js'
import type { MemoryContext } from './memory-store.js'
import type { CacheStats, InvalidateCriteria, NewCacheEntry } from './ports.js'
import type { NormalizedCacheQuery, SortSpec } from './queries.js'
import { buildCacheEntryMeta, isCacheEntryExpired, sliceOf } from './records.js'

/**
 * The cache backend of `MemoryStore` (behind core's guard, which validates inputs and counts hits; a
 * memory store writes each hit at once). Expired entries stay in memory, invisible to every method,
 * until `purgeExpired` removes them.
 */
export class MemoryCacheStore implements CacheBackend {
  readonly #context: MemoryContext
  /** `namespace → key → entry`. */
  readonly #entries = new Map<string, Map<string, CacheEntry>>()

  constructor(context: MemoryContext) {
    this.#context = context
  }

  assertOpen(): void {
    this.#context.assertOpen()
  }

  async get(namespace: string, key: string): Promise<CacheEntry | null> {
    this.#context.assertOpen()
    const entry = this.#live(namespace, key, this.#context.clock())
    return entry === null ? null : cloneStored(entry)
  }

  async set(input: NewCacheEntry): Promise<CacheEntryMeta> {
    this.#context.assertOpen()
    const meta = buildCacheEntryMeta(input, this.#context.clock())
    let entries = this.#entries.get(meta.namespace)
    if (entries === undefined) this.#entries.set(meta.namespace, (entries = new Map()))
    entries.set(meta.key, { ...cloneStored(meta), value: input.value })
    return cloneStored(meta)
  }

  async delete(namespace: string, key: string): Promise<boolean> {
    this.#context.assertOpen()
    if (this.#live(namespace, key, this.#context.clock()) === null) return false
    this.#entries.get(namespace)?.delete(key)
    return true
  }

  async invalidate(namespace: string, criteria: InvalidateCriteria): Promise<number> {
    this.#context.assertOpen()
    const entries = this.#entries.get(namespace)
    if (entries === undefined) return 0
    const now = this.#context.clock()
    let count = 0
    for (const [key, entry] of entries) {
      if (isCacheEntryExpired(entry, now) || !matchesCriteria(entry, criteria)) continue
      entries.delete(key)
      count++
    }
    return count
  }

  async list(q: NormalizedCacheQuery): Promise<ListSlice<CacheEntryMeta>> {
    this.#context.assertOpen()
    const now = this.#context.clock()
    const matches = q.namespaces
      .flatMap((namespace) => [...(this.#entries.get(namespace)?.values() ?? [])])
      .filter((entry) => !isCacheEntryExpired(entry, now) && matchesQuery(entry, q))
      .sort(bySort(q.sort))
    const field = q.sort.field
    const slice = sliceOf(matches, q, (e) => [e[field], e.key, e.namespace])
    return { rows: slice.rows.map(metaOf), total: slice.total }
  }

  async stats(namespace: string): Promise<CacheStats> {
    this.#context.assertOpen()
    const now = this.#context.clock()
    const stats: CacheStats = { entries: 0, bytes: 0 }
    for (const entry of this.#entries.get(namespace)?.values() ?? []) {
      if (isCacheEntryExpired(entry, now)) continue
      stats.entries++
      stats.bytes += entry.size
    }
    return stats
  }

  async purgeExpired(): Promise<number> {
    this.#context.assertOpen()
    const now = this.#context.clock()
    let count = 0
    for (const entries of this.#entries.values()) {
      for (const [key, entry] of entries) {
        if (!isCacheEntryExpired(entry, now)) continue
        entries.delete(key)
        count++
      }
    }
    return count
  }

  async addHits(hits: readonly HitCount[]): Promise<void> {
    this.#context.assertOpen()
    for (const hit of hits) {
      const entry = this.#entries.get(hit.namespace)?.get(hit.key)
      if (entry === undefined || entry.createdAt !== hit.createdAt) continue
      entry.hits += hit.count
      entry.lastHitAt = Math.max(entry.lastHitAt ?? hit.lastHitAt, hit.lastHitAt)
    }
  }

  /** Forgets everything (on close). */
  clear(): void {
    this.#entries.clear()
  }

  /** The stored entry if it exists and has not expired by `now`, else `null`. */
  #live(namespace: string, key: string, now: number): CacheEntry | null {
    const entry = this.#entries.get(namespace)?.get(key)
    return entry === undefined || isCacheEntryExpired(entry, now) ? null : entry
  }
}

/** A copy of an entry without its value. */
function metaOf(entry: CacheEntry): CacheEntryMeta {
  const { value: _value, ...meta } = entry
  return cloneStored(meta)
}

const matchesFunction = (entry: CacheEntryMeta, name: string): boolean =>
  entry.function === name || entry.functionFull === name

function matchesCriteria(entry: CacheEntryMeta, criteria: InvalidateCriteria): boolean {
  if (criteria.all === true) return true
  return (
    (criteria.function === undefined || matchesFunction(entry, criteria.function)) &&
    (criteria.tag === undefined || entry.tags.includes(criteria.tag)) &&
    (criteria.version === undefined || entry.version === criteria.version)
  )
}

function matchesQuery(entry: CacheEntryMeta, q: NormalizedCacheQuery): boolean {
  return (
    (q.function === undefined || matchesFunction(entry, q.function)) &&
    (q.tag === undefined || entry.tags.includes(q.tag)) &&
    (q.version === undefined || entry.version === q.version)
  )
}

const compare = (a: number | string, b: number | string): number => (a < b ? -1 : a > b ? 1 : 0)

/** Orders by the sort field, ties by `key` then `namespace`, all in the sort's direction. */
function bySort(sort: SortSpec<'createdAt' | 'hits' | 'size'>): (a: CacheEntry, b: CacheEntry) => number {
  const direction = sort.descending ? -1 : 1
  return (a, b) =>
    direction *
    (compare(a[sort.field], b[sort.field]) || compare(a.key, b.key) || compare(a.namespace, b.namespace))
}
