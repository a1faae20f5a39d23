import { cloneStored } from './clone.js'
import type {
  EventLogBackend,
  NewStoreEvent,
  NormalizedEventQuery,
  NormalizedEventRetention,
  StoreEvent,
} from './event-ports.js'
import type { MemoryContext } from './memory-store.js'

/** Whether `event` is one `query` asks for (namespace and every filter given). */
export function matchesEventQuery(event: StoreEvent, query: NormalizedEventQuery): boolean {
  if (!query.namespaces.includes(event.namespace)) return false
  if (query.types !== null && !query.types.includes(event.type)) return false
  if (query.function !== null && event.function !== query.function) return false
  if (query.statuses !== null && (event.status === null || !query.statuses.includes(event.status)))
    return false
  return query.computationId === null || event.computationId === query.computationId
}

/** The MemoryStore's event log: an array in sequence order (events are copies in and out). */
export class MemoryEventLog implements EventLogBackend {
  readonly journaled = { computations: false, cache: false, workers: false } as const
  readonly #ctx: MemoryContext
  #events: StoreEvent[] = []
  #sequence = 0

  constructor(ctx: MemoryContext) {
    this.#ctx = ctx
  }

  assertOpen(): void {
    this.#ctx.assertOpen()
  }

  async append(events: readonly NewStoreEvent[]): Promise<void> {
    this.#ctx.assertOpen()
    for (const e of events) this.#events.push(cloneStored({ ...e, sequence: ++this.#sequence }))
  }

  /** Index of the first event with `sequence > after` (binary search: sequences are sorted). */
  #start(after: number): number {
    let lo = 0
    let hi = this.#events.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.#events[mid]!.sequence <= after) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  async read(query: NormalizedEventQuery): Promise<StoreEvent[]> {
    const out: StoreEvent[] = []
    for (let i = this.#start(query.after); i < this.#events.length && out.length < query.limit; i++) {
      const e = this.#events[i]!
      if (matchesEventQuery(e, query)) out.push(cloneStored(e))
    }
    return out
  }

  async tail(after: number, limit: number): Promise<StoreEvent[]> {
    const start = this.#start(after)
    return this.#events.slice(start, start + limit).map((e) => cloneStored(e))
  }

  async lastSequence(): Promise<number> {
    return this.#sequence
  }

  async prune(r: NormalizedEventRetention): Promise<number> {
    const before = this.#events.length
    let keepFrom = 0
    if (r.olderThan !== null) {
      const olderThan = r.olderThan
      keepFrom = this.#events.findIndex((e) => e.at >= olderThan)
      if (keepFrom < 0) keepFrom = this.#events.length
    }
    if (r.maxCount !== null) keepFrom = Math.max(keepFrom, this.#events.length - r.maxCount)
    this.#events = this.#events.slice(keepFrom)
    return before - this.#events.length
  }

  clear(): void {
    this.#events = []
  }
}
