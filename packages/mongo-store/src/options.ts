import { type Clock, cmError, describeType, systemClock } from '@comp-manager/core'
import type { Db, MongoClient, MongoClientOptions, ReadPreferenceLike, WriteConcernSettings } from 'mongodb'

/** 1 MiB. */
const MiB = 1024 * 1024

/** Values larger than this many bytes go to GridFS by default (well below the 16 MiB BSON limit). */
export const DEFAULT_GRIDFS_THRESHOLD_BYTES = 8 * MiB
/** The largest inline value allowed: leaves 1 MiB of the 16 MiB BSON document for the metadata. */
export const MAX_GRIDFS_THRESHOLD_BYTES = 15 * MiB
/** Largest encoded cache value accepted by default. */
export const DEFAULT_MAX_VALUE_BYTES = 64 * MiB
/** `ping()` reports a failure when the server does not answer within this many milliseconds. */
export const DEFAULT_PING_TIMEOUT_MS = 5000

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
  /** `ping()` gives up after this many milliseconds (default 5000). */
  pingTimeoutMs?: number
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
  writeConcern: WriteConcernSettings | undefined
  readPreference: ReadPreferenceLike | undefined
  gridFsThresholdBytes: number
  maxValueBytes: number
  ensureIndexes: boolean
  ttlIndex: boolean
  pingTimeoutMs: number
}

const knownOptions = new Set<string>([
  'db',
  'client',
  'url',
  'dbName',
  'clientOptions',
  'computationsCollection',
  'cacheCollection',
  'collectionPrefix',
  'clock',
  'writeConcern',
  'readPreference',
  'gridFsThresholdBytes',
  'bucketName',
  'maxValueBytes',
  'ensureIndexes',
  'ttlIndex',
  'pingTimeoutMs',
])

const readPreferenceModes = ['primary', 'primaryPreferred', 'secondary', 'secondaryPreferred', 'nearest']

function invalid(option: string, message: string): never {
  throw cmError('CM_ERR_INVALID_ARGUMENT', `mongo-store: \`${option}\` ${message}`, { details: { option } })
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null

/** Duck-typed, so a `Db` from another copy of the driver (e.g. `@fastify/mongodb`'s) is accepted. */
function looksLikeDb(value: unknown): value is Db {
  return (
    isObject(value) &&
    typeof value.collection === 'function' &&
    typeof value.command === 'function' &&
    typeof value.databaseName === 'string'
  )
}

function looksLikeClient(value: unknown): value is MongoClient {
  return isObject(value) && typeof value.db === 'function' && typeof value.close === 'function'
}

/** MongoDB database names: no `/\. "$*<>:|?` nor NUL, under 64 bytes. */
const DB_NAME = /^[^/\\. "$*<>:|?\0]{1,63}$/
/** Collection names (after the prefix): no `$`, no NUL, not `system.*`. */
const COLLECTION_NAME = /^(?!system\.)[^$\0]{1,120}$/
const PREFIX = /^[A-Za-z0-9_.-]{0,64}$/

function collectionName(value: unknown, option: string, prefix: string, fallback: string): string {
  if (value === undefined) return prefix + fallback
  if (typeof value !== 'string' || !COLLECTION_NAME.test(prefix + value) || value.length === 0) {
    invalid(option, `must be a collection name (no '$', not 'system.*'), got ${describeType(value)}`)
  }
  return prefix + value
}

function integerOption(value: unknown, option: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    invalid(
      option,
      `must be an integer from ${min} to ${max}, got ${typeof value === 'number' ? value : describeType(value)}`,
    )
  }
  return value
}

function booleanOption(value: unknown, option: string, fallback: boolean): boolean {
  if (value === undefined) return fallback
  if (typeof value !== 'boolean') invalid(option, `must be a boolean, got ${describeType(value)}`)
  return value
}

/** The database named in a connection string's path, if any (`mongodb://h1,h2/db?x=y` → `db`). */
export function dbNameFromUrl(url: string): string | undefined {
  const match = /^mongodb(?:\+srv)?:\/\/[^/?]*\/([^?]*)/.exec(url)
  const name = match?.[1] ? decodeURIComponent(match[1]) : ''
  return name === '' ? undefined : name
}

function dbNameOption(value: unknown): string {
  if (typeof value !== 'string' || !DB_NAME.test(value)) {
    invalid(
      'dbName',
      `must be a MongoDB database name (1-63 characters, none of /\\. "$*<>:|?), got ${describeType(value)}`,
    )
  }
  return value
}

/**
 * Validates `MongoStoreOptions` and fills in defaults. Throws `CM_ERR_INVALID_ARGUMENT` naming the
 * offending option.
 */
export function resolveOptions(options: unknown): ResolvedOptions {
  if (!isObject(options)) {
    throw cmError(
      'CM_ERR_INVALID_ARGUMENT',
      `mongo-store: options must be an object, got ${describeType(options)}`,
    )
  }
  for (const key of Object.keys(options)) {
    if (!knownOptions.has(key)) invalid(key, 'is not an option of MongoStore')
  }
  const o = options as MongoStoreOptions
  const given = (['db', 'client', 'url'] as const).filter((k) => o[k] !== undefined)
  if (given.length === 0) {
    throw cmError(
      'CM_ERR_INVALID_ARGUMENT',
      'mongo-store: one of `db`, `client` (with `dbName`) or `url` is required',
      {
        details: { option: 'url' },
      },
    )
  }
  if (given.length > 1) {
    throw cmError(
      'CM_ERR_INVALID_ARGUMENT',
      `mongo-store: \`${given[0]}\` and \`${given[1]}\` are mutually exclusive: pass one way to reach MongoDB`,
      { details: { option: given[1] } },
    )
  }
  if (o.clientOptions !== undefined && o.url === undefined)
    invalid('clientOptions', 'only applies with `url`')
  if (o.clientOptions !== undefined && !isObject(o.clientOptions))
    invalid('clientOptions', 'must be an object')

  let source: ResolvedOptions['source']
  if (o.db !== undefined) {
    if (!looksLikeDb(o.db))
      invalid('db', `must be a MongoDB Db (from client.db(name)), got ${describeType(o.db)}`)
    if (o.dbName !== undefined)
      invalid('dbName', 'only applies with `client` or `url`: a `db` is already one database')
    source = { kind: 'db', db: o.db }
  } else if (o.client !== undefined) {
    if (!looksLikeClient(o.client)) invalid('client', `must be a MongoClient, got ${describeType(o.client)}`)
    if (o.dbName === undefined)
      invalid('dbName', 'is required with `client`: name the database comp-manager uses')
    source = { kind: 'client', client: o.client, dbName: dbNameOption(o.dbName) }
  } else {
    if (typeof o.url !== 'string' || !/^mongodb(\+srv)?:\/\/\S+$/.test(o.url)) {
      invalid('url', `must be a mongodb:// or mongodb+srv:// connection string, got ${describeType(o.url)}`)
    }
    const dbName = o.dbName ?? dbNameFromUrl(o.url)
    if (dbName === undefined) invalid('dbName', 'is required when `url` names no database')
    source = { kind: 'url', url: o.url, dbName: dbNameOption(dbName), clientOptions: o.clientOptions }
  }

  if (
    o.collectionPrefix !== undefined &&
    (typeof o.collectionPrefix !== 'string' || !PREFIX.test(o.collectionPrefix))
  ) {
    invalid('collectionPrefix', 'must be up to 64 letters, digits, `_`, `.` or `-`')
  }
  const prefix = o.collectionPrefix ?? ''
  const computationsCollection = collectionName(
    o.computationsCollection,
    'computationsCollection',
    prefix,
    DEFAULT_COMPUTATIONS_COLLECTION,
  )
  const cacheCollection = collectionName(
    o.cacheCollection,
    'cacheCollection',
    prefix,
    DEFAULT_CACHE_COLLECTION,
  )
  const bucketName = collectionName(o.bucketName, 'bucketName', prefix, DEFAULT_BUCKET_NAME)
  const names = [computationsCollection, cacheCollection, `${bucketName}.files`, `${bucketName}.chunks`]
  if (new Set(names).size !== names.length) {
    invalid('cacheCollection', `must differ from the other collections (${names.join(', ')})`)
  }

  if (o.clock !== undefined && typeof o.clock !== 'function')
    invalid('clock', 'must be a function returning epoch ms')
  if (o.writeConcern !== undefined && !isObject(o.writeConcern)) {
    invalid('writeConcern', 'must be an object such as { w: "majority" }')
  }
  if (o.readPreference !== undefined) {
    const mode = isObject(o.readPreference) ? o.readPreference.mode : o.readPreference
    if (typeof mode !== 'string' || !readPreferenceModes.includes(mode)) {
      invalid('readPreference', `must be a ReadPreference or one of ${readPreferenceModes.join(', ')}`)
    }
  }
  return {
    source,
    computationsCollection,
    cacheCollection,
    bucketName,
    clock: o.clock ?? systemClock,
    writeConcern: o.writeConcern,
    readPreference: o.readPreference,
    gridFsThresholdBytes: integerOption(
      o.gridFsThresholdBytes,
      'gridFsThresholdBytes',
      DEFAULT_GRIDFS_THRESHOLD_BYTES,
      0,
      MAX_GRIDFS_THRESHOLD_BYTES,
    ),
    maxValueBytes: integerOption(
      o.maxValueBytes,
      'maxValueBytes',
      DEFAULT_MAX_VALUE_BYTES,
      1,
      Number.MAX_SAFE_INTEGER,
    ),
    ensureIndexes: booleanOption(o.ensureIndexes, 'ensureIndexes', true),
    ttlIndex: booleanOption(o.ttlIndex, 'ttlIndex', true),
    pingTimeoutMs: integerOption(o.pingTimeoutMs, 'pingTimeoutMs', DEFAULT_PING_TIMEOUT_MS, 1, 600_000),
  }
}
