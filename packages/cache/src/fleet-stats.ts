/**
 * Fleet-wide cache counters. Each cache instance counts its hits, misses, stale hits, fills (fill
 * runs it executed), fill time and L1 evictions, in total and per function, and writes them in
 * batches — every `statsFlushMs`, on `flushStats()` and on `close()` — as one document of the store's
 * document port (`store.documents`, kind `cache.stats`, id of this instance). The counters in a
 * document are cumulative and only its instance writes it, so a flush is one replace by revision and
 * the fleet's totals are the sum of every instance's document: exact after each one flushed. A process
 * killed between flushes loses at most `statsFlushMs` of counts, never data.
 */
import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import type { DocumentStore } from '@comp-manager/core'

export const STATS_KIND = 'cache.stats'
/** Functions counted per instance; calls of more are counted in the totals only. */
export const MAX_STAT_FUNCTIONS = 500

export interface StatCounters {
  hits: number
  misses: number
  staleHits: number
  fills: number
  evictions: number
  /** Milliseconds spent in fill runs. */
  fillTimeMs: number
}

export type StatField = keyof StatCounters

/** What `cache.fleetStats()` returns: every instance's counters in the namespace, summed. */
export interface FleetStatsResult extends StatCounters {
  /** Instances that wrote counters (since the store holds them). */
  processes: number
  hitRate: number
  /** Per function, by name. */
  functions: Record<string, StatCounters>
}

const zero = (): StatCounters => ({ hits: 0, misses: 0, staleHits: 0, fills: 0, evictions: 0, fillTimeMs: 0 })

function addInto(target: StatCounters, source: Partial<StatCounters>): void {
  for (const k of Object.keys(target) as StatField[]) {
    const v = source[k]
    if (typeof v === 'number' && Number.isFinite(v)) target[k] += v
  }
}

export class FleetStats {
  readonly id = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`
  readonly #docs: DocumentStore | undefined
  readonly #namespace: string
  readonly #flushMs: number
  readonly #onError: (err: unknown) => void
  readonly #totals = zero()
  readonly #functions = new Map<string, StatCounters>()
  readonly #startedAt = Date.now()
  #rev: number | null = null
  #dirty = false
  #timer: ReturnType<typeof setTimeout> | undefined
  #flushing: Promise<void> | undefined

  constructor(
    docs: DocumentStore | undefined,
    namespace: string,
    flushMs: number,
    onError: (err: unknown) => void,
  ) {
    this.#docs = docs
    this.#namespace = namespace
    this.#flushMs = flushMs
    this.#onError = onError
  }

  /** This instance's counters since it started. */
  get local(): Readonly<StatCounters> {
    return this.#totals
  }

  add(fn: string | undefined, field: StatField, n = 1): void {
    this.#totals[field] += n
    if (fn !== undefined) {
      let counters = this.#functions.get(fn)
      if (counters === undefined && this.#functions.size < MAX_STAT_FUNCTIONS) {
        counters = zero()
        this.#functions.set(fn, counters)
      }
      if (counters !== undefined) counters[field] += n
    }
    this.#dirty = true
    this.#schedule()
  }

  #schedule(): void {
    if (this.#timer !== undefined || this.#docs === undefined || this.#flushMs === 0) return
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      this.flush().catch(this.#onError)
    }, this.#flushMs)
    this.#timer.unref?.()
  }

  /** Writes this instance's counters now (one at a time). */
  async flush(): Promise<void> {
    while (this.#flushing !== undefined) await this.#flushing
    if (!this.#dirty || this.#docs === undefined) return
    this.#flushing = this.#write(this.#docs).finally(() => {
      this.#flushing = undefined
    })
    await this.#flushing
  }

  async #write(docs: DocumentStore): Promise<void> {
    this.#dirty = false
    const data = {
      host: hostname(),
      pid: process.pid,
      startedAt: this.#startedAt,
      totals: { ...this.#totals },
      functions: Object.fromEntries(this.#functions),
    }
    const input = { kind: STATS_KIND, namespace: this.#namespace, id: this.id, data }
    try {
      this.#rev = (await docs.put(input, this.#rev)).rev
    } catch (err) {
      this.#dirty = true
      if ((err as { code?: unknown }).code !== 'CM_ERR_CONFLICT') throw err
      // Our document was deleted or rewritten by someone else: take its revision and write ours.
      const current = await docs.get(STATS_KIND, this.#namespace, this.id)
      this.#rev = (await docs.put(input, current?.rev ?? null)).rev
      this.#dirty = false
    }
  }

  /** Flushes, then sums every instance's document of the namespace; `null` without a document port. */
  async read(): Promise<FleetStatsResult | null> {
    if (this.#docs === undefined) return null
    await this.flush()
    const totals = zero()
    const functions: Record<string, StatCounters> = {}
    let processes = 0
    let after: { namespace: string; id: string } | undefined
    for (;;) {
      const page = await this.#docs.list(STATS_KIND, {
        namespace: this.#namespace,
        ...(after ? { after } : {}),
      })
      for (const doc of page) {
        processes++
        addInto(totals, (doc.data.totals ?? {}) as Partial<StatCounters>)
        for (const [fn, c] of Object.entries(
          (doc.data.functions ?? {}) as Record<string, Partial<StatCounters>>,
        )) {
          functions[fn] ??= zero()
          addInto(functions[fn]!, c)
        }
      }
      if (page.length < 1000) break
      after = { namespace: page.at(-1)!.namespace, id: page.at(-1)!.id }
    }
    const lookups = totals.hits + totals.staleHits + totals.misses
    return {
      ...totals,
      processes,
      hitRate: lookups === 0 ? 0 : (totals.hits + totals.staleHits) / lookups,
      functions,
    }
  }

  async close(): Promise<void> {
    clearTimeout(this.#timer)
    this.#timer = undefined
    await this.flush().catch(this.#onError)
  }
}
