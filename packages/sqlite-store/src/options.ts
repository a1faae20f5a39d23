import { type Clock, systemClock } from '@comp-manager/core'
import {
  CallbackSchema,
  type Duration,
  DurationSchema,
  defineOptions,
  describeValue,
  InstanceSchema,
} from '@comp-manager/core/options'
import { Type } from 'typebox'
import type { SqliteDatabase } from './driver.js'

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
  database?: SqliteDatabase
  /** Source of "now" in epoch ms (leases, TTLs, timestamps). Default `Date.now`. */
  clock?: Clock
  /**
   * How long an operation keeps retrying while another process holds the write lock before it
   * rejects with `CM_ERR_STORE_UNAVAILABLE`. Default 5000 ms.
   */
  busyTimeoutMs?: Duration
  /** Largest cache value accepted (UTF-8 bytes of the codec text). Default 512 MiB. */
  maxValueBytes?: number
  /** Cache hit counts are kept in memory and written every `hitFlushMs` ms (default 1000). */
  hitFlushMs?: Duration
  /** Listings count matches exactly up to this bound, then report it as a lower bound (default 10,000). */
  countLimit?: number
  /** The key listing cursors are signed with; give every process of one database the same one. */
  cursorSecret?: string
}

/** The options with defaults applied. */
export interface ResolvedOptions {
  path: string
  database: SqliteDatabase | undefined
  clock: Clock
  busyTimeoutMs: number
  maxValueBytes: number
  hitFlushMs: number
  countLimit: number | undefined
  cursorSecret: string | undefined
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

function databaseProblem(value: unknown): string | undefined {
  const db = value as Partial<Record<string, unknown>> | null
  const isDatabase =
    typeof db === 'object' &&
    db !== null &&
    typeof db.prepare === 'function' &&
    typeof db.transaction === 'function' &&
    typeof db.pragma === 'function'
  if (!isDatabase) return `must be a better-sqlite3 Database (got ${describeValue(value)})`
  if (!(value as SqliteDatabase).open) return 'is closed: pass an open better-sqlite3 Database'
  if ((value as SqliteDatabase).readonly) return 'is read-only: the store needs to write'
  return undefined
}

const SqliteStoreOptionsParser = defineOptions(
  Type.Object(
    {
      path: Type.Optional(
        Type.String({
          minLength: 1,
          pattern: '\\S',
          expected: "a non-empty file path or ':memory:'",
        } as never),
      ),
      database: Type.Optional(InstanceSchema<SqliteDatabase>(databaseProblem, 'a better-sqlite3 Database')),
      clock: Type.Optional(CallbackSchema('a function returning epoch milliseconds')),
      busyTimeoutMs: Type.Optional(DurationSchema({ min: 0, max: 3_600_000 })),
      maxValueBytes: Type.Optional(Type.Integer({ minimum: 1, maximum: SQLITE_MAX_LENGTH })),
      hitFlushMs: Type.Optional(DurationSchema({ min: 0, max: 3_600_000 })),
      countLimit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000_000 })),
      cursorSecret: Type.Optional(Type.String({ minLength: 16, maxLength: 1024 })),
    },
    { additionalProperties: false },
  ),
  { package: '@comp-manager/sqlite-store', optional: true },
)

/** Validates the options (each error names the option) and fills in the defaults. */
export function resolveOptions(options: SqliteStoreOptions | undefined): ResolvedOptions {
  const opts = SqliteStoreOptionsParser.parse(options)
  if (opts.path !== undefined && opts.database !== undefined) {
    SqliteStoreOptionsParser.fail(
      'database',
      'cannot be combined with `path`: pass the file path or an open database, not both',
    )
  }
  return {
    path: opts.path ?? DEFAULT_PATH,
    database: opts.database as SqliteDatabase | undefined,
    clock: (opts.clock as Clock | undefined) ?? systemClock,
    busyTimeoutMs: opts.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS,
    maxValueBytes: opts.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES,
    hitFlushMs: opts.hitFlushMs ?? DEFAULT_HIT_FLUSH_MS,
    countLimit: opts.countLimit,
    cursorSecret: opts.cursorSecret,
  }
}
