import {
  type CacheStore,
  type Clock,
  type ComputationStore,
  cmError,
  describeType,
  type Store,
} from '@comp-manager/core'
import type { SqliteStoreOptions } from '@comp-manager/sqlite-store'

export const PLUGIN_NAME = '@comp-manager/fastify-store'

/**
 * A MongoDB `Db` (e.g. `client.db('app')` or `fastify.mongo.db`), by shape: a `Db` of any copy of
 * the driver fits, and this package's types do not need `mongodb` installed.
 */
export interface MongoDbLike {
  readonly databaseName: string
  collection(name: string, options?: object): unknown
  command(command: object, options?: object): Promise<unknown>
}

/** A `MongoClient` (e.g. `fastify.mongo.client`), by shape. */
export interface MongoClientLike {
  db(dbName?: string, options?: object): MongoDbLike
  close(force?: boolean): Promise<void>
}

/** A write concern (`{ w: 'majority' }`, or the driver's `WriteConcern`). */
export interface WriteConcernLike {
  w?: number | string
  j?: boolean
  journal?: boolean
  wtimeout?: number
  wtimeoutMS?: number
  fsync?: boolean | 1
}

/**
 * The options of `@comp-manager/mongo-store`'s `MongoStore` other than how to reach MongoDB. They are
 * passed through and validated by `MongoStore`; see its README for each one.
 */
export interface MongoStoreSettings {
  /** Name of the computations collection (default `computations`), after `collectionPrefix`. */
  computationsCollection?: string
  /** Name of the cache collection (default `cache_entries`), after `collectionPrefix`. */
  cacheCollection?: string
  /** Prepended to every collection and bucket name, e.g. `staging_`. */
  collectionPrefix?: string
  /** Epoch-ms clock for timestamps, leases and expiry (default `Date.now`). */
  clock?: Clock
  /** Write concern of every write; `{ w: 'majority' }` for multi-machine use. */
  writeConcern?: WriteConcernLike
  /** Read preference of listings and plain reads: a mode name or a driver `ReadPreference`. */
  readPreference?: string | { mode: string }
  /** Values of more bytes than this are stored in GridFS (default 8 MiB). */
  gridFsThresholdBytes?: number
  /** GridFS bucket of large values (default `cache_values`). */
  bucketName?: string
  /** Largest encoded cache value accepted, in bytes (default 64 MiB). */
  maxValueBytes?: number
  /** Create the indexes on first use or in `init()` (default true). */
  ensureIndexes?: boolean
  /** Create the TTL index of expired cache entries (default true). */
  ttlIndex?: boolean
  /** `ping()` gives up after this many milliseconds (default 5000). */
  pingTimeoutMs?: number
  /** Cache hit counts are written in one bulk write every `hitFlushMs` (default 1000). */
  hitFlushMs?: number
}

/** Settings of the `mongo` option that belong to this plugin, not to `MongoStore`. */
export interface MongoPluginSettings {
  /**
   * Await `store.init()` during registration (connect if needed, create the indexes), so a server that
   * cannot be reached or a conflicting index fails `ready()`. Default `true`. With `false` nothing is
   * sent to MongoDB until the first operation.
   */
  init?: boolean
}

/** `mongo: { url }`: a connection string; the plugin connects through `@fastify/mongodb` (unless it can reuse `fastify.mongo`). */
export interface MongoUrlOptions extends MongoStoreSettings, MongoPluginSettings {
  /** A `mongodb://` or `mongodb+srv://` connection string. */
  url: string
  /** The database (default: the one named in the url's path; required when the url names none). */
  dbName?: string
  /** `MongoClientOptions` of the client the plugin opens (pool size, TLS, timeouts…). */
  clientOptions?: object
  /** `@fastify/mongodb`'s `forceClose`: passed to `client.close()` on shutdown (ignored by driver 7). */
  forceClose?: boolean
  /**
   * Use `fastify.mongo` when it exists, rather than opening a connection from `url`. Default `true`.
   * Set `false` to keep a separate connection, e.g. to another cluster than the app's.
   */
  reuse?: boolean
  client?: never
  db?: never
}

/** `mongo: { client, dbName }`: a client the host owns; never closed by the plugin. */
export interface MongoClientOptionsForm extends MongoStoreSettings, MongoPluginSettings {
  client: MongoClientLike
  dbName: string
  url?: never
  db?: never
}

/** `mongo: { db }`: a database the host owns; never closed by the plugin. */
export interface MongoDbOptionsForm extends MongoStoreSettings, MongoPluginSettings {
  db: MongoDbLike
  url?: never
  client?: never
  dbName?: never
}

/** `mongo: {}` (or `{ dbName }`): reuse the `fastify.mongo` registered by `@fastify/mongodb`. */
export interface MongoReuseOptions extends MongoStoreSettings, MongoPluginSettings {
  /** The database on `fastify.mongo.client` (default: `fastify.mongo.db`). */
  dbName?: string
  url?: undefined
  client?: undefined
  db?: undefined
}

/** The `mongo` option: one way to reach MongoDB, plus `MongoStore` settings. */
export type FastifyCompStoreMongoOptions =
  | MongoUrlOptions
  | MongoClientOptionsForm
  | MongoDbOptionsForm
  | MongoReuseOptions

/** The `sqlite` option: `SqliteStoreOptions` (`path` defaults to `./data/comp-manager.db`). */
export type FastifyCompStoreSqliteOptions = SqliteStoreOptions

/** Options that apply whatever the backend. */
export interface FastifyCompStoreCommonOptions {
  /**
   * Name of the store's check in `fastify.compHealthChecks` (default `'store'`); `false` registers none.
   * Give each store its own name when several instances share one registry.
   */
  healthCheck?: string | false
}

/** Options of `fastifyCompStore`: exactly one of `sqlite`, `mongo` or `store`. */
export type FastifyCompStoreOptions = FastifyCompStoreCommonOptions &
  (
    | { sqlite: FastifyCompStoreSqliteOptions; mongo?: never; store?: never }
    | { mongo: FastifyCompStoreMongoOptions; sqlite?: never; store?: never }
    | { store: Store; sqlite?: never; mongo?: never }
  )

/** Where the store comes from, after validation. */
export type ResolvedBackend =
  | { kind: 'store'; store: Store }
  | { kind: 'sqlite'; sqlite: SqliteStoreOptions }
  | { kind: 'mongo'; mongo: ResolvedMongoOptions }

/** The options after validation. */
export interface ResolvedOptions {
  backend: ResolvedBackend
  healthCheck: string | false
}

export interface ResolvedMongoOptions {
  source:
    | { kind: 'db'; db: MongoDbLike }
    | { kind: 'client'; client: MongoClientLike; dbName: string }
    /** `dbName` from the option or the url (`undefined`: none, which only reusing `fastify.mongo.db` can fill). */
    | {
        kind: 'url'
        url: string
        dbName: string | undefined
        clientOptions: object | undefined
        forceClose: boolean | undefined
        reuse: boolean
      }
    | { kind: 'reuse'; dbName: string | undefined }
  init: boolean
  /** Everything else, for `new MongoStore(...)`. */
  settings: Record<string, unknown>
}

/** Options Fastify itself reads from the object given to `register()`; they are not ours to refuse. */
const fastifyRegisterOptions = new Set(['prefix', 'logLevel', 'logSerializers'])
const commonOptions = new Set(['healthCheck'])
const HEALTH_CHECK_NAME = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/
const backends = ['sqlite', 'mongo', 'store'] as const

/** Throws `CM_ERR_INVALID_ARGUMENT` whose message and `details.option` name the option. */
export function invalid(
  option: string,
  message: string,
  cause?: unknown,
  details: Record<string, unknown> = {},
): never {
  throw cmError('CM_ERR_INVALID_ARGUMENT', `${PLUGIN_NAME}: \`${option}\` ${message}`, {
    details: { option, ...details },
    ...(cause === undefined ? {} : { cause }),
  })
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

// ---- the Store port, method by method --------------------------------------------------------------

type Exhaustive<All, Listed> = [Exclude<All, Listed>] extends [never] ? true : Exclude<All, Listed>
type Methods<T> = {
  [K in keyof T]-?: NonNullable<T[K]> extends (...args: never[]) => unknown ? K : never
}[keyof T]

const storeMethods = ['ping', 'close'] as const
const computationMethods = [
  'create',
  'get',
  'getByHash',
  'claim',
  'update',
  'heartbeat',
  'expire',
  'findExpired',
  'list',
  'delete',
] as const
const cacheMethods = ['get', 'set', 'delete', 'invalidate', 'list', 'stats', 'purgeExpired'] as const
/** Methods a store may leave out; checked when present. */
const optionalCacheMethods = ['flush'] as const

// Compile-time guards: a method added to a port must be added to the lists above.
const portsCovered: [
  Exhaustive<Methods<Store>, (typeof storeMethods)[number]>,
  Exhaustive<Methods<ComputationStore>, (typeof computationMethods)[number]>,
  Exhaustive<Methods<CacheStore>, (typeof cacheMethods)[number] | (typeof optionalCacheMethods)[number]>,
] = [true, true, true]
void portsCovered

/**
 * The problems that keep `value` from being a `Store` (every method of the port, `kind` and
 * `capabilities`), as a list of `path: problem`; empty when it fits.
 */
export function storeProblems(value: unknown): string[] {
  if (!isObject(value)) return [`is ${describeType(value)}, not an object`]
  const problems: string[] = []
  const fn = (owner: Record<string, unknown>, name: string, path: string) => {
    if (typeof owner[name] !== 'function')
      problems.push(`${path} is ${describeType(owner[name])}, not a function`)
  }
  if (typeof value.kind !== 'string' || value.kind === '')
    problems.push(`kind is ${describeType(value.kind)}, not a name`)
  const caps = value.capabilities
  if (!isObject(caps)) problems.push(`capabilities is ${describeType(caps)}, not an object`)
  else {
    for (const flag of ['multiProcess', 'multiMachine'] as const) {
      if (typeof caps[flag] !== 'boolean')
        problems.push(`capabilities.${flag} is ${describeType(caps[flag])}, not a boolean`)
    }
    if (typeof caps.maxValueBytes !== 'number')
      problems.push(`capabilities.maxValueBytes is ${describeType(caps.maxValueBytes)}, not a number`)
  }
  for (const name of storeMethods) fn(value, name, name)
  const computations = value.computations
  if (!isObject(computations)) problems.push(`computations is ${describeType(computations)}, not an object`)
  else for (const name of computationMethods) fn(computations, name, `computations.${name}`)
  const cache = value.cache
  if (!isObject(cache)) problems.push(`cache is ${describeType(cache)}, not an object`)
  else {
    for (const name of cacheMethods) fn(cache, name, `cache.${name}`)
    for (const name of optionalCacheMethods) if (cache[name] !== undefined) fn(cache, name, `cache.${name}`)
  }
  return problems
}

// ---- option validation ---------------------------------------------------------------------------

const MONGO_URL = /^mongodb(\+srv)?:\/\/\S+$/

/** The database named in a connection string's path, if any (`mongodb://h1,h2/db?x=y` → `db`). */
export function dbNameFromUrl(url: string): string | undefined {
  const match = /^mongodb(?:\+srv)?:\/\/[^/?]*\/([^?]*)/.exec(url)
  const name = match?.[1] ? decodeURIComponent(match[1]) : ''
  return name === '' ? undefined : name
}

function resolveSqlite(value: unknown): SqliteStoreOptions {
  if (!isObject(value)) {
    invalid(
      'sqlite',
      `must be an object of SqliteStore options, e.g. { path: './data/comp-manager.db' } (got ${describeType(value)})`,
    )
  }
  if (value.path !== undefined && (typeof value.path !== 'string' || value.path.trim() === '')) {
    invalid('sqlite.path', `must be a non-empty file path or ':memory:' (got ${describeType(value.path)})`)
  }
  return { ...value } as SqliteStoreOptions
}

function looksLikeDb(value: unknown): value is MongoDbLike {
  return (
    isObject(value) &&
    typeof value.collection === 'function' &&
    typeof value.command === 'function' &&
    typeof value.databaseName === 'string'
  )
}

function looksLikeClient(value: unknown): value is MongoClientLike {
  return isObject(value) && typeof value.db === 'function' && typeof value.close === 'function'
}

function booleanOption(value: unknown, option: string): boolean | undefined {
  if (value !== undefined && typeof value !== 'boolean')
    invalid(option, `must be a boolean (got ${describeType(value)})`)
  return value
}

function resolveMongo(value: unknown): ResolvedMongoOptions {
  if (!isObject(value)) {
    invalid(
      'mongo',
      `must be an object: { url }, { client, dbName }, { db }, or {} to reuse fastify.mongo (got ${describeType(value)})`,
    )
  }
  const { url, client, db, dbName, clientOptions, forceClose, reuse, init, ...settings } = value
  const given = (['url', 'client', 'db'] as const).filter((k) => value[k] !== undefined)
  if (given.length > 1) {
    invalid(
      `mongo.${given[1]}`,
      `cannot be combined with \`mongo.${given[0]}\`: pass one way to reach MongoDB (url, client + dbName, or db)`,
    )
  }
  if (dbName !== undefined && (typeof dbName !== 'string' || dbName === '')) {
    invalid('mongo.dbName', `must be a database name (got ${describeType(dbName)})`)
  }
  if (url === undefined) {
    for (const [name, option] of [
      ['clientOptions', clientOptions],
      ['forceClose', forceClose],
      ['reuse', reuse],
    ] as const) {
      if (option !== undefined) invalid(`mongo.${name}`, 'only applies with `mongo.url`')
    }
  }
  const resolvedInit = booleanOption(init, 'mongo.init') ?? true
  let source: ResolvedMongoOptions['source']
  if (db !== undefined) {
    if (!looksLikeDb(db))
      invalid('mongo.db', `must be a MongoDB Db, e.g. client.db('app') (got ${describeType(db)})`)
    if (dbName !== undefined)
      invalid('mongo.dbName', 'does not apply with `mongo.db`: a Db is already one database')
    source = { kind: 'db', db }
  } else if (client !== undefined) {
    if (!looksLikeClient(client))
      invalid('mongo.client', `must be a MongoClient (got ${describeType(client)})`)
    if (dbName === undefined)
      invalid('mongo.dbName', 'is required with `mongo.client`: name the database to use')
    source = { kind: 'client', client, dbName: dbName as string }
  } else if (url !== undefined) {
    if (typeof url !== 'string' || !MONGO_URL.test(url)) {
      invalid(
        'mongo.url',
        `must be a mongodb:// or mongodb+srv:// connection string (got ${describeType(url)})`,
      )
    }
    if (clientOptions !== undefined && !isObject(clientOptions)) {
      invalid(
        'mongo.clientOptions',
        `must be an object of MongoClient options (got ${describeType(clientOptions)})`,
      )
    }
    source = {
      kind: 'url',
      url,
      dbName: (dbName as string | undefined) ?? dbNameFromUrl(url),
      clientOptions: clientOptions as object | undefined,
      forceClose: booleanOption(forceClose, 'mongo.forceClose'),
      reuse: booleanOption(reuse, 'mongo.reuse') ?? true,
    }
  } else {
    source = { kind: 'reuse', dbName: dbName as string | undefined }
  }
  return { source, init: resolvedInit, settings }
}

/**
 * Validates the plugin options; every error is `CM_ERR_INVALID_ARGUMENT` and names the option. The
 * backend's own options (`sqlite.*`, `mongo.*` settings) are checked again by the store itself.
 */
export function resolveOptions(options: unknown): ResolvedOptions {
  if (!isObject(options)) {
    throw cmError(
      'CM_ERR_INVALID_ARGUMENT',
      `${PLUGIN_NAME}: options must be an object with one of \`sqlite\`, \`mongo\` or \`store\` (got ${describeType(options)})`,
      { details: { option: 'sqlite | mongo | store' } },
    )
  }
  const unknown = Object.keys(options).filter(
    (key) =>
      !(backends as readonly string[]).includes(key) &&
      !fastifyRegisterOptions.has(key) &&
      !commonOptions.has(key),
  )
  if (unknown.length > 0) {
    invalid(
      unknown[0]!,
      `is not an option (expected exactly one of ${backends.map((b) => `\`${b}\``).join(', ')})`,
    )
  }
  const given = backends.filter((key) => options[key] !== undefined)
  if (given.length === 0) {
    throw cmError(
      'CM_ERR_INVALID_ARGUMENT',
      `${PLUGIN_NAME}: one of \`sqlite\`, \`mongo\` or \`store\` is required, e.g. { sqlite: { path: './data/comp-manager.db' } }`,
      { details: { option: 'sqlite | mongo | store' } },
    )
  }
  if (given.length > 1) {
    invalid(
      given[1]!,
      `cannot be combined with \`${given[0]}\`: pass exactly one of \`sqlite\`, \`mongo\` or \`store\``,
    )
  }
  const healthCheck = options.healthCheck ?? 'store'
  if (healthCheck !== false && (typeof healthCheck !== 'string' || !HEALTH_CHECK_NAME.test(healthCheck))) {
    invalid(
      'healthCheck',
      `must be a check name (1-64 letters, digits, '_', '.', ':' or '-') or false (got ${describeType(healthCheck)})`,
    )
  }
  return { backend: resolveBackend(given[0]!, options), healthCheck: healthCheck as string | false }
}

function resolveBackend(kind: (typeof backends)[number], options: Record<string, unknown>): ResolvedBackend {
  switch (kind) {
    case 'store': {
      const problems = storeProblems(options.store)
      if (problems.length > 0) {
        invalid('store', `must implement the Store port of @comp-manager/core: ${problems.join('; ')}`)
      }
      return { kind: 'store', store: options.store as Store }
    }
    case 'sqlite':
      return { kind: 'sqlite', sqlite: resolveSqlite(options.sqlite) }
    case 'mongo':
      return { kind: 'mongo', mongo: resolveMongo(options.mongo) }
  }
}
