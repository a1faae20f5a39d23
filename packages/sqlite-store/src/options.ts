import { type Clock, cmError, describeType, systemClock } from '@comp-manager/core'
import type { Database } from 'better-sqlite3'

/** Options of {@link SqliteStore} / {@link createSqliteStore}. */
export interface SqliteStoreOptions {
  /**
   * Database file. Default `./data/comp-manager.db`; its directory is created if missing.
   * `':memory:'` gives a private in-memory database (tests). Exclusive with `database`.
   */
  path?: string
  /**
   * An open better-sqlite3 connection owned by the host. The store sets its pragmas (WAL,
   * `synchronous = NORMAL`, a short `busy_timeout`), migrates it, and never closes it.
   */
  database?: Database
  /** Source of "now" in epoch ms (leases, TTLs, timestamps). Default `Date.now`. */
  clock?: Clock
  /**
   * How long an operation keeps retrying while another process holds the write lock before it
   * rejects with `CM_ERR_STORE_UNAVAILABLE`. Default 5000 ms.
   */
  busyTimeoutMs?: number
  /** Largest cache value accepted (UTF-8 bytes of the codec text). Default 512 MiB. */
  maxValueBytes?: number
  /** Cache hit counts are kept in memory and written every `hitFlushMs` ms (default 1000). */
  hitFlushMs?: number
}

/** The options with defaults applied. */
export interface ResolvedOptions {
  path: string
  database: Database | undefined
  clock: Clock
  busyTimeoutMs: number
  maxValueBytes: number
  hitFlushMs: number
}

/** Default `path`, relative to the working directory. */
export const DEFAULT_PATH = './data/comp-manager.db'
/** Default `busyTimeoutMs`. */
export const DEFAULT_BUSY_TIMEOUT_MS = 5000
/** Default `maxValueBytes`: 512 MiB. */
export const DEFAULT_MAX_VALUE_BYTES = 512 * 1024 * 1024
/** Default `hitFlushMs`. */
export const DEFAULT_HIT_FLUSH_MS = 1000
/** SQLite's default `SQLITE_MAX_LENGTH`: no string or BLOB can be longer. */
export const SQLITE_MAX_LENGTH = 1_000_000_000

const known = new Set(['path', 'database', 'clock', 'busyTimeoutMs', 'maxValueBytes', 'hitFlushMs'])

function invalid(option: string, message: string): never {
  throw cmError('CM_ERR_INVALID_ARGUMENT', `sqlite-store: \`${option}\` ${message}`, { details: { option } })
}

function integerOption(value: unknown, option: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    invalid(option, `must be an integer from ${min} to ${max} (got ${describeType(value)} ${String(value)})`)
  }
  return value
}

function isDatabase(value: unknown): value is Database {
  const db = value as Partial<Record<string, unknown>> | null
  return (
    typeof db === 'object' &&
    db !== null &&
    typeof db.prepare === 'function' &&
    typeof db.transaction === 'function' &&
    typeof db.pragma === 'function'
  )
}

/** Validates the options (each error names the option) and fills in the defaults. */
export function resolveOptions(options: SqliteStoreOptions | undefined): ResolvedOptions {
  const opts: SqliteStoreOptions = options === undefined ? {} : options
  if (typeof opts !== 'object' || opts === null || Array.isArray(opts)) {
    throw cmError(
      'CM_ERR_INVALID_ARGUMENT',
      `sqlite-store: options must be an object, got ${describeType(opts)}`,
    )
  }
  for (const name of Object.keys(opts)) {
    if (!known.has(name)) invalid(name, `is not an option (expected one of ${[...known].join(', ')})`)
  }
  if (opts.path !== undefined && opts.database !== undefined) {
    invalid('database', 'cannot be combined with `path`: pass the file path or an open database, not both')
  }
  if (opts.path !== undefined && (typeof opts.path !== 'string' || opts.path.trim() === '')) {
    invalid('path', `must be a non-empty file path or ':memory:' (got ${describeType(opts.path)})`)
  }
  if (opts.database !== undefined) {
    if (!isDatabase(opts.database))
      invalid('database', `must be a better-sqlite3 Database (got ${describeType(opts.database)})`)
    if (!opts.database.open) invalid('database', 'is closed: pass an open better-sqlite3 Database')
    if (opts.database.readonly) invalid('database', 'is read-only: the store needs to write')
  }
  if (opts.clock !== undefined && typeof opts.clock !== 'function') {
    invalid('clock', `must be a function returning epoch milliseconds (got ${describeType(opts.clock)})`)
  }
  return {
    path: opts.path ?? DEFAULT_PATH,
    database: opts.database,
    clock: opts.clock ?? systemClock,
    busyTimeoutMs: integerOption(opts.busyTimeoutMs, 'busyTimeoutMs', DEFAULT_BUSY_TIMEOUT_MS, 0, 3_600_000),
    maxValueBytes: integerOption(
      opts.maxValueBytes,
      'maxValueBytes',
      DEFAULT_MAX_VALUE_BYTES,
      1,
      SQLITE_MAX_LENGTH,
    ),
    hitFlushMs: integerOption(opts.hitFlushMs, 'hitFlushMs', DEFAULT_HIT_FLUSH_MS, 0, 3_600_000),
  }
}
