import type { Schedule, WorkerInfo, WorkerRegistration } from '@comp-manager/core'
import { buildSchedule, buildWorkerInfo, type NormalizedSchedule } from '@comp-manager/core/store-kit'
import type { Connection } from './connection.js'
import { fromJsonColumn, jsonColumn } from './schema.js'

/** The worker registry (`queue_workers`) and repeat schedules (`queue_schedules`) of the queue backend. */
export class SqliteQueueRegistry {
  readonly #conn: Connection

  constructor(conn: Connection) {
    this.#conn = conn
  }

  async registerWorker(info: WorkerRegistration, ttlMs: number): Promise<WorkerInfo> {
    return this.#conn.write('queue.registerWorker', () => {
      const entry = buildWorkerInfo(info, ttlMs, this.#conn.clock())
      this.#conn.statement('DELETE FROM queue_workers WHERE expires_at <= ?').run(entry.lastSeenAt)
      this.#conn
        .statement(
          `INSERT OR REPLACE INTO queue_workers
             (id, namespaces, functions, host, pid, concurrency, running, started_at, version, last_seen_at, expires_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          entry.id,
          JSON.stringify(entry.namespaces),
          JSON.stringify(entry.functions),
          entry.host,
          entry.pid,
          entry.concurrency,
          entry.running,
          entry.startedAt,
          entry.version ?? null,
          entry.lastSeenAt,
          entry.expiresAt,
        )
      return entry
    })
  }

  async unregisterWorker(id: string): Promise<boolean> {
    return this.#conn.run(
      'queue.unregisterWorker',
      () => this.#conn.statement('DELETE FROM queue_workers WHERE id = ?').run(id).changes > 0,
    )
  }

  async listWorkers(namespace: string | undefined): Promise<WorkerInfo[]> {
    const now = this.#conn.clock()
    return this.#conn.run('queue.listWorkers', () => {
      const rows = (
        namespace === undefined
          ? this.#conn.statement('SELECT * FROM queue_workers WHERE expires_at > ? ORDER BY id').all(now)
          : this.#conn
              .statement(
                `SELECT * FROM queue_workers WHERE expires_at > ?
                   AND EXISTS (SELECT 1 FROM json_each(namespaces) WHERE value = ?) ORDER BY id`,
              )
              .all(now, namespace)
      ) as WorkerRow[]
      return rows.map(toWorker)
    })
  }

  async upsertSchedule(input: NormalizedSchedule): Promise<Schedule> {
    return this.#conn.write('queue.upsertSchedule', () => {
      const existing = this.#conn
        .statement('SELECT * FROM queue_schedules WHERE namespace = ? AND name = ?')
        .get(input.namespace, input.name) as ScheduleRow | undefined
      const s = buildSchedule(input, existing === undefined ? null : toSchedule(existing), this.#conn.clock())
      this.#conn
        .statement(
          `INSERT OR REPLACE INTO queue_schedules (namespace, name, function, function_full, args, cron, every_ms,
             tz, next_run_at, priority, max_attempts, created_at, updated_at, last_run_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          s.namespace,
          s.name,
          s.function,
          s.functionFull,
          jsonColumn(s.args, 'args'),
          s.cron,
          s.everyMs,
          s.tz,
          s.nextRunAt,
          s.priority,
          s.maxAttempts,
          s.createdAt,
          s.updatedAt,
          s.lastRunAt,
        )
      return s
    })
  }

  async deleteSchedule(namespace: string, name: string): Promise<boolean> {
    return this.#conn.run(
      'queue.deleteSchedule',
      () =>
        this.#conn
          .statement('DELETE FROM queue_schedules WHERE namespace = ? AND name = ?')
          .run(namespace, name).changes > 0,
    )
  }

  async listSchedules(namespaces: readonly string[]): Promise<Schedule[]> {
    return this.#conn.run('queue.listSchedules', () =>
      (
        this.#conn
          .statement(
            'SELECT * FROM queue_schedules WHERE namespace IN (SELECT value FROM json_each(?)) ORDER BY namespace, name',
          )
          .all(JSON.stringify(namespaces)) as ScheduleRow[]
      ).map(toSchedule),
    )
  }

  async advanceSchedule(
    namespace: string,
    name: string,
    expected: number,
    nextRunAt: number,
  ): Promise<boolean> {
    const now = this.#conn.clock()
    return this.#conn.write(
      'queue.advanceSchedule',
      () =>
        this.#conn
          .statement(
            `UPDATE queue_schedules SET next_run_at = ?, last_run_at = ?, updated_at = ?
             WHERE namespace = ? AND name = ? AND next_run_at = ?`,
          )
          .run(nextRunAt, now, now, namespace, name, expected).changes === 1,
    )
  }

  async dueSchedules(namespaces: readonly string[], limit: number): Promise<Schedule[]> {
    const now = this.#conn.clock()
    return this.#conn.run('queue.dueSchedules', () =>
      (
        this.#conn
          .statement(
            `SELECT * FROM queue_schedules WHERE namespace IN (SELECT value FROM json_each(?)) AND next_run_at <= ?
             ORDER BY next_run_at, namespace, name LIMIT ?`,
          )
          .all(JSON.stringify(namespaces), now, limit) as ScheduleRow[]
      ).map(toSchedule),
    )
  }
}

interface WorkerRow {
  id: string
  namespaces: string
  functions: string
  host: string
  pid: number
  concurrency: number
  running: number
  started_at: number
  version: string | null
  last_seen_at: number
  expires_at: number
}

const toWorker = (r: WorkerRow): WorkerInfo => ({
  id: r.id,
  namespaces: JSON.parse(r.namespaces) as string[],
  functions: JSON.parse(r.functions) as string[],
  host: r.host,
  pid: r.pid,
  concurrency: r.concurrency,
  running: r.running,
  startedAt: r.started_at,
  version: r.version,
  lastSeenAt: r.last_seen_at,
  expiresAt: r.expires_at,
})

interface ScheduleRow {
  namespace: string
  name: string
  function: string
  function_full: string
  args: string | null
  cron: string | null
  every_ms: number | null
  tz: string | null
  next_run_at: number
  priority: number
  max_attempts: number
  created_at: number
  updated_at: number
  last_run_at: number | null
}

const toSchedule = (r: ScheduleRow): Schedule => ({
  namespace: r.namespace,
  name: r.name,
  function: r.function,
  functionFull: r.function_full,
  args: fromJsonColumn(r.args),
  cron: r.cron,
  everyMs: r.every_ms,
  tz: r.tz,
  nextRunAt: r.next_run_at,
  priority: r.priority,
  maxAttempts: r.max_attempts,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  lastRunAt: r.last_run_at,
})
