import type { CompleteJob, Computation, EnqueueResult, RecoveredJob, RetryInput } from '@comp-manager/core'
import {
  applyCompletion,
  applyRecovery,
  applyRequeue,
  applyRetry,
  buildJob,
  claimJob,
  decideEnqueue,
  type NormalizedClaimNext,
  type NormalizedNewJob,
  type NormalizedPruneCriteria,
  newId,
  notFound,
  prunedResultEntry,
} from '@comp-manager/core/store-kit'
import type { SqliteCacheStore } from './cache.js'
import { type ComputationRow, toRecord } from './computations.js'
import type { Connection } from './connection.js'
import { type ExtraColumns, RowWriter } from './row-writer.js'
import { type Clause, inNamespaces } from './sql.js'

/**
 * The job half of the queue backend on the `computations` table (migration 3). Every operation is
 * one `BEGIN IMMEDIATE` transaction around core's queue record logic; `claimNext` reads the running
 * counts, picks the first queued row in claim order from the partial index `computations_queue`, and
 * writes it, all under the write lock, so two processes never claim one job. `prune` deletes in
 * batches, one transaction each, so the lock is never held long.
 */
export class SqliteJobs {
  readonly #conn: Connection
  readonly #cache: SqliteCacheStore
  readonly #rows: RowWriter

  constructor(conn: Connection, cache: SqliteCacheStore) {
    this.#conn = conn
    this.#cache = cache
    this.#rows = new RowWriter(conn)
  }

  #find(namespace: string, id: string): Computation | null {
    const row = this.#conn
      .statement('SELECT * FROM computations WHERE namespace = ? AND id = ?')
      .get(namespace, id)
    return row === undefined ? null : toRecord(row as ComputationRow)
  }

  #insert(record: Computation): void {
    this.#rows.insert(record)
  }

  /** Writes `next` over `before`, the row as read in this transaction (its changed columns only). */
  #save(before: Computation, next: Computation, extra?: ExtraColumns): void {
    this.#rows.update(before, next, extra)
  }

  async enqueue(input: NormalizedNewJob): Promise<EnqueueResult> {
    return this.#conn.write('queue.enqueue', (): EnqueueResult => {
      const now = this.#conn.clock()
      const latest = this.#conn
        .statement(
          'SELECT * FROM computations WHERE namespace = ? AND hash = ? ORDER BY attempt DESC LIMIT 1',
        )
        .get(input.namespace, input.hash) as ComputationRow | undefined
      const decision = decideEnqueue(latest === undefined ? null : toRecord(latest), input.rerun)
      if (decision.action === 'join') return { record: decision.record, created: false }
      const record = buildJob(input, { id: newId(now), now, attempt: decision.attempt })
      this.#insert(record)
      return { record, created: true }
    })
  }

  /** Up to `max` claims in one transaction (each re-reads the fleet-wide slots it leaves). */
  async claimBatch(input: NormalizedClaimNext): Promise<Computation[]> {
    const ns = inNamespaces('namespace', input.namespaces)
    // An idle worker polls: a plain read first, so an empty queue never takes the write lock.
    if (!(await this.#conn.run('queue.claimNext', () => this.#anyRunnable(input, ns)))) return []
    return this.#conn.write('queue.claimNext', (): Computation[] => {
      const now = this.#conn.clock()
      const claimed: Computation[] = []
      for (let i = 0; i < input.max; i++) {
        const next = this.#claimOne(input, ns, now)
        if (next === null) break
        claimed.push(next)
      }
      return claimed
    })
  }

  #anyRunnable(input: NormalizedClaimNext, ns: Clause): boolean {
    const row = this.#conn
      .statement(
        `SELECT 1 FROM computations INDEXED BY computations_queue
         WHERE status = 'queued' AND due_at <= ? AND ${ns.sql}
           AND function IN (SELECT value FROM json_each(?)) LIMIT 1`,
      )
      .get(this.#conn.clock(), ...ns.params, JSON.stringify(input.functions))
    return row !== undefined
  }

  #claimOne(input: NormalizedClaimNext, ns: Clause, now: number): Computation | null {
    const open = this.#functionsWithSlots(input, ns.sql, ns.params, now)
    if (open.length === 0) return null
    const row = this.#conn
      .statement(
        `SELECT * FROM computations INDEXED BY computations_queue
         WHERE status = 'queued' AND due_at <= ? AND ${ns.sql}
           AND function IN (SELECT value FROM json_each(?))
         ORDER BY priority DESC, due_at, created_at, id LIMIT 1`,
      )
      .get(now, ...ns.params, JSON.stringify(open)) as ComputationRow | undefined
    if (row === undefined) return null
    const record = toRecord(row)
    const claimed = claimJob(record, input, now)
    // max_lost_retries: kept for `computations.expire` (whoever notices the lease ran out gives the
    // claimer's retries).
    this.#save(record, claimed, { max_lost_retries: input.maxLostRetries })
    return claimed
  }

  /** The claim's functions that have a free fleet-wide slot (inside the claim's transaction). */
  #functionsWithSlots(input: NormalizedClaimNext, nsSql: string, nsParams: (string | number)[], now: number) {
    const limited = input.functions.filter((fn) => input.limits[fn] !== undefined)
    if (limited.length === 0) return input.functions
    const rows = this.#conn
      .statement(
        `SELECT function, count(*) AS running FROM computations
         WHERE status = 'started' AND worker IS NOT NULL AND lease_until > ? AND ${nsSql}
           AND function IN (SELECT value FROM json_each(?))
         GROUP BY function`,
      )
      .all(now, ...nsParams, JSON.stringify(limited)) as { function: string; running: number }[]
    const running = new Map(rows.map((r) => [r.function, r.running]))
    return input.functions.filter(
      (fn) => (running.get(fn) ?? 0) < (input.limits[fn] ?? Number.POSITIVE_INFINITY),
    )
  }

  async retry(
    namespace: string,
    id: string,
    input: RetryInput,
  ): Promise<{ failed: Computation; next: Computation }> {
    return this.#conn.write('queue.retry', () => {
      const now = this.#conn.clock()
      const record = this.#find(namespace, id) ?? notFound('computation', id)
      const result = applyRetry(record, input, { id: newId(now), now })
      this.#save(record, result.failed)
      this.#insert(result.next)
      return result
    })
  }

  /** Every value stored and every record ended in one transaction (`applyCompletion` decides each). */
  async complete(jobs: readonly CompleteJob[]): Promise<(Computation | null)[]> {
    return this.#conn.write('queue.complete', () => {
      const now = this.#conn.clock()
      return jobs.map((job) => {
        const record = this.#find(job.namespace, job.id)
        const planned = record === null ? null : applyCompletion(record, job, now)
        if (record === null || planned === null) return null
        if (planned.entry !== null) this.#cache.writeEntry(planned.entry)
        this.#save(record, planned.finished)
        return planned.finished
      })
    })
  }

  async requeue(
    namespace: string,
    id: string,
    expectedStatus: 'started' | 'paused',
    input: { runAt?: number | null; checkpoint?: unknown } | undefined,
  ): Promise<Computation> {
    return this.#conn.write('queue.requeue', () => {
      const record = this.#find(namespace, id) ?? notFound('computation', id)
      const next = applyRequeue(record, expectedStatus, input, this.#conn.clock())
      this.#save(record, next)
      return next
    })
  }

  async recoverExpired(limit: number, maxLostRetries: number): Promise<RecoveredJob[]> {
    return this.#conn.write('queue.recoverExpired', () => {
      const now = this.#conn.clock()
      const rows = this.#conn
        .statement(
          `SELECT * FROM computations
           WHERE status IN ('started', 'paused') AND lease_until IS NOT NULL AND lease_until <= ?
             AND worker IS NOT NULL
           ORDER BY lease_until, id LIMIT ?`,
        )
        .all(now, limit) as ComputationRow[]
      return rows.map((row) => {
        // The claim's lost retries (`max_lost_retries`) win; the caller's only for a job without one.
        const recorded = (row as { max_lost_retries?: number | null }).max_lost_retries
        const retries = recorded ?? maxLostRetries
        const current = toRecord(row)
        const { lost, next } = applyRecovery(current, retries, { id: newId(now), now })
        this.#save(current, lost)
        if (next !== null) this.#insert(next)
        return { lost, next }
      })
    })
  }

  async prune(c: NormalizedPruneCriteria): Promise<number> {
    const ns = inNamespaces('namespace', c.namespaces)
    const where = [
      ns.sql,
      'status IN (SELECT value FROM json_each(?))',
      ...(c.function === undefined ? [] : ['(function = ? OR function_full = ?)']),
    ].join(' AND ')
    const params = [
      ...ns.params,
      JSON.stringify(c.statuses),
      ...(c.function === undefined ? [] : [c.function, c.function]),
    ]
    const ended = 'coalesce(finished_at, updated_at)'
    const sql = `SELECT id, namespace, hash, result FROM (
        SELECT id, namespace, hash, result, ${ended} AS ended,
          row_number() OVER (PARTITION BY namespace, function ORDER BY ${ended} DESC, id DESC) AS rank
        FROM computations WHERE ${where})
      WHERE rank > ? AND ended < ? LIMIT ?`
    const keep = c.keepLast ?? 0
    const before = c.finishedBefore ?? Number.MAX_SAFE_INTEGER
    let deleted = 0
    for (;;) {
      const batch = await this.#conn.write('queue.prune', () => {
        const rows = this.#conn.statement(sql).all(...params, keep, before, c.batchSize) as {
          id: string
          namespace: string
          hash: string
          result: string | null
        }[]
        for (const row of rows) {
          this.#conn.statement('DELETE FROM computations WHERE id = ?').run(row.id)
          const result = row.result === null ? null : (JSON.parse(row.result) as Computation['result'])
          const entry = prunedResultEntry({ namespace: row.namespace, hash: row.hash, result })
          if (entry !== null) {
            this.#conn
              .statement('DELETE FROM cache_entries WHERE namespace = ? AND key = ?')
              .run(entry.namespace, entry.key)
          }
        }
        return rows.length
      })
      deleted += batch
      if (batch < c.batchSize) return deleted
    }
  }
}
