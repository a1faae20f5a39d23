import type { ComputationStatus, EventType, NewStoreEvent, StoreEvent } from '@comp-manager/core'
import type {
  EventLogBackend,
  NormalizedEventQuery,
  NormalizedEventRetention,
} from '@comp-manager/core/store-kit'
import type { Collection, Document, Filter } from 'mongodb'
import { PRIMARY, type StoreContext } from './context.js'

/**
 * A gap in the sequence younger than this is an append in flight (its sequence taken from the
 * counter, its document not yet inserted): readers stop before it. Older, it is an append that will
 * never land (the process died between the two steps) and readers pass it.
 */
export const EVENT_GAP_GRACE_MS = 10_000
/** How many sequences after a reader's position are checked for gaps in one read. */
const HORIZON_SCAN = 10_000
const COUNTER_ID = 'events'

interface EventDocument {
  _id: number
  type: EventType
  namespace: string
  at: number
  computationId: string | null
  function: string | null
  status: ComputationStatus | null
  data: Record<string, unknown>
}

const toEvent = (d: EventDocument): StoreEvent => ({
  sequence: d._id,
  type: d.type,
  namespace: d.namespace,
  at: d.at,
  computationId: d.computationId,
  function: d.function,
  status: d.status,
  data: d.data,
})

/**
 * The event log on MongoDB: one document per event (`_id` = its sequence) and a counter document
 * that hands out sequences (`$inc` by the batch size, so one round trip per batch). Without
 * transactions an append is two steps after the change (see the README's "Event log" section):
 * sequences are taken in order but may be inserted out of order by concurrent appenders, so a read
 * never goes past a gap younger than {@link EVENT_GAP_GRACE_MS}: nothing is skipped by a reader.
 */
export class MongoEventLog implements EventLogBackend {
  readonly journaled = { computations: false, cache: false, workers: false } as const
  readonly #ctx: StoreContext
  readonly #events: Collection<EventDocument>
  readonly #counters: Collection<{ _id: string; seq: number; prunedThrough?: number }>

  constructor(ctx: StoreContext, events: Collection<Document>, counters: Collection<Document>) {
    this.#ctx = ctx
    this.#events = events as unknown as Collection<EventDocument>
    this.#counters = counters as unknown as Collection<{ _id: string; seq: number; prunedThrough?: number }>
  }

  assertOpen(): void {
    this.#ctx.assertOpen()
  }

  async append(events: readonly NewStoreEvent[]): Promise<void> {
    if (events.length === 0) return
    await this.#ctx.run('events.append', async () => {
      const counter = await this.#takeSequences(events.length)
      const first = (counter?.seq ?? events.length) - events.length + 1
      await this.#events.insertMany(
        events.map((e, i) => ({ _id: first + i, ...e })),
        { ordered: true },
      )
    })
  }

  /**
   * `$inc` of the counter by `n`. The first appends of a fresh database upsert the counter document
   * concurrently: all but one fail with a duplicate key (11000) and simply try again (it exists then).
   */
  async #takeSequences(n: number): Promise<{ seq: number } | null> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#counters.findOneAndUpdate(
          { _id: COUNTER_ID },
          { $inc: { seq: n } },
          { upsert: true, returnDocument: 'after' },
        )
      } catch (err) {
        if ((err as { code?: unknown }).code !== 11000 || attempt >= 5) throw err
      }
    }
  }

  /** The highest sequence up to which every event after `after` is readable (or a settled gap). */
  async #horizon(position: number): Promise<number> {
    const now = this.#ctx.clock()
    // Sequences up to `prunedThrough` are gone on purpose: not gaps to wait for.
    const counter = await this.#counters.findOne({ _id: COUNTER_ID }, PRIMARY)
    const after = Math.max(position, counter?.prunedThrough ?? 0)
    const ids = await this.#events
      .find({ _id: { $gt: after } }, { projection: { _id: 1, at: 1 }, ...PRIMARY })
      .sort({ _id: 1 })
      .limit(HORIZON_SCAN)
      .toArray()
    let horizon = after
    for (const d of ids) {
      if (d._id !== horizon + 1 && now - d.at < EVENT_GAP_GRACE_MS) break
      horizon = d._id
    }
    return horizon
  }

  async read(q: NormalizedEventQuery): Promise<StoreEvent[]> {
    return this.#ctx.run('events.read', async () => {
      const horizon = await this.#horizon(q.after)
      if (horizon === q.after) return []
      const filter: Filter<EventDocument> = {
        _id: { $gt: q.after, $lte: horizon },
        namespace: { $in: [...q.namespaces] },
      }
      if (q.types !== null) filter.type = { $in: [...q.types] }
      if (q.function !== null) filter.function = q.function
      if (q.statuses !== null) filter.status = { $in: [...q.statuses] }
      if (q.computationId !== null) filter.computationId = q.computationId
      const docs = await this.#events.find(filter, PRIMARY).sort({ _id: 1 }).limit(q.limit).toArray()
      return docs.map(toEvent)
    })
  }

  async tail(after: number, limit: number): Promise<StoreEvent[]> {
    return this.#ctx.run('events.tail', async () => {
      const horizon = await this.#horizon(after)
      if (horizon === after) return []
      const docs = await this.#events
        .find({ _id: { $gt: after, $lte: horizon } }, PRIMARY)
        .sort({ _id: 1 })
        .limit(limit)
        .toArray()
      return docs.map(toEvent)
    })
  }

  async lastSequence(): Promise<number> {
    return this.#ctx.run('events.lastSequence', async () => {
      const counter = await this.#counters.findOne({ _id: COUNTER_ID }, PRIMARY)
      return counter?.seq ?? 0
    })
  }

  async prune(r: NormalizedEventRetention): Promise<number> {
    return this.#ctx.run('events.prune', async () => {
      let deleted = 0
      for (;;) {
        const n = await this.#pruneBatch(r)
        deleted += n
        if (n < r.batchSize) return deleted
      }
    })
  }

  async #pruneBatch(r: NormalizedEventRetention): Promise<number> {
    let countBound = 0
    if (r.maxCount !== null) {
      const [row] = await this.#events
        .find({}, { projection: { _id: 1 }, ...PRIMARY })
        .sort({ _id: -1 })
        .skip(r.maxCount)
        .limit(1)
        .toArray()
      countBound = row?._id ?? 0
    }
    const olderThan = r.olderThan ?? Number.NEGATIVE_INFINITY
    const oldest = await this.#events
      .find({}, { projection: { _id: 1, at: 1 }, ...PRIMARY })
      .sort({ _id: 1 })
      .limit(r.batchSize)
      .toArray()
    let last = 0
    for (const e of oldest) {
      if (e._id > countBound && e.at >= olderThan) break
      last = e._id
    }
    if (last === 0) return 0
    await this.#counters.updateOne({ _id: COUNTER_ID }, { $max: { prunedThrough: last } }, { upsert: true })
    const result = await this.#events.deleteMany({ _id: { $lte: last } })
    return result.deletedCount
  }
}
