import { mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { type Clock, cmError } from '@comp-manager/core'
import Sqlite, { type Database, type Statement } from 'better-sqlite3'
import { isBusy, sqliteCode, toStoreError, withBusyRetry } from './errors.js'
import { type FaultState, FileIdentity, faultError, faultMessage, faultOfCode } from './faults.js'
import { migrate } from './migrations.js'
import type { ResolvedOptions } from './options.js'

/**
 * The connection's own `busy_timeout` once the store is open: long enough to absorb the usual
 * millisecond-long write locks without a retry, short enough that the synchronous wait never
 * stalls the event loop noticeably. Longer waits are retried asynchronously (`withBusyRetry`).
 */
export const SHORT_BUSY_TIMEOUT_MS = 30

const MAX_CACHED_STATEMENTS = 64

/**
 * How often a read checks that the path still names the opened file (a `stat`, ~2 µs of a ~50 µs
 * request). Writes check before every write: nothing is acknowledged into a deleted or replaced
 * file; a read may serve the opened file for at most this long after it was replaced.
 */
export const READ_FILE_CHECK_MS = 100

/**
 * One better-sqlite3 connection and the way every store operation uses it: a closed check, busy
 * retries, error mapping, and `BEGIN IMMEDIATE` transactions for read-decide-write steps.
 */
export class Connection {
  /** @internal */
  readonly db: Database
  readonly clock: Clock
  readonly busyTimeoutMs: number
  /** True when the store opened the connection (and so closes it). */
  readonly owned: boolean
  #closed = false
  /** The file as opened: a write to a deleted or replaced file is refused. */
  readonly #file: FileIdentity | undefined
  /** The last fault of the file (disk full, read-only, I/O…), until a write succeeds again. */
  #fault: FaultState | undefined
  readonly #dynamic = new Map<string, Statement>()
  /** One trampoline per mode, built once: `tx.immediate(step)` runs `step` in BEGIN IMMEDIATE. */
  readonly #tx: ReturnType<Database['transaction']>

  private constructor(db: Database, owned: boolean, options: ResolvedOptions) {
    this.db = db
    this.owned = owned
    this.clock = options.clock
    this.busyTimeoutMs = options.busyTimeoutMs
    this.#tx = db.transaction((step: () => unknown) => step())
    this.#file = db.memory ? undefined : FileIdentity.of(db.name)
  }

  /** The fault in force, if any (`moved` is checked now; the others are what the last write met). */
  get fault(): FaultState | undefined {
    if (this.#file !== undefined && !this.#file.intact()) {
      this.#fault = { fault: 'moved', message: faultMessage('moved'), sqliteCode: undefined }
    }
    return this.#fault
  }

  /** Clears a recorded fault after `probe` (a write) succeeded; a moved file stays a fault. */
  cleared(): void {
    if (this.#fault?.fault !== 'moved') this.#fault = undefined
  }

  /** Maps a failure, recording it when it is a fault of the file rather than of the request. */
  #failure(err: unknown, operation: string): Error {
    // withBusyRetry has already mapped its error: the driver's is its cause.
    const code = sqliteCode(err) ?? sqliteCode((err as { cause?: unknown } | null)?.cause)
    const fault = faultOfCode(code)
    if (fault === undefined) return toStoreError(err, operation)
    this.#fault = { fault, message: faultMessage(fault), sqliteCode: code }
    return faultError(operation, this.#fault, err)
  }

  /** Refuses to work on a file that is not the one opened (deleted or replaced). */
  #assertFile(operation: string): void {
    const fault = this.fault
    if (fault?.fault === 'moved') throw faultError(operation, fault)
    this.#fileCheckedAt = performance.now()
  }

  #fileCheckedAt = Number.NEGATIVE_INFINITY

  /** {@link #assertFile} for reads: at most every {@link READ_FILE_CHECK_MS} (a known move at once). */
  #assertFileForRead(operation: string): void {
    if (this.#fault?.fault === 'moved') throw faultError(operation, this.#fault)
    if (performance.now() - this.#fileCheckedAt >= READ_FILE_CHECK_MS) this.#assertFile(operation)
  }

  /**
   * Opens (or adopts) the database, sets WAL + `synchronous = NORMAL` + `temp_store = MEMORY`, and
   * migrates the schema.
   * Opening happens once, before the store serves anything, so it waits for other processes'
   * locks synchronously (SQLite's busy handler, up to `busyTimeoutMs`).
   */
  static open(options: ResolvedOptions): Connection {
    let db = options.database as Database | undefined
    const owned = db === undefined
    try {
      if (db === undefined) {
        if (options.path !== ':memory:') {
          try {
            mkdirSync(dirname(resolve(options.path)), { recursive: true })
          } catch (err) {
            throw cmError(
              'CM_ERR_STORE_UNAVAILABLE',
              `sqlite-store: cannot create the directory of \`path\` ${options.path}: ${(err as Error).message}`,
              { cause: err, details: { option: 'path', path: options.path } },
            )
          }
        }
        db = new Sqlite(options.path, { timeout: options.busyTimeoutMs })
      } else {
        db.pragma(`busy_timeout = ${options.busyTimeoutMs}`)
      }
      // WAL: readers never block the writer and a commit is one append to the -wal file.
      db.pragma('journal_mode = WAL')
      // In WAL mode NORMAL is safe against process crashes (a killed process loses nothing it
      // committed); only an OS crash or power loss may roll back the last transactions.
      db.pragma('synchronous = NORMAL')
      // Statement journals in memory: the event-log triggers (migration 5) make every write to
      // `computations` a statement that needs one, and a status change touches more pages (~10
      // indexes) than SQLite keeps in memory before spilling it (64 KiB), so with the default each
      // write transaction created, wrote and deleted a temporary file. Also keeps the rare transient
      // tables in memory (listings are index ranges, see listing.ts).
      db.pragma('temp_store = MEMORY')
      migrate(db, undefined, options.clock())
      db.pragma(`busy_timeout = ${Math.min(SHORT_BUSY_TIMEOUT_MS, options.busyTimeoutMs)}`)
      return new Connection(db, owned, options)
    } catch (err) {
      if (owned && db?.open) db.close()
      throw toStoreError(err, 'open')
    }
  }

  get closed(): boolean {
    return this.#closed || !this.db.open
  }

  /**
   * A prepared statement for SQL built at run time (listings), kept in a small cache.
   * @internal
   */
  statement(sql: string): Statement {
    let stmt = this.#dynamic.get(sql)
    if (stmt === undefined) {
      stmt = this.db.prepare(sql)
      if (this.#dynamic.size >= MAX_CACHED_STATEMENTS)
        this.#dynamic.delete(this.#dynamic.keys().next().value!)
      this.#dynamic.set(sql, stmt)
    }
    return stmt
  }

  /** Throws `CM_ERR_STORE_UNAVAILABLE` once the store is closed (or the host closed the database). */
  assertOpen(operation: string): void {
    if (this.closed) {
      throw cmError('CM_ERR_STORE_UNAVAILABLE', `sqlite-store ${operation}: the store is closed`, {
        details: { operation },
      })
    }
  }

  /** Runs one statement (or a few reads that need no snapshot), retrying while locked. */
  run<T>(operation: string, step: () => T): Promise<T> {
    return this.#runOne(operation, step, false)
  }

  /** {@link run} for a read (a point read, a count): the file check is throttled (`READ_FILE_CHECK_MS`). */
  runRead<T>(operation: string, step: () => T): Promise<T> {
    return this.#runOne(operation, step, true)
  }

  #runOne<T>(operation: string, step: () => T, read: boolean): Promise<T> {
    // The common case (not locked) settles without entering the retry loop: point reads are hot.
    try {
      this.assertOpen(operation)
      if (read) this.#assertFileForRead(operation)
      else this.#assertFile(operation)
      return Promise.resolve(step())
    } catch (err) {
      if (!isBusy(err)) return Promise.reject(this.#failure(err, operation))
      return this.#retry(step, operation, this.busyTimeoutMs)
    }
  }

  async #retry<T>(step: () => T, operation: string, budgetMs: number): Promise<T> {
    try {
      return await withBusyRetry(step, operation, budgetMs)
    } catch (err) {
      throw this.#failure(err, operation)
    }
  }

  /** Runs reads that must see one snapshot (a page and its total) in a deferred transaction. */
  async read<T>(operation: string, step: () => T): Promise<T> {
    this.assertOpen(operation)
    return this.#retry(() => this.#tx.deferred(step) as T, operation, this.busyTimeoutMs)
  }

  /**
   * Runs a read-decide-write step in `BEGIN IMMEDIATE`: the write lock is taken before the first
   * read, so no other process can change what the step decides on. Rolled back if it throws.
   */
  async write<T>(operation: string, step: () => T, budgetMs = this.busyTimeoutMs): Promise<T> {
    this.assertOpen(operation)
    this.#assertFile(operation)
    const result = await this.#retry(() => this.#tx.immediate(step) as T, operation, budgetMs)
    this.cleared()
    return result
  }

  /** Marks the connection closed, and closes it if the store opened it. Idempotent. */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    this.#dynamic.clear()
    if (this.owned && this.db.open) this.db.close()
  }
}
