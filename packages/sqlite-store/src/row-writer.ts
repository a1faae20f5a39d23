import type { Computation } from '@comp-manager/core'
import type { Statement } from 'better-sqlite3'
import { COLUMNS, type ComputationRow, toRow } from './computations.js'
import type { Connection } from './connection.js'
import { jsonColumn } from './schema.js'

/** Each column of `computations` but `id`, the record field it holds, and whether it is JSON text. */
const FIELDS: readonly (readonly [keyof ComputationRow, keyof Computation, boolean])[] = [
  ['namespace', 'namespace', false],
  ['name', 'name', false],
  ['function', 'function', false],
  ['function_full', 'functionFull', false],
  ['hash', 'hash', false],
  ['hash_algorithm', 'hashAlgorithm', false],
  ['attempt', 'attempt', false],
  ['status', 'status', false],
  ['pid', 'pid', false],
  ['host', 'host', false],
  ['owner', 'owner', false],
  ['message', 'message', false],
  ['error', 'error', true],
  ['progress', 'progress', true],
  ['result', 'result', true],
  ['created_at', 'createdAt', false],
  ['updated_at', 'updatedAt', false],
  ['started_at', 'startedAt', false],
  ['finished_at', 'finishedAt', false],
  ['paused_at', 'pausedAt', false],
  ['heartbeat_at', 'heartbeatAt', false],
  ['lease_until', 'leaseUntil', false],
  ['schema_version', 'schemaVersion', false],
  ['args', 'args', true],
  ['checkpoint', 'checkpoint', true],
  ['active_ms', 'activeMs', false],
  ['active_since', 'activeSince', false],
  ['pause_requested_at', 'pauseRequestedAt', false],
  ['priority', 'priority', false],
  ['run_at', 'runAt', false],
  ['max_attempts', 'maxAttempts', false],
  ['worker', 'worker', false],
]

/** Bound on the prepared updates kept (distinct column sets); past it the cache starts over. */
const MAX_UPDATE_STATEMENTS = 64

/** A column outside the record, written with a change (`max_lost_retries` of a claim). */
export type ExtraColumns = Readonly<Record<string, string | number | null>>

/**
 * Writes `computations` rows. An update writes only the columns whose field changed between the
 * record read in the transaction and the next one (fields compared by identity: core's record
 * logic copies the unchanged ones), because SQLite rewrites every index that has a column in the
 * `SET` list, whether or not its value changed: a status change touches the ~10 indexes that hold
 * `status`, `updated_at` or the lease, not all 15, and unchanged JSON fields (`args`, `checkpoint`)
 * are not encoded again. One prepared statement per set of columns (a handful: one per transition).
 */
export class RowWriter {
  readonly #conn: Connection
  readonly #insert: Statement<[ComputationRow]>
  readonly #updates = new Map<string, Statement>()

  constructor(conn: Connection) {
    if (FIELDS.length !== COLUMNS.length - 1)
      throw new Error('sqlite-store: FIELDS must list every column but id')
    this.#conn = conn
    this.#insert = conn.db.prepare(
      `INSERT INTO computations (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map((c) => `@${c}`).join(', ')})`,
    )
  }

  insert(record: Computation): void {
    this.insertRow(toRow(record))
  }

  /** Inserts a row already encoded (so that an encoding error is thrown before the transaction). */
  insertRow(row: ComputationRow): void {
    this.#insert.run(row)
  }

  /** Writes what changed from `before` (the row as read in this transaction) to `next`. */
  update(before: Computation, next: Computation, extra: ExtraColumns = {}): void {
    const columns: string[] = []
    const params: Record<string, unknown> = { id: next.id }
    for (const [column, field, json] of FIELDS) {
      const value = next[field]
      if (Object.is(value, before[field])) continue
      columns.push(column)
      params[column] = json ? jsonColumn(value, column) : value
    }
    for (const [column, value] of Object.entries(extra)) {
      columns.push(column)
      params[column] = value
    }
    if (columns.length === 0) return
    const key = columns.join(',')
    let stmt = this.#updates.get(key)
    if (stmt === undefined) {
      stmt = this.#conn.db.prepare(
        `UPDATE computations SET ${columns.map((c) => `${c} = @${c}`).join(', ')} WHERE id = @id`,
      )
      if (this.#updates.size >= MAX_UPDATE_STATEMENTS) this.#updates.clear()
      this.#updates.set(key, stmt)
    }
    stmt.run(params)
  }
}
