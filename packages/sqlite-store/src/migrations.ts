import { cmError } from '@comp-manager/core'
import type { Database } from 'better-sqlite3'
import { SCHEMA_V7 } from './documents.js'
import type { SqliteDatabase } from './driver.js'
import { SCHEMA_V5 } from './events-schema.js'
import { SCHEMA_V1, SCHEMA_V2, SCHEMA_V3, SCHEMA_V4, SCHEMA_V6 } from './schema.js'

/**
 * Versioned schema migrations. The database records each applied version in `schema_version`;
 * opening a file applies the missing ones, in order, inside one `BEGIN IMMEDIATE` transaction (so
 * two processes opening an old file at once migrate it once, and a failing step leaves the file as
 * it was). A file whose version is newer than the last entry here is refused with
 * `CM_ERR_SCHEMA_VERSION`: an older package must not write a layout it does not know.
 *
 * To change the schema, append `{ version: 2, description, up }` to `migrations`. Never edit an
 * entry that has shipped.
 */
export interface Migration {
  /** 1, 2, 3… without gaps. */
  readonly version: number
  readonly description: string
  /** Applies the change; runs inside the migration transaction. */
  up(db: SqliteDatabase): void
}

/** This package's migrations, oldest first; the last one's version is the schema it writes. */
export const migrations: readonly Migration[] = [
  {
    version: 1,
    description: 'computations, cache_entries and cache_tags with their indexes',
    up: (db) => db.exec(SCHEMA_V1),
  },
  {
    version: 2,
    description: 'computations: running time accounted by segments (active_ms, active_since), pause requests',
    up: (db) => db.exec(SCHEMA_V2),
  },
  {
    version: 3,
    description:
      'the queue: job fields (priority, run_at, max_attempts, worker), claim index, workers, schedules',
    up: (db) => db.exec(SCHEMA_V3),
  },
  {
    version: 4,
    description: 'listing indexes: each filter followed by its sort columns (flat pages, cursors and counts)',
    up: (db) => db.exec(SCHEMA_V4),
  },
  {
    version: 5,
    description:
      'the event log: events table, lifecycle triggers on computations (appended in the same transaction)',
    up: (db) => db.exec(SCHEMA_V5),
  },
  {
    version: 6,
    description:
      'queue_schedules.tz (the IANA time zone of a cron schedule; NULL = UTC); computations.max_lost_retries (the claiming worker’s, for expire)',
    up: (db) => db.exec(SCHEMA_V6),
  },
  {
    version: 7,
    description: 'documents: revisioned JSON state (webhook subscriptions and cursors, fleet-wide counters)',
    up: (db) => db.exec(SCHEMA_V7),
  },
]

/** The schema version this package writes. */
export const LATEST_SCHEMA_VERSION: number = migrations[migrations.length - 1]!.version

const CREATE_VERSION_TABLE = `CREATE TABLE IF NOT EXISTS schema_version (
  version     INTEGER NOT NULL PRIMARY KEY,
  description TEXT    NOT NULL,
  applied_at  INTEGER NOT NULL
)`

/** The schema version of a database: 0 for a file comp-manager never wrote to. */
export function schemaVersionOf(database: SqliteDatabase): number {
  const db = database as Database
  const table = db
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'")
    .get()
  if (table === undefined) return 0
  const row = db.prepare('SELECT max(version) AS version FROM schema_version').get() as {
    version: number | null
  }
  return row.version ?? 0
}

function assertSequence(list: readonly Migration[]): void {
  list.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new Error(
        `sqlite-store migrations must be numbered 1, 2, 3…: entry ${i} has version ${m.version}`,
      )
    }
  })
  if (list.length === 0) throw new Error('sqlite-store needs at least one migration')
}

function refuseNewer(version: number, latest: number, file: string): never {
  throw cmError(
    'CM_ERR_SCHEMA_VERSION',
    `database ${file} has schema version ${version}, newer than version ${latest} known to this ` +
      `@comp-manager/sqlite-store: it was written by a newer release; upgrade the package to open it`,
    { details: { version, supported: latest, file } },
  )
}

/** The schema version before and after `migrate`. */
export interface MigrationOutcome {
  from: number
  to: number
}

/**
 * Brings `db` up to the last version of `list` (default: this package's migrations). Idempotent
 * and safe to run from several processes at once.
 */
export function migrate(
  database: SqliteDatabase,
  list: readonly Migration[] = migrations,
  now: number = Date.now(),
): MigrationOutcome {
  const db = database as Database
  assertSequence(list)
  const latest = list[list.length - 1]!.version
  const before = schemaVersionOf(db)
  if (before > latest) refuseNewer(before, latest, db.name)
  if (before === latest) return { from: before, to: before }
  return db
    .transaction((): MigrationOutcome => {
      // Read again under the write lock: another process may have migrated since.
      const from = schemaVersionOf(db)
      if (from > latest) refuseNewer(from, latest, db.name)
      db.exec(CREATE_VERSION_TABLE)
      const record = db.prepare(
        'INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)',
      )
      for (const m of list) {
        if (m.version <= from) continue
        m.up(db)
        record.run(m.version, m.description, now)
      }
      return { from, to: latest }
    })
    .immediate()
}
