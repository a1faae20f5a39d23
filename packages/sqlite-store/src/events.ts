import type { ComputationStatus, EventType, NewStoreEvent, StoreEvent } from '@comp-manager/core'
import type {
  EventLogBackend,
  NormalizedEventQuery,
  NormalizedEventRetention,
} from '@comp-manager/core/store-kit'
import type { Statement } from 'better-sqlite3'
import type { Connection } from './connection.js'

interface EventRow {
  sequence: number
  type: EventType
  namespace: string
  at: number
  computation_id: string | null
  function: string | null
  status: ComputationStatus | null
  data: string
}

const toEvent = (r: EventRow): StoreEvent => ({
  sequence: r.sequence,
  type: r.type,
  namespace: r.namespace,
  at: r.at,
  computationId: r.computation_id,
  function: r.function,
  status: r.status,
  data: JSON.parse(r.data) as Record<string, unknown>,
})

const marks = (n: number): string => Array.from({ length: n }, () => '?').join(', ')

/**
 * The event log on the `events` table (schema version 5). Computation events are appended by the
 * table's triggers and cache events by `SqliteCacheStore` with {@link SqliteEventLog.appendNow}, both
 * inside the change's `BEGIN IMMEDIATE` transaction; only the worker registry's events come through
 * core's journal (`append`). Sequences are committed in order (one writer at a time), so a reader
 * never sees a later sequence before an earlier one.
 */
export class SqliteEventLog implements EventLogBackend {
  readonly journaled = { computations: true, cache: true, workers: false } as const
  readonly #conn: Connection
  readonly #insert: Statement
  readonly #tail: Statement<[number, number], EventRow>
  readonly #last: Statement<[], { seq: number }>
  readonly #oldest: Statement<[number], { sequence: number; at: number }>
  readonly #deleteThrough: Statement<[number]>

  constructor(conn: Connection) {
    this.#conn = conn
    const db = conn.db
    this.#insert = db.prepare(
      `INSERT INTO events (type, namespace, at, computation_id, function, status, data)
       VALUES (@type, @namespace, @at, @computationId, @function, @status, @data)`,
    )
    this.#tail = db.prepare('SELECT * FROM events WHERE sequence > ? ORDER BY sequence LIMIT ?')
    this.#last = db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'events'")
    this.#oldest = db.prepare('SELECT sequence, at FROM events ORDER BY sequence LIMIT ?')
    this.#deleteThrough = db.prepare('DELETE FROM events WHERE sequence <= ?')
  }

  assertOpen(operation: string): void {
    this.#conn.assertOpen(operation)
  }

  /** Appends inside the caller's transaction (no transaction of its own). */
  appendNow(events: readonly NewStoreEvent[]): void {
    for (const e of events) this.#insert.run({ ...e, data: JSON.stringify(e.data) })
  }

  async append(events: readonly NewStoreEvent[]): Promise<void> {
    if (events.length === 0) return
    await this.#conn.write('events.append', () => this.appendNow(events))
  }

  async read(q: NormalizedEventQuery): Promise<StoreEvent[]> {
    const where = ['sequence > ?', `namespace IN (${marks(q.namespaces.length)})`]
    const params: unknown[] = [q.after, ...q.namespaces]
    if (q.types !== null) {
      where.push(`type IN (${marks(q.types.length)})`)
      params.push(...q.types)
    }
    if (q.function !== null) {
      where.push('function = ?')
      params.push(q.function)
    }
    if (q.statuses !== null) {
      where.push(`status IN (${marks(q.statuses.length)})`)
      params.push(...q.statuses)
    }
    if (q.computationId !== null) {
      where.push('computation_id = ?')
      params.push(q.computationId)
    }
    const sql = `SELECT * FROM events WHERE ${where.join(' AND ')} ORDER BY sequence LIMIT ?`
    return this.#conn.run('events.read', () =>
      (this.#conn.statement(sql).all(...params, q.limit) as EventRow[]).map(toEvent),
    )
  }

  async tail(after: number, limit: number): Promise<StoreEvent[]> {
    return this.#conn.run('events.tail', () => this.#tail.all(after, limit).map(toEvent))
  }

  async lastSequence(): Promise<number> {
    return this.#conn.run('events.lastSequence', () => this.#last.get()?.seq ?? 0)
  }

  /** Oldest first, one batch per transaction: by count, then by age (stops at the first young event). */
  async prune(r: NormalizedEventRetention): Promise<number> {
    let deleted = 0
    for (;;) {
      const n = await this.#conn.write('events.prune', () => this.#pruneBatch(r))
      deleted += n
      if (n < r.batchSize) return deleted
    }
  }

  #pruneBatch(r: NormalizedEventRetention): number {
    let countBound = 0
    if (r.maxCount !== null) {
      const row = this.#conn
        .statement('SELECT sequence FROM events ORDER BY sequence DESC LIMIT 1 OFFSET ?')
        .get(r.maxCount) as { sequence: number } | undefined
      countBound = row?.sequence ?? 0
    }
    const olderThan = r.olderThan ?? Number.NEGATIVE_INFINITY
    let last = 0
    for (const e of this.#oldest.all(r.batchSize)) {
      if (e.sequence > countBound && e.at >= olderThan) break
      last = e.sequence
    }
    return last === 0 ? 0 : this.#deleteThrough.run(last).changes
  }
}
