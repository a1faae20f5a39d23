/**
 * `@comp-manager/sqlite-store`: the embedded default comp-manager Store, on SQLite through
 * better-sqlite3 (WAL mode, one file, safe for several processes on one machine).
 */
export { SqliteCacheStore } from './cache.js'
export { SqliteComputationStore } from './computations.js'
export type { SqliteDatabase } from './driver.js'
export {
  LATEST_SCHEMA_VERSION,
  type Migration,
  type MigrationOutcome,
  migrate,
  migrations,
  schemaVersionOf,
} from './migrations.js'
export {
  DEFAULT_BUSY_TIMEOUT_MS,
  DEFAULT_HIT_FLUSH_MS,
  DEFAULT_MAX_VALUE_BYTES,
  DEFAULT_PATH,
  type SqliteStoreOptions,
} from './options.js'
export { createSqliteStore, SqliteStore } from './store.js'
