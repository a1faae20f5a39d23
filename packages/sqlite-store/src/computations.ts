import {
  type ClaimInput,
  type ClaimResult,
  type Computation,
  type ComputationPatch,
  type ComputationStatus,
  cmError,
  type HeartbeatInput,
  type NewComputation,
  type ResultRef,
} from '@comp-manager/core'
import {
  applyExpiry,
  applyHeartbeat,
  applyPatch,
  buildClaimedComputation,
  buildComputation,
  type ComputationBackend,
  decideClaim,
  isLeaseExpired,
  type ListSlice,
  markLost,
  type NormalizedComputationQuery,
  newId,
  notFound,
  takeQueued,
} from '@comp-manager/core/store-kit'
import type { Statement } from 'better-sqlite3'
import type { Connection } from './connection.js'
import { computationListSql } from './list-queries.js'
import { RowWriter } from './row-writer.js'
import { fromJsonColumn, jsonColumn } from './schema.js'
import type { SqliteStore } from './store.js'

/** A row of `computations`, as better-sqlite3 returns it. */
export interface ComputationRow {
  id: string
  namespace: string
  name: string
  function: string
  function_full: string
  hash: string
  hash_algorithm: string
  attempt: number
  status: ComputationStatus
  pid: number | null
  host: string | null
  owner: string | null
  message: string | null
  error: string | null
  progress: string | null
  result: string | null
  created_at: number
  updated_at: number
  started_at: number | null
  finished_at: number | null
  paused_at: number | null
  heartbeat_at: number | null
  lease_until: number | null
  schema_version: number
  args?: string | null
  checkpoint?: string | null
  active_ms: number
  active_since: number | null
  pause_requested_at: number | null
  priority: number
  run_at: number | null
  max_attempts: number
  worker: string | null
}

export const COLUMNS: readonly (keyof ComputationRow)[] = [
  'id',
  'namespace',
  'name',
  'function',
  'function_full',
  'hash',
  'hash_algorithm',
  'attempt',
  'status',
  'pid',
  'host',
  'owner',
  'message',
  'error',
  'progress',
  'result',
  'created_at',
  'updated_at',
  'started_at',
  'finished_at',
  'paused_at',
  'heartbeat_at',
  'lease_until',
  'schema_version',
  'args',
  'checkpoint',
  'active_ms',
  'active_since',
  'pause_requested_at',
  'priority',
  'run_at',
  'max_attempts',
  'worker',
]

/** The columns of a listing: `args` and `checkpoint` (maybe megabytes) only when asked. */
function listColumns(include: NormalizedComputationQuery['include']): string {
  return COLUMNS.filter(
    (c) => (c !== 'args' || include.args) && (c !== 'checkpoint' || include.checkpoint),
  ).join(', ')
}

export function toRow(c: Computation): ComputationRow {
  return {
    id: c.id,
    namespace: c.namespace,
    name: c.name,
    function: c.function,
    function_full: c.functionFull,
    hash: c.hash,
    hash_algorithm: c.hashAlgorithm,
    attempt: c.attempt,
    status: c.status,
    pid: c.pid,
    host: c.host,
    owner: c.owner,
    message: c.message,
    error: jsonColumn(c.error, 'error'),
    progress: jsonColumn(c.progress, 'progress'),
    result: jsonColumn(c.result, 'result'),
    created_at: c.createdAt,
    updated_at: c.updatedAt,
    started_at: c.startedAt,
    finished_at: c.finishedAt,
    paused_at: c.pausedAt,
    heartbeat_at: c.heartbeatAt,
    lease_until: c.leaseUntil,
    schema_version: c.schemaVersion,
    args: jsonColumn(c.args, 'args'),
    checkpoint: jsonColumn(c.checkpoint, 'checkpoint'),
    active_ms: c.activeMs,
    active_since: c.activeSince,
    pause_requested_at: c.pauseRequestedAt,
    priority: c.priority,
    run_at: c.runAt,
    max_attempts: c.maxAttempts,
    worker: c.worker,
  }
}

export function toRecord(r: ComputationRow): Computation {
  return {
    id: r.id,
    namespace: r.namespace,
    name: r.name,
    function: r.function,
    functionFull: r.function_full,
    args: r.args === undefined ? undefined : fromJsonColumn(r.args),
    hash: r.hash,
    hashAlgorithm: r.hash_algorithm,
    attempt: r.attempt,
    status: r.status,
    pid: r.pid,
    host: r.host,
    owner: r.owner,
    message: r.message,
    error: fromJsonColumn(r.error) as Computation['error'],
    progress: fromJsonColumn(r.progress) as Computation['progress'],
    result: fromJsonColumn(r.result) as Computation['result'],
    checkpoint: r.checkpoint === undefined ? undefined : fromJsonColumn(r.checkpoint),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    pausedAt: r.paused_at,
    heartbeatAt: r.heartbeat_at,
    leaseUntil: r.lease_until,
    activeMs: r.active_ms,
    activeSince: r.active_since,
    pauseRequestedAt: r.pause_requested_at,
    priority: r.priority,
    runAt: r.run_at,
    maxAttempts: r.max_attempts,
    worker: r.worker,
    schemaVersion: r.schema_version,
  }
}

/**
 * The computation backend on the `computations` table (behind core's guard, which validates every input); every read-decide-write is one `BEGIN IMMEDIATE`
 * transaction around the shared record logic of `@comp-manager/core`. Reached as
 * `store.computations` of a {@link SqliteStore}; not constructed directly.
 */
export class SqliteComputationStore implements ComputationBackend {
  readonly #conn: Connection
  readonly #byId: Statement<[string, string], ComputationRow>
  readonly #latest: Statement<[string, string], ComputationRow>
  readonly #rows: RowWriter
  readonly #delete: Statement<[string, string]>
  readonly #expired: Statement<[number, number], ComputationRow>

  constructor(conn: Connection) {
    this.#conn = conn
    const db = conn.db
    this.#byId = db.prepare('SELECT * FROM computations WHERE namespace = ? AND id = ?')
    this.#latest = db.prepare(
      'SELECT * FROM computations WHERE namespace = ? AND hash = ? ORDER BY attempt DESC LIMIT 1',
    )
    this.#rows = new RowWriter(conn)
    this.#delete = db.prepare('DELETE FROM computations WHERE namespace = ? AND id = ?')
    this.#expired = db.prepare(
      `SELECT * FROM computations
       WHERE status IN ('started', 'paused') AND lease_until IS NOT NULL AND lease_until <= ?
       ORDER BY lease_until, id LIMIT ?`,
    )
  }

  #find(namespace: string, id: string): Computation | null {
    const row = this.#byId.get(namespace, id)
    return row === undefined ? null : toRecord(row)
  }

  /** Writes `next` over `before`, the row as read in this transaction (its changed columns only). */
  #save(before: Computation, next: Computation): void {
    this.#rows.update(before, next)
  }

  assertOpen(operation: string): void {
    this.#conn.assertOpen(operation)
  }

  async create(input: NewComputation): Promise<Computation> {
    const now = this.#conn.clock()
    const record = buildComputation(input, { id: newId(now), now })
    const row = toRow(record)
    // Checked, not only left to the unique index: after a delete of attempt 1, a hash can have a
    // later attempt and no attempt 1, and `create` must still refuse it.
    await this.#conn.write('computations.create', () => {
      if (this.#latest.get(input.namespace, input.hash) !== undefined) {
        throw cmError(
          'CM_ERR_DUPLICATE',
          `a computation with hash ${input.hash} already exists in ${input.namespace}`,
          {
            details: { namespace: input.namespace, hash: input.hash },
          },
        )
      }
      this.#rows.insertRow(row)
    })
    return record
  }

  async get(namespace: string, id: string): Promise<Computation | null> {
    return this.#conn.runRead('computations.get', () => this.#find(namespace, id))
  }

  async getByHash(namespace: string, hash: string): Promise<Computation | null> {
    return this.#conn.runRead('computations.getByHash', () => {
      const row = this.#latest.get(namespace, hash)
      return row === undefined ? null : toRecord(row)
    })
  }

  async claim(input: ClaimInput): Promise<ClaimResult> {
    return this.#conn.write('computations.claim', (): ClaimResult => {
      const now = this.#conn.clock()
      const latestRow = this.#latest.get(input.namespace, input.hash)
      const decision = decideClaim(latestRow === undefined ? null : toRecord(latestRow), input, now)
      switch (decision.action) {
        case 'lose':
          return { won: false, record: decision.record }
        case 'take-queued': {
          const record = takeQueued(decision.record, input, now)
          this.#save(decision.record, record)
          return { won: true, record, previous: null }
        }
        case 'insert': {
          let previous = decision.previous
          if (previous !== null && decision.expire) {
            const lost = markLost(previous, now)
            this.#save(previous, lost)
            previous = lost
          }
          const record = buildClaimedComputation(input, { id: newId(now), now, attempt: decision.attempt })
          this.#rows.insert(record)
          return { won: true, record, previous }
        }
      }
    })
  }

  async update(
    namespace: string,
    id: string,
    expectedStatus: ComputationStatus,
    patch: ComputationPatch,
  ): Promise<Computation> {
    return this.#conn.write('computations.update', () => {
      const current = this.#find(namespace, id) ?? notFound('computation', id)
      const next = applyPatch(current, expectedStatus, patch, this.#conn.clock())
      this.#save(current, next)
      return next
    })
  }

  /**
   * `started → finished` with `result`, for `cache.setAndFinish`: the caller holds the write
   * transaction. `null` (nothing written) when the run is absent or no longer `started`.
   */
  finishHeld(namespace: string, id: string, result: ResultRef): Computation | null {
    const current = this.#find(namespace, id)
    if (current === null || current.status !== 'started') return null
    const next = applyPatch(current, 'started', { status: 'finished', result }, this.#conn.clock())
    this.#save(current, next)
    return next
  }

  async heartbeat(namespace: string, id: string, input: HeartbeatInput): Promise<Computation> {
    return this.#conn.write('computations.heartbeat', () => {
      const current = this.#find(namespace, id) ?? notFound('computation', id)
      const next = applyHeartbeat(current, input, this.#conn.clock())
      this.#save(current, next)
      return next
    })
  }

  async expire(namespace: string, id: string): Promise<Computation | null> {
    return this.#conn.write('computations.expire', () => {
      const now = this.#conn.clock()
      const current = this.#find(namespace, id) ?? notFound('computation', id)
      if (!isLeaseExpired(current, now)) return null
      const { max_lost_retries: retries } = this.#conn
        .statement('SELECT max_lost_retries FROM computations WHERE id = ?')
        .get(id) as { max_lost_retries: number | null }
      const { lost, next } = applyExpiry(current, { id: newId(now), now }, retries)
      this.#save(current, lost)
      if (next !== null) this.#rows.insert(next)
      return lost
    })
  }

  async findExpired(limit: number): Promise<Computation[]> {
    const now = this.#conn.clock()
    return this.#conn.run('computations.findExpired', () => this.#expired.all(now, limit).map(toRecord))
  }

  async list(q: NormalizedComputationQuery): Promise<ListSlice<Computation>> {
    const { page, count } = computationListSql(q, listColumns(q.include))
    return this.#conn.read('computations.list', () => {
      const rows = this.#conn.statement(page.sql).all(...page.params) as ComputationRow[]
      const { total } = this.#conn.statement(count.sql).get(...count.params) as { total: number }
      return { rows: rows.map(toRecord), total }
    })
  }

  async delete(namespace: string, id: string): Promise<boolean> {
    return this.#conn.run('computations.delete', () => this.#delete.run(namespace, id).changes > 0)
  }
}
