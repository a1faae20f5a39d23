import { type EventLogStore, EventTail, type StoreEvent } from '@comp-manager/core'
import type { L1, L1Criteria } from './l1.js'

/** How long a remote invalidation keeps a copy read just before it out of the L1. */
const RECENT_MS = 10_000
const MAX_RECENT = 1000

interface Recent {
  at: number
  key: string | null
  criteria: L1Criteria | null
}

interface EntryFacts {
  key: string
  function: string
  functionFull: string
  version: string | null
  tags: readonly string[]
  createdAt: number
}

const matches = (c: L1Criteria, e: EntryFacts): boolean =>
  c.all === true ||
  ((c.function === undefined || e.function === c.function || e.functionFull === c.function) &&
    (c.tag === undefined || e.tags.includes(c.tag)) &&
    (c.version === undefined || e.version === c.version))

/**
 * Fleet-wide L1 coherence: follows the store's event log (`store.events`, a cheap poll of its last
 * sequence every `syncMs`) and drops from this process's L1 the keys another process deleted or
 * invalidated. A value read from the store just before such a change, and remembered just after the
 * event arrived, is not kept either: the last {@link RECENT_MS} of changes are checked against the
 * entry's `createdAt` when it is remembered.
 */
export class L1Coherence {
  readonly #l1: L1
  readonly #namespace: string
  readonly #tail: EventTail
  readonly #recent: Recent[] = []
  /** Remote drops seen (tests, stats). */
  dropped = 0

  constructor(
    log: EventLogStore,
    l1: L1,
    namespace: string,
    syncMs: number,
    onError: (err: unknown) => void,
  ) {
    this.#l1 = l1
    this.#namespace = namespace
    this.#tail = new EventTail(log, { pollMs: syncMs, onError })
    this.#tail.subscribe((events) => this.#apply(events))
  }

  start(): Promise<void> {
    return this.#tail.start()
  }

  #apply(events: readonly StoreEvent[]): void {
    for (const e of events) {
      if (e.namespace !== this.#namespace) continue
      if (e.type === 'cache.deleted' && typeof e.data.key === 'string') {
        this.drop({ key: e.data.key }, e.at)
      } else if (
        e.type === 'cache.invalidated' &&
        typeof e.data.criteria === 'object' &&
        e.data.criteria !== null
      ) {
        this.drop({ criteria: e.data.criteria as L1Criteria }, e.at)
      }
    }
  }

  /**
   * Drops from the L1 what another process deleted (`key`) or invalidated (`criteria`) at `at`, and
   * remembers it (see {@link outdated}). From the event log, or earlier from the Redis accelerator.
   */
  drop(change: { key: string } | { criteria: L1Criteria }, at: number): void {
    if ('key' in change) {
      if (this.#l1.delete(change.key)) this.dropped++
      this.#remember({ at, key: change.key, criteria: null })
    } else {
      this.dropped += this.#l1.invalidate(change.criteria)
      this.#remember({ at, key: null, criteria: change.criteria })
    }
  }

  #remember(change: Recent): void {
    this.#recent.push(change)
    const horizon = change.at - RECENT_MS
    while (
      this.#recent.length > MAX_RECENT ||
      (this.#recent[0] !== undefined && this.#recent[0].at < horizon)
    )
      this.#recent.shift()
  }

  /** Whether a change seen here removed this entry after it was written (so its copy is stale). */
  outdated(entry: EntryFacts): boolean {
    for (const r of this.#recent) {
      if (r.at < entry.createdAt) continue
      if (r.key !== null ? r.key === entry.key : r.criteria !== null && matches(r.criteria, entry))
        return true
    }
    return false
  }

  stop(): Promise<void> {
    return this.#tail.stop()
  }
}
