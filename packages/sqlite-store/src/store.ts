import { resolve } from 'node:path'
import type {
  CacheStore,
  ComputationStore,
  DocumentStore,
  EventLogStore,
  PingResult,
  QueueStore,
  Store,
  StoreCapabilities,
} from '@comp-manager/core'
import {
  composeQueueBackend,
  EventJournal,
  GuardedCacheStore,
  GuardedComputationStore,
  GuardedDocumentStore,
  GuardedEventLog,
  GuardedQueueStore,
  type QueueBackend,
} from '@comp-manager/core/store-kit'
import { SqliteCacheStore } from './cache.js'
import { SqliteComputationStore } from './computations.js'
import { Connection } from './connection.js'
import { SqliteDocumentStore } from './documents.js'
import { SqliteEventLog } from './events.js'
import { resolveOptions, type SqliteStoreOptions } from './options.js'
import { SqliteJobs } from './queue.js'
import { SqliteQueueRegistry } from './queue-registry.js'
import { ChangeWatch } from './watch.js'

/** How long `ping()` waits for the write lock before it reports the store unavailable. */
const PING_WRITE_BUDGET_MS = 1000

const PROBE_LOCK = (conn: Connection): unknown => conn.statement('SELECT 1').get()
const PROBE_SPACE = (conn: Connection): void => {
  conn.db.exec(
    'SAVEPOINT cm_probe; CREATE TABLE cm_probe (x BLOB); INSERT INTO cm_probe VALUES (zeroblob(4096)); ' +
      'ROLLBACK TO cm_probe; RELEASE cm_probe',
  )
}

/**
 * The embedded default `Store`: computations and cache entries in one SQLite file (WAL mode),
 * safe for several processes on one machine. Opening the file creates its directory, sets the
 * pragmas and migrates the schema; the constructor throws `CM_ERR_INVALID_ARGUMENT` for bad
 * options, `CM_ERR_SCHEMA_VERSION` for a file written by a newer release, and
 * `CM_ERR_STORE_UNAVAILABLE` when the file cannot be opened.
 *
 * @example
 * const store = new SqliteStore({ path: './data/comp-manager.db' })
 * const entry = await store.cache.get('default', key)
 * await store.close()
 */
export class SqliteStore implements Store {
  readonly kind = 'sqlite'
  readonly capabilities: StoreCapabilities
  readonly computations: ComputationStore
  readonly cache: CacheStore
  /** The queue port (for `@comp-manager/worker`): jobs claimed by processes sharing the file. */
  readonly queue: QueueStore
  /** The event log port: the file's changes in commit order, appended in each change's transaction. */
  readonly events: EventLogStore
  /** The document port: revisioned JSON state shared by every process on the file. */
  readonly documents: DocumentStore
  readonly #cache: GuardedCacheStore
  /** The database file, as an absolute path (`':memory:'` for an in-memory database). */
  readonly path: string
  readonly #conn: Connection
  #closing: Promise<void> | undefined

  constructor(options: SqliteStoreOptions = {}) {
    const resolved = resolveOptions(options)
    this.#conn = Connection.open(resolved)
    this.path = this.#conn.db.memory ? this.#conn.db.name : resolve(this.#conn.db.name)
    this.capabilities = { multiProcess: true, multiMachine: false, maxValueBytes: resolved.maxValueBytes }
    const lists = {
      ...(resolved.countLimit === undefined ? {} : { countLimit: resolved.countLimit }),
      ...(resolved.cursorSecret === undefined ? {} : { cursorSecret: resolved.cursorSecret }),
    }
    const events = new SqliteEventLog(this.#conn)
    this.events = new GuardedEventLog(events, resolved.clock)
    this.documents = new GuardedDocumentStore(new SqliteDocumentStore(this.#conn), resolved.clock)
    const runs = new SqliteComputationStore(this.#conn)
    this.computations = new GuardedComputationStore(runs, lists)
    const cacheBackend = new SqliteCacheStore(this.#conn, events, runs)
    this.cache = this.#cache = new GuardedCacheStore(cacheBackend, {
      ...lists,
      clock: resolved.clock,
      maxValueBytes: resolved.maxValueBytes,
      hitFlushMs: resolved.hitFlushMs,
    })
    // Job events come from the triggers; only the worker registry's go through the journal.
    const journal = new EventJournal(events, resolved.clock)
    this.queue = new GuardedQueueStore(
      journal.queue(queueBackend(this.#conn, cacheBackend), false),
      resolved.clock,
      {
        maxValueBytes: resolved.maxValueBytes,
      },
    )
  }

  /**
   * A round trip that proves the store can write: it takes SQLite's write lock (waiting at most
   * 1 s) and releases it. Never throws: a locked or closed file answers `{ ok: false, error }`.
   */
  async ping(): Promise<PingResult> {
    const started = performance.now()
    try {
      const conn = this.#conn
      conn.assertOpen('ping')
      // After a fault (disk full, read-only…), only a write that needs space proves it has cleared:
      // a table created and rolled back needs a new page, and is never kept.
      const probe = conn.fault === undefined ? PROBE_LOCK : PROBE_SPACE
      // Take the write lock (and give it back at once): in WAL mode reads never block, so a plain
      // SELECT would report a healthy store while another process holds the file locked for writes.
      await conn.write('ping', () => probe(conn), PING_WRITE_BUDGET_MS)
      return { ok: true, latencyMs: performance.now() - started }
    } catch (err) {
      return { ok: false, latencyMs: performance.now() - started, error: (err as Error).message }
    }
  }

  /** Writes batched hit counts now (they are also written every `hitFlushMs` and on close). */
  async flush(): Promise<void> {
    await this.#cache.flush()
  }

  /**
   * Flushes hit counts and closes the database if the store opened it; a host-supplied
   * `database` stays open. Idempotent; every later operation rejects with `CM_ERR_STORE_UNAVAILABLE`.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.#cache.close()
      this.#conn.close()
    })()
    return this.#closing
  }
}

/** The queue backend: jobs on the computations table, plus the worker and schedule tables. */
function queueBackend(conn: Connection, cache: SqliteCacheStore): QueueBackend {
  const jobs = new SqliteJobs(conn, cache)
  const registry = new SqliteQueueRegistry(conn)
  const changes = new ChangeWatch(conn)
  return {
    ...composeQueueBackend(jobs, registry, (operation) => conn.assertOpen(operation)),
    watch: (listener) => changes.watch(listener),
  }
}

/** Opens a {@link SqliteStore}; same as `new SqliteStore(options)`. */
export function createSqliteStore(options: SqliteStoreOptions = {}): SqliteStore {
  return new SqliteStore(options)
}
