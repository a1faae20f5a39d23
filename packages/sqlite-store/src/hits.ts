import type { Statement } from 'better-sqlite3'
import type { Connection } from './connection.js'

interface PendingHit {
  namespace: string
  key: string
  /** `created_at` of the entry that was hit: a hit never counts for an entry set after it. */
  createdAt: number
  count: number
  lastHitAt: number
}

/**
 * Cache hit counts, batched. Writing `hits = hits + 1` on every `get` would turn each cache read
 * into a write transaction (and a contended lock across processes). Instead hits are summed in
 * memory per entry and written in one transaction every `hitFlushMs`, on `flush()` and on
 * `close()`. The update is additive (`hits = hits + n`), so several processes' batches add up.
 *
 * A process killed between flushes loses at most `hitFlushMs` worth of hit counts, never data.
 */
export class HitCounter {
  readonly #conn: Connection
  readonly #flushMs: number
  #pending = new Map<string, PendingHit>()
  #timer: NodeJS.Timeout | undefined
  readonly #inflight = new Set<Promise<void>>()
  readonly #update: Statement<[PendingHit]>

  constructor(conn: Connection, flushMs: number) {
    this.#conn = conn
    this.#flushMs = flushMs
    this.#update = conn.db.prepare(
      `UPDATE cache_entries SET hits = hits + @count, last_hit_at = max(coalesce(last_hit_at, @lastHitAt), @lastHitAt)
       WHERE namespace = @namespace AND key = @key AND created_at = @createdAt`,
    )
  }

  /** Hits waiting to be written (for tests and diagnostics). */
  get pending(): number {
    let n = 0
    for (const hit of this.#pending.values()) n += hit.count
    return n
  }

  /** Counts one hit of the entry created at `createdAt`; returns the hits of it not written yet. */
  record(namespace: string, key: string, createdAt: number, now: number): Readonly<PendingHit> {
    const id = `${namespace}\u0000${key}`
    let hit = this.#pending.get(id)
    if (hit !== undefined && hit.createdAt === createdAt) {
      hit.count++
      if (now > hit.lastHitAt) hit.lastHitAt = now
    } else {
      hit = { namespace, key, createdAt, count: 1, lastHitAt: now }
      this.#pending.set(id, hit)
    }
    this.#schedule()
    return hit
  }

  /** Drops the pending hits of an entry that was replaced or deleted. */
  forget(namespace: string, key: string): void {
    this.#pending.delete(`${namespace}\u0000${key}`)
  }

  #schedule(): void {
    if (this.#timer !== undefined || this.#conn.closed) return
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      // A failed timed flush keeps its hits (merged back) and tries again later.
      this.flush().catch(() => this.#schedule())
    }, this.#flushMs)
    this.#timer.unref()
  }

  /** Writes every pending hit in one `BEGIN IMMEDIATE` transaction. */
  async flush(): Promise<void> {
    if (this.#pending.size === 0) return
    const batch = this.#pending
    this.#pending = new Map()
    const write = this.#conn
      .write('cache.flushHits', () => {
        for (const hit of batch.values()) this.#update.run(hit)
      })
      .catch((err: unknown) => {
        this.#mergeBack(batch)
        throw err
      })
    this.#inflight.add(write)
    try {
      await write
    } finally {
      this.#inflight.delete(write)
    }
  }

  #mergeBack(batch: Map<string, PendingHit>): void {
    for (const [id, hit] of batch) {
      const newer = this.#pending.get(id)
      if (newer === undefined) this.#pending.set(id, hit)
      else if (newer.createdAt === hit.createdAt) {
        newer.count += hit.count
        newer.lastHitAt = Math.max(newer.lastHitAt, hit.lastHitAt)
      }
    }
  }

  /** Waits for running flushes, writes what is left, stops the timer. Hit counts are advisory: a
   * failure here is swallowed rather than making `close()` fail. */
  async close(): Promise<void> {
    clearTimeout(this.#timer)
    this.#timer = undefined
    await Promise.allSettled([...this.#inflight])
    await this.flush().catch(() => undefined)
  }
}
