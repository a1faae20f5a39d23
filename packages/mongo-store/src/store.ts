import { performance } from 'node:perf_hooks'
import {
  type CacheStore,
  type Clock,
  type ComputationStore,
  cmError,
  type DocumentStore,
  type EventLogStore,
  type PingResult,
  type QueueStore,
  type Store,
  type StoreCapabilities,
} from '@comp-manager/core'
import {
  EventJournal,
  GuardedCacheStore,
  GuardedComputationStore,
  GuardedDocumentStore,
  GuardedEventLog,
  GuardedQueueStore,
} from '@comp-manager/core/store-kit'
import type { Collection, Db, Document, MongoClient } from 'mongodb'
import { MongoCacheStore } from './cache.js'
import { MongoComputationStore } from './computations.js'
import { connectionOf, valueFilesOf } from './connection.js'
import type { StoreContext } from './context.js'
import { closedError, mapMongoError } from './errors.js'
import { MongoEventLog } from './events.js'
import { IndexGuard } from './index-guard.js'
import {
  cacheEntryIndexes,
  cacheIndexes,
  computationIndexes,
  type IndexSpec,
  scheduleIndexes,
  workerIndexes,
} from './indexes.js'
import { type MigrateOptions, type MigrationReport, migrateDocuments } from './migration.js'
import { type MongoStoreOptions, type ResolvedOptions, resolveOptions } from './options.js'
import { queueBackend } from './queue.js'
import { ServerClock } from './server-clock.js'
import { MongoDocumentStore } from './state-documents.js'

/**
 * The production comp-manager Store on MongoDB: computations and cache entries in two collections,
 * claims and compare-and-set as single-document atomic operations, TTL expiry, large values in
 * GridFS. Safe for many processes on many machines sharing one replica set.
 *
 * Constructing it does no I/O. Indexes are created once, by `await store.init()` or lazily before
 * the first operation (`createMongoStore` calls `init()` for you, so a bad URL or a missing server
 * fails at startup rather than on the first request).
 */
export class MongoStore implements Store {
  readonly kind = 'mongo'
  readonly capabilities: StoreCapabilities
  readonly computations: ComputationStore
  readonly cache: CacheStore
  /** The queue port (for `@comp-manager/worker`): one queue for every machine sharing the database. */
  readonly queue: QueueStore
  /** The event log port: changes appended right after they are acknowledged (see the README). */
  readonly events!: EventLogStore
  /** The document port, on `<computations>_documents`. */
  readonly documents: DocumentStore
  readonly #cache: GuardedCacheStore
  /** The database the store works in. */
  readonly db: Db
  /** The client: the host's (`client` option), the store's own (`url` option), or `undefined` for a host `db`. */
  readonly client: MongoClient | undefined
  /** True when the store opened `client` from a `url`, and so closes it in `close()`. */
  readonly ownsClient: boolean

  private readonly options: ResolvedOptions
  private readonly computationsCollection: Collection<Document & { _id: string }>
  private readonly cacheCollection: Collection<Document>
  private readonly indexGuard: IndexGuard
  private readonly serverClock: ServerClock
  private readonly cacheBackend: MongoCacheStore
  private readonly workersCollection: Collection<Document & { _id: string }>
  private readonly schedulesCollection: Collection<Document & { _id: string }>
  private readonly slotsCollection: Collection<Document & { _id: string }>
  private initializing: Promise<void> | undefined
  private migrating: Promise<MigrationReport> | undefined
  /** Set once `init()` has succeeded: from then on the health check verifies the unique indexes. */
  private initialized = false
  private closing: Promise<void> | undefined
  /** Set once `close()` has written the pending hit counts: from then on every operation is refused. */
  private closed = false

  /** Validates `options` (`CM_ERR_INVALID_ARGUMENT` naming the option); connects nothing. */
  constructor(options: MongoStoreOptions) {
    const o = resolveOptions(options)
    this.options = o
    ;({ db: this.db, client: this.client, ownsClient: this.ownsClient } = connectionOf(o.source))
    const collectionOptions = {
      ...(o.writeConcern === undefined ? {} : { writeConcern: o.writeConcern }),
      ...(o.readPreference === undefined ? {} : { readPreference: o.readPreference }),
    }
    this.computationsCollection = this.db.collection(o.computationsCollection, collectionOptions)
    this.cacheCollection = this.db.collection(o.cacheCollection, collectionOptions)
    this.workersCollection = this.db.collection(`${o.computationsCollection}_workers`, collectionOptions)
    this.schedulesCollection = this.db.collection(`${o.computationsCollection}_schedules`, collectionOptions)
    this.slotsCollection = this.db.collection(`${o.computationsCollection}_slots`, collectionOptions)
    const files = valueFilesOf(this.db, o)
    this.capabilities = Object.freeze({
      multiProcess: true,
      multiMachine: true,
      maxValueBytes: o.maxValueBytes,
    })
    const unique = (specs: readonly IndexSpec[]) => specs.filter((spec) => spec.unique === true)
    this.indexGuard = new IndexGuard(
      [
        { collection: this.computationsCollection, specs: unique(computationIndexes) },
        { collection: this.cacheCollection, specs: unique(cacheEntryIndexes) },
      ],
      o.ensureIndexes ? () => this.createAllIndexes() : undefined,
    )
    const serverClock = new ServerClock(o.clock, this.db, o.leaseClock === 'server')
    this.serverClock = serverClock
    const context: StoreContext = {
      clock: serverClock.now,
      leaseInstant: (ms) => serverClock.fromBase(ms),
      serverDecidesExpiry: serverClock.serverMode,
      computations: this.computationsCollection,
      cacheEntries: this.cacheCollection,
      files,
      gridFsThresholdBytes: o.gridFsThresholdBytes,
      maxValueBytes: o.maxValueBytes,
      indexes: this.indexGuard,
      assertOpen: () => {
        if (this.closed) throw closedError()
      },
      run: (operation, fn) => this.run(operation, fn),
    }
    const journal = this.#openEvents(context, collectionOptions)
    const documents = this.db.collection(`${o.computationsCollection}_documents`, collectionOptions)
    this.documents = new GuardedDocumentStore(new MongoDocumentStore(context, documents), context.clock)
    this.computations = new GuardedComputationStore(journal.computations(new MongoComputationStore(context)))
    this.cacheBackend = new MongoCacheStore(context)
    this.cache = this.#cache = new GuardedCacheStore(journal.cache(this.cacheBackend), {
      clock: serverClock.now,
      maxValueBytes: o.maxValueBytes,
      hitFlushMs: o.hitFlushMs,
    })
    this.queue = new GuardedQueueStore(
      journal.queue(
        queueBackend(context, this.workersCollection, this.schedulesCollection, this.slotsCollection),
        true,
      ),
      o.clock,
      // No transactions: `complete` stores each value, then ends its record (two writes, as before).
      { maxValueBytes: o.maxValueBytes, ports: { cache: this.cache, computations: this.computations } },
    )
  }

  /** Sets `events` (on `<computations>_events` and `_counters`); the journal appends the changes to it. */
  #openEvents(context: StoreContext, collectionOptions: object): EventJournal {
    const log = openEventLog(this.db, this.options.computationsCollection, collectionOptions, context)
    ;(this as { events: EventLogStore }).events = new GuardedEventLog(log, context.clock)
    return new EventJournal(log, context.clock)
  }

  /** The store's clock (epoch ms): `clock`, corrected to the server's in `leaseClock: 'server'` mode. */
  get clock(): Clock {
    return this.serverClock.now
  }

  /** Server time minus `clock`, as last measured (always 0 in `leaseClock: 'client'` mode). */
  get clockOffsetMs(): number {
    return this.serverClock.offsetMs
  }

  /** Names of the collections and the GridFS bucket in use (after `collectionPrefix`). */
  get names(): { computations: string; cacheEntries: string; bucket: string } {
    return {
      computations: this.options.computationsCollection,
      cacheEntries: this.options.cacheCollection,
      bucket: this.options.bucketName,
    }
  }

  /**
   * Connects (when the store opened the client) and creates the indexes (unless `ensureIndexes:
   * false`). Runs once; later calls return the same promise. A failed attempt is retried by the
   * next call. Every operation awaits it, so calling it is optional.
   */
  init(): Promise<void> {
    if (this.closed) return Promise.reject(closedError())
    this.initializing ??= this.initialize().catch((err: unknown) => {
      this.initializing = undefined
      throw mapMongoError(err, 'init')
    })
    return this.initializing
  }

  /**
   * Deletes GridFS value files that no cache entry references (left by a crash between upload and
   * write, or by a cleanup that failed after its operation completed), if uploaded more than
   * `graceMs` ago (default one hour). Run it from a scheduled job; returns how many were deleted.
   */
  sweepOrphanFiles(options: { graceMs?: number } = {}): Promise<number> {
    const graceMs = options.graceMs ?? 3_600_000
    if (!Number.isFinite(graceMs) || graceMs < 0) {
      return Promise.reject(
        cmError('CM_ERR_INVALID_ARGUMENT', 'sweepOrphanFiles: graceMs must be a number of ms ≥ 0', {
          details: { option: 'graceMs' },
        }),
      )
    }
    return this.cacheBackend.sweepOrphanFiles(graceMs)
  }

  /**
   * Rewrites documents of older layouts (version 0: no `schemaVersion`, number timestamps) in the
   * current one, in bounded batches with a pause between them; see `MigrateOptions`. Not started by
   * `init()`: call it once after deploying (or from a scheduled job). Resumable (stop it with
   * `signal`; the next call goes on) and idempotent; a second call while one runs gets the same run.
   */
  migrate(options?: MigrateOptions): Promise<MigrationReport> {
    const collections = { computations: this.computationsCollection, cacheEntries: this.cacheCollection }
    this.migrating ??= migrateDocuments(
      (operation, fn) => this.run(operation, fn),
      collections as never,
      options,
      () => this.closing !== undefined,
    ).finally(() => {
      this.migrating = undefined
    })
    return this.migrating
  }

  /** `{ ping: 1 }` against the database, with its latency. Never throws. */
  async ping(): Promise<PingResult> {
    const started = performance.now()
    const elapsed = () => Math.round((performance.now() - started) * 1000) / 1000
    if (this.closing !== undefined) return { ok: false, latencyMs: 0, error: 'mongo-store is closed' }
    let timer: NodeJS.Timeout | undefined
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${this.options.pingTimeoutMs} ms`)),
          this.options.pingTimeoutMs,
        )
      })
      const missing = await Promise.race([
        this.db
          .command({ ping: 1 })
          .then(() => (this.initialized ? this.indexGuard.verify() : this.indexGuard.missing)),
        timeout,
      ])
      if (missing.length > 0) {
        return {
          ok: false,
          latencyMs: elapsed(),
          error: `required unique index missing: ${missing.join(', ')}`,
        }
      }
      return { ok: true, latencyMs: elapsed() }
    } catch (err) {
      return { ok: false, latencyMs: elapsed(), error: err instanceof Error ? err.message : String(err) }
    } finally {
      clearTimeout(timer)
    }
  }

  /**
   * Stops the store: later operations fail with `CM_ERR_STORE_UNAVAILABLE`. Closes the client only
   * if the store opened it from `url`; a host's `db` or `client` is left open. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      // Hit counts go out before the client closes (they are advisory: a failure is not an error here).
      await this.#cache.close()
      this.closed = true
      if (this.ownsClient && this.client !== undefined) {
        try {
          await this.client.close()
        } catch (err) {
          throw mapMongoError(err, 'close')
        }
      }
    })()
    return this.closing
  }

  private async initialize(): Promise<void> {
    if (this.ownsClient) await this.client!.connect()
    await this.serverClock.sync()
    if (this.options.ensureIndexes) await this.createAllIndexes()
    // Missing unique indexes (`ensureIndexes: false` without them) refuse claims, not the whole store.
    await this.indexGuard.verify()
    this.initialized = true
  }

  private async createAllIndexes(): Promise<void> {
    await createIndexes(this.computationsCollection, computationIndexes)
    await createIndexes(this.cacheCollection, cacheIndexes({ ttlIndex: this.options.ttlIndex }))
    await createIndexes(this.workersCollection, workerIndexes)
    await createIndexes(this.schedulesCollection, scheduleIndexes)
  }

  private async run<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    if (this.closed) throw closedError()
    return withDeadline(operation, this.options.operationTimeoutMs, async () => {
      await this.init()
      try {
        return await fn()
      } catch (err) {
        throw mapMongoError(err, operation)
      }
    })
  }
}

/**
 * `fn`, or `CM_ERR_TIMEOUT` after `timeoutMs` without an answer (`0`: no limit). The abandoned
 * operation may still complete on the server: a timed-out write may have been applied.
 */
async function withDeadline<T>(operation: string, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
  if (timeoutMs === 0) return fn()
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(
        cmError(
          'CM_ERR_TIMEOUT',
          `${operation}: no answer from MongoDB within ${timeoutMs} ms (operationTimeoutMs); a write may or may not have been applied`,
          { details: { operation, timeoutMs } },
        ),
      )
    }, timeoutMs)
    timer.unref?.()
  })
  try {
    return await Promise.race([fn(), deadline])
  } finally {
    clearTimeout(timer)
  }
}

async function createIndexes(
  collection: Pick<Collection, 'createIndexes' | 'collectionName'>,
  specs: readonly IndexSpec[],
): Promise<void> {
  try {
    await collection.createIndexes(specs.map((spec) => ({ ...spec })))
  } catch (err) {
    const mapped = mapMongoError(err, `creating the indexes of ${collection.collectionName}`)
    // 85/86: an index of the same name or keys exists with other options (an older layout, or
    // another tool's): say so rather than "unavailable".
    const code = (err as { code?: unknown }).code
    if (code === 85 || code === 86) {
      throw cmError(
        'CM_ERR_SCHEMA_VERSION',
        `an index on ${collection.collectionName} conflicts with comp-manager's (${(err as Error).message}); drop it or pass ensureIndexes: false`,
        { cause: err },
      )
    }
    throw mapped
  }
}

/**
 * Creates a `MongoStore` and runs `init()` (connects when it opened the client, creates the
 * indexes), so configuration and connection problems surface here. On failure, what the store
 * opened is closed again.
 */
export async function createMongoStore(options: MongoStoreOptions): Promise<MongoStore> {
  const store = new MongoStore(options)
  try {
    await store.init()
  } catch (err) {
    await store.close().catch(() => undefined)
    throw err
  }
  return store
}

/** The event log on `<computations>_events`, its sequences handed out by `<computations>_counters`. */
function openEventLog(db: Db, prefix: string, options: object, context: StoreContext): MongoEventLog {
  return new MongoEventLog(
    context,
    db.collection(`${prefix}_events`, options),
    db.collection(`${prefix}_counters`, options),
  )
}
