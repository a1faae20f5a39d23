import type { CacheBackend, HitCount } from './backend.js'

/**
 * Cache hit counts, batched in front of a backend. Writing `hits = hits + 1` on every `get` would turn
 * each cache read into a write (a write transaction on SQLite, a write to the primary on MongoDB).
 * Instead hits are summed in memory per entry and handed to `backend.addHits` every `flushMs`, on
 * `flush()` and on `close()`; the update is additive, so several processes' batches add up. With
 * `flushMs: 0` every hit is written by the `get` that counted it.
 *
 * A process killed between flushes loses at most `flushMs` worth of hit counts, never data.
 */
export class HitCounter {
  readonly #backend: Pick<CacheBackend, 'addHits'>
  readonly #flushMs: number
  #pending = new Map<string, HitCount>()
  #timer: ReturnType<typeof setTimeout> | undefined
  readonly #inflight = new Set<Promise<void>>()
  #closed = false

  constructor(backend: Pick<CacheBackend, 'addHits'>, flushMs: number) {
    this.#backend = backend
    this.#flushMs = flushMs
  }

  /** True when every hit is written at once (`flushMs: 0`). */
  get immediate(): boolean {
    return this.#flushMs === 0
  }

  /** Hits waiting to be written (for tests and diagnostics). */
  get pending(): number {
    let n = 0
    for (const hit of this.#pending.values()) n += hit.count
    return n
  }

  /** Counts one hit of the entry created at `createdAt`; returns the hits of it not written yet. */
  record(namespace: string, key: string, createdAt: number, now: number): Readonly<HitCount> {
    const id = `${namespace}\u0000${key}`
    let hit = this.#pending.get(id)
    if (hit !== undefined && hit.createdAt === createdAt) {
      hit.count++
      if (now > hit.lastHitAt) hit.lastHitAt = now
    } else {
      hit = { namespace, key, createdAt, count: 1, lastHitAt: now }
      this.#pending.set(id, hit)
    }
    if (!this.immediate) this.#schedule()
    return { ...hit }
  }

  /** Drops the pending hits of an entry that was replaced or deleted. */
  forget(namespace: string, key: string): void {
    this.#pending.delete(`${namespace}\u0000${key}`)
  }

  #schedule(): void {
    if (this.#timer !== undefined || this.#closed) return
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      // A failed timed flush keeps its hits (merged back) and tries again later.
      this.flush().catch(() => this.#schedule())
    }, this.#flushMs)
    this.#timer.unref?.()
  }

  /** Writes every pending hit in one `addHits` call (an empty one with nothing pending: a closed backend rejects it). */
  async flush(): Promise<void> {
    if (this.#pending.size === 0) return this.#backend.addHits([])
    const batch = this.#pending
    this.#pending = new Map()
    const write = this.#backend.addHits([...batch.values()]).catch((err: unknown) => {
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

  #mergeBack(batch: Map<string, HitCount>): void {
    for (const [id, hit] of batch) {
      const newer = this.#pending.get(id)
      if (newer === undefined) this.#pending.set(id, hit)
      else if (newer.createdAt === hit.createdAt) {
        newer.count += hit.count
        newer.lastHitAt = Math.max(newer.lastHitAt, hit.lastHitAt)
      }
    }
  }

  /**
   * Waits for running flushes, writes what is left, stops the timer. Hit counts are advisory: a
   * failure here is swallowed rather than making `close()` fail.
   */
  async close(): Promise<void> {
    this.#closed = true
    clearTimeout(this.#timer)
    this.#timer = undefined
    await Promise.allSettled([...this.#inflight])
    await this.flush().catch(() => undefined)
  }
}
