import { type Clock, cmError, systemClock } from '@comp-manager/core'
import {
  CallbackSchema,
  type Duration,
  DurationSchema,
  defineOptions,
  describeValue,
  InstanceSchema,
} from '@comp-manager/core/options'
import type { Db, MongoClient, MongoClientOptions, ReadPreferenceLike, WriteConcernSettings } from 'mongodb'
import { Type } from 'typebox'

/** 1 MiB. */
const MiB = 1024 * 1024

/** Values larger than this many bytes go to GridFS by default (well below the 16 MiB BSON limit). */
export const DEFAULT_GRIDFS_THRESHOLD_BYTES = 8 * MiB
/** The largest inline value allowed: leaves 1 MiB of the 16 MiB BSON document for the metadata. */
export const MAX_GRIDFS_THRESHOLD_BYTES = 15 * MiB
/** Largest encoded cache value accepted by default. */
export const DEFAULT_MAX_VALUE_BYTES = 64 * MiB
/** A store operation fails with `CM_ERR_TIMEOUT` after this many milliseconds without an answer. */
export const DEFAULT_OPERATION_TIMEOUT_MS = 10_000
/** `ping()` reports a failure when the server does not answer within this many milliseconds. */
export const DEFAULT_PING_TIMEOUT_MS = 5000
/** How often batched cache hit counts are written by default. */
export const DEFAULT_HIT_FLUSH_MS = 1000

export const DEFAULT_COMPUTATIONS_COLLECTION = 'computations'
export const DEFAULT_CACHE_COLLECTION = 'cache_entries'
export const DEFAULT_BUCKET_NAME = 'cache_values'

/**
 * Options of `MongoStore` / `createMongoStore`. Pass exactly one way to reach MongoDB: a `db` the host
 * owns, a `client` the host owns plus `dbName`, or a `url` the store connects to (and closes).
 */
export interface MongoStoreOptions {
  /** A database handle owned by the host (e.g. `fastify.mongo.db`). Never closed by the store. */
  db?: Db
  /** A client owned by the host (e.g. `fastify.mongo.client`); needs `dbName`. Never closed by the store. */
  client?: MongoClient
  /** A `mongodb://` or `mongodb+srv://` connection string: the store opens its own client and closes it in `close()`. */
  url?: string
  /** The database to use with `client` (required) or `url` (default: the database named in the url's path). */
  dbName?: string
  /** Options for the client the store opens from `url` (pool size, TLS, timeouts…). */
  clientOptions?: MongoClientOptions
  /** Name of the computations collection (default `computations`), after `collectionPrefix`. */
  computationsCollection?: string
  /** Name of the cache collection (default `cache_entries`), after `collectionPrefix`. */
  cacheCollection?: string
  /** Prepended to every collection and bucket name, e.g. `staging_` (default none). */
  collectionPrefix?: string
  /** Epoch-ms clock for timestamps, leases and expiry (default `Date.now`). */
  clock?: Clock
  /**
   * Whose clock decides leases: `'server'` (the default without `clock`) corrects `clock` by its
   * offset to the server's and lets the server decide expiry (`$$NOW`), so skewed app servers cannot
   * steal live leases; `'client'` (the default with a `clock`, e.g. a test's virtual one) uses `clock` as is.
   */
  leaseClock?: 'server' | 'client'
  /** Write concern of every write (default: the db's / client's). `{ w: 'majority' }` for multi-machine use. */
  writeConcern?: WriteConcernSettings
  /** Read preference of listings and plain reads (claims and compare-and-set always read the primary). */
  readPreference?: ReadPreferenceLike
  /** Values of more bytes than this are stored in GridFS (default 8 MiB, at most 15 MiB). */
  gridFsThresholdBytes?: number
  /** GridFS bucket of large values (default `cache_values`, after `collectionPrefix`). */
  bucketName?: string
  /** Largest encoded cache value accepted, in bytes (default 64 MiB). */
  maxValueBytes?: number
  /** Create the indexes on first use or in `init()` (default true). */
  ensureIndexes?: boolean
  /**
   * Create the TTL index that lets MongoDB delete expired inline entries itself (default true). The
   * TTL monitor uses the server's wall clock: turn it off when `clock` is not wall time (tests).
   */
  ttlIndex?: boolean
  /** `ping()` gives up after this long (default 5000 ms). */
  pingTimeoutMs?: Duration
  /**
   * Every store operation (retries included) fails with `CM_ERR_TIMEOUT` after this long without an
   * answer, e.g. from a hung server (default 10 s; `0`: no limit). The driver's own `timeoutMS` is
   * a no-op in driver 7.
   */
  operationTimeoutMs?: Duration
  /** Cache hit counts are summed in memory and written in one bulk write every `hitFlushMs` (default 1000 ms; `0`: at once). */
  hitFlushMs?: Duration
}

/** Options after validation, with defaults filled in. */
export interface ResolvedOptions {
  source:
    | { kind: 'db'; db: Db }
    | { kind: 'client'; client: MongoClient; dbName: string }
    | { kind: 'url'; url: string; dbName: string; clientOptions: MongoClientOptions | undefined }
  computationsCollection: string
  cacheCollection: string
  bucketName: string
  clock: Clock
  leaseClock: 'server' | 'client'
  writeConcern: WriteConcernSettings | undefined
  readPreference: ReadPreferenceLike | undefined
  gridFsThresholdBytes: number
  maxValueBytes: number
  ensureIndexes: boolean
  ttlIndex: boolean
  pingTimeoutMs: number
  operationTimeoutMs: number
  hitFlushMs: number
}

const readPreferenceModes = [
  'primary',
  'primaryPreferred',
  'secondary',
  'secondaryPreferred',
  'nearest',
] as const

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null

/** Duck-typed, so a `Db` from another copy of the driver (e.g. `@fastify/mongodb`'s) is accepted. */
const dbProblem = (value: unknown) =>
  isObject(value) &&
  typeof value.collection === 'function' &&
  typeof value.command === 'function' &&
  typeof value.databaseName === 'string'
    ? undefined
    : `must be a MongoDB Db (from client.db(name)), got ${describeValue(value)}`

const clientProblem = (value: unknown) =>
  isObject(value) && typeof value.db === 'function' && typeof value.close === 'function'
    ? undefined
    : `must be a MongoClient, got ${describeValue(value)}`

const readPreferenceProblem = (value: unknown) => {
  const mode = isObject(value) ? value.mode : value
  return typeof mode === 'string' && (readPreferenceModes as readonly string[]).includes(mode)
    ? undefined
    : `must be a ReadPreference or one of ${readPreferenceModes.join(', ')}`
}

/** MongoDB database names: no `/\\. "$*<>:|?` nor NUL, under 64 bytes. */
const DB_NAME = '^[^/\\\\. "$*<>:|?\\u0000]{1,63}$'
/** Collection names (after the prefix): no `$`, no NUL, not `system.*`. */
const COLLECTION_NAME = /^(?!system\.)[^$\0]{1,120}$/

const CollectionNameSchema = Type.String({
  minLength: 1,
  pattern: '^[^$\\u0000]+$',
  expected: "a collection name (no '$', not 'system.*')",
} as never)

const MongoStoreOptionsParser = defineOptions(
  Type.Object(
    {
      db: Type.Optional(InstanceSchema<Db>(dbProblem, 'a MongoDB Db')),
      client: Type.Optional(InstanceSchema<MongoClient>(clientProblem, 'a MongoClient')),
      url: Type.Optional(
        Type.String({
          pattern: '^mongodb(\\+srv)?://\\S+$',
          expected: 'a mongodb:// or mongodb+srv:// connection string',
        } as never),
      ),
      dbName: Type.Optional(
        Type.String({
          pattern: DB_NAME,
          expected: 'a MongoDB database name (1-63 characters, none of /\\. "$*<>:|?)',
        } as never),
      ),
      clientOptions: Type.Optional(
        Type.Object({}, { expected: 'an object of MongoClient options' } as never),
      ),
      computationsCollection: Type.Optional(CollectionNameSchema),
      cacheCollection: Type.Optional(CollectionNameSchema),
      collectionPrefix: Type.Optional(
        Type.String({
          pattern: '^[A-Za-z0-9_.-]{0,64}$',
          expected: 'up to 64 letters, digits, `_`, `.` or `-`',
        } as never),
      ),
      clock: Type.Optional(CallbackSchema('a function returning epoch ms')),
      leaseClock: Type.Optional(Type.Union([Type.Literal('server'), Type.Literal('client')])),
      writeConcern: Type.Optional(
        Type.Object({}, { expected: 'an object such as { w: "majority" }' } as never),
      ),
      readPreference: Type.Optional(
        InstanceSchema<ReadPreferenceLike>(readPreferenceProblem, 'a read preference'),
      ),
      gridFsThresholdBytes: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_GRIDFS_THRESHOLD_BYTES })),
      bucketName: Type.Optional(CollectionNameSchema),
      maxValueBytes: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })),
      ensureIndexes: Type.Optional(Type.Boolean()),
      ttlIndex: Type.Optional(Type.Boolean()),
      pingTimeoutMs: Type.Optional(DurationSchema({ min: 1, max: 600_000 })),
      operationTimeoutMs: Type.Optional(DurationSchema({ min: 0, max: 3_600_000 })),
      hitFlushMs: Type.Optional(DurationSchema({ min: 0, max: 3_600_000 })),
    },
    { additionalProperties: false },
  ),
  { package: '@comp-manager/mongo-store' },
)

/** The database named in a connection string's path, if any (`mongodb://h1,h2/db?x=y` → `db`). */
export function dbNameFromUrl(url: string): string | undefined {
  const match = /^mongodb(?:\+srv)?:\/\/[^/?]*\/([^?]*)/.exec(url)
  const name = match?.[1] ? decodeURIComponent(match[1]) : ''
  return name === '' ? undefined : name
}

type ParsedOptions = ReturnType<typeof MongoStoreOptionsParser.parse>

function fail(option: string, problem: string): never {
  return MongoStoreOptionsParser.fail(option, problem)
}

/** How the store reaches MongoDB: exactly one of `db`, `client` + `dbName`, `url`. */
function sourceOf(o: ParsedOptions): ResolvedOptions['source'] {
  const given = (['db', 'client', 'url'] as const).filter((k) => o[k] !== undefined)
  if (given.length === 0) {
    throw cmError(
      'CM_ERR_INVALID_ARGUMENT',
      '@comp-manager/mongo-store: one of `db`, `client` (with `dbName`) or `url` is required',
      { details: { option: 'url', package: '@comp-manager/mongo-store' } },
    )
  }
  if (given.length > 1) {
    throw cmError(
      'CM_ERR_INVALID_ARGUMENT',
      `@comp-manager/mongo-store: \`${given[0]}\` and \`${given[1]}\` are mutually exclusive: pass one way to reach MongoDB`,
      { details: { option: given[1], package: '@comp-manager/mongo-store' } },
    )
  }
  if (o.clientOptions !== undefined && o.url === undefined) fail('clientOptions', 'only applies with `url`')
  if (o.db !== undefined) {
    if (o.dbName !== undefined)
      fail('dbName', 'only applies with `client` or `url`: a `db` is already one database')
    return { kind: 'db', db: o.db as Db }
  }
  if (o.client !== undefined) {
    if (o.dbName === undefined)
      fail('dbName', 'is required with `client`: name the database comp-manager uses')
    return { kind: 'client', client: o.client as MongoClient, dbName: o.dbName }
  }
  const url = o.url!
  const dbName = o.dbName ?? dbNameFromUrl(url)
  if (dbName === undefined) fail('dbName', 'is required when `url` names no database')
  if (!new RegExp(DB_NAME).test(dbName)) {
    fail(
      'dbName',
      `must be a MongoDB database name (1-63 characters, none of /\\. "$*<>:|?), got ${describeValue(dbName)}`,
    )
  }
  return { kind: 'url', url, dbName, clientOptions: o.clientOptions as MongoClientOptions | undefined }
}

/**
 * Validates `MongoStoreOptions` and fills in defaults. Throws `CM_ERR_INVALID_ARGUMENT` naming the
 * offending option.
 */
export function resolveOptions(options: unknown): ResolvedOptions {
  const o = MongoStoreOptionsParser.parse(options)
  const source = sourceOf(o)
  const prefix = o.collectionPrefix ?? ''
  const name = (option: 'computationsCollection' | 'cacheCollection' | 'bucketName', fallback: string) => {
    const full = prefix + (o[option] ?? fallback)
    if (!COLLECTION_NAME.test(full)) {
      fail(option, `must be a collection name (no '$', not 'system.*'), got ${describeValue(o[option])}`)
    }
    return full
  }
  const computationsCollection = name('computationsCollection', DEFAULT_COMPUTATIONS_COLLECTION)
  const cacheCollection = name('cacheCollection', DEFAULT_CACHE_COLLECTION)
  const bucketName = name('bucketName', DEFAULT_BUCKET_NAME)
  const names = [computationsCollection, cacheCollection, `${bucketName}.files`, `${bucketName}.chunks`]
  if (new Set(names).size !== names.length) {
    fail('cacheCollection', `must differ from the other collections (${names.join(', ')})`)
  }
  return {
    source,
    computationsCollection,
    cacheCollection,
    bucketName,
    clock: (o.clock as Clock | undefined) ?? systemClock,
    leaseClock: o.leaseClock ?? (o.clock === undefined ? 'server' : 'client'),
    writeConcern: o.writeConcern as WriteConcernSettings | undefined,
    readPreference: o.readPreference as ReadPreferenceLike | undefined,
    gridFsThresholdBytes: o.gridFsThresholdBytes ?? DEFAULT_GRIDFS_THRESHOLD_BYTES,
    maxValueBytes: o.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES,
    ensureIndexes: o.ensureIndexes ?? true,
    ttlIndex: o.ttlIndex ?? true,
    pingTimeoutMs: o.pingTimeoutMs ?? DEFAULT_PING_TIMEOUT_MS,
    operationTimeoutMs: o.operationTimeoutMs ?? DEFAULT_OPERATION_TIMEOUT_MS,
    hitFlushMs: o.hitFlushMs ?? DEFAULT_HIT_FLUSH_MS,
  }
}
