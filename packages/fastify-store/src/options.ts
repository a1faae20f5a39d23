import { cmError, describeType, type Store } from '@comp-manager/core'
import { defineOptions, InstanceSchema, isPlainObject } from '@comp-manager/core/options'
import { decoratorName, HealthCheckNameSchema, STORE_DECORATOR } from '@comp-manager/fastify-kit'
import { type StaticDecode, type TSchemaOptions, Type } from 'typebox'
import { isObject, storeProblems } from './store-port.js'

export const PLUGIN_NAME = '@comp-manager/fastify-store'

/** Default `sqlite.path`, relative to the working directory (the default of `@comp-manager/sqlite-store`). */
export const DEFAULT_SQLITE_PATH = './data/comp-manager.db'

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

/**
 * The store's own settings (`SqliteStore`'s `busyTimeoutMs`, `MongoStore`'s `collectionPrefix`…), passed
 * through to it and checked by it when it is built; its errors name the option (`sqlite.busyTimeoutMs`).
 * Open on purpose: this package's types do not depend on either store package. For typed settings,
 * build the store yourself and pass it: `{ store: createMongoStore({ … }) }`.
 */
export interface StoreSettings {
  // biome-ignore lint/suspicious/noExplicitAny: `unknown` would refuse an interface-typed value (SqliteStoreOptions has no implicit index signature)
  [setting: string]: any
}

/** `sqlite`: the database file, plus `SqliteStore`'s own settings (`busyTimeoutMs`, `database`, `clock`…). */
export interface FastifyCompStoreSqliteOptions extends StoreSettings {
  /** The database file (default `./data/comp-manager.db`, `DEFAULT_SQLITE_PATH`), or `':memory:'`. */
  path?: string
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
export interface MongoUrlOptions extends StoreSettings, MongoPluginSettings {
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

/** Keys that apply with `mongo.url` only. */
interface NoUrlSettings {
  clientOptions?: never
  forceClose?: never
  reuse?: never
}

/** `mongo: { client, dbName }`: a client the host owns; never closed by the plugin. */
export interface MongoClientOptionsForm extends StoreSettings, MongoPluginSettings, NoUrlSettings {
  client: MongoClientLike
  dbName: string
  url?: never
  db?: never
}

/** `mongo: { db }`: a database the host owns; never closed by the plugin. */
export interface MongoDbOptionsForm extends StoreSettings, MongoPluginSettings, NoUrlSettings {
  db: MongoDbLike
  url?: never
  client?: never
  dbName?: never
}

/** `mongo: {}` (or `{ dbName }`): reuse the `fastify.mongo` registered by `@fastify/mongodb`. */
export interface MongoReuseOptions extends StoreSettings, MongoPluginSettings, NoUrlSettings {
  /** The database on `fastify.mongo.client` (default: `fastify.mongo.db`). */
  dbName?: string
  url?: undefined
  client?: undefined
  db?: undefined
}

/** The `mongo` option: one way to reach MongoDB, plus `MongoStore`'s own settings. */
export type FastifyCompStoreMongoOptions =
  | MongoUrlOptions
  | MongoClientOptionsForm
  | MongoDbOptionsForm
  | MongoReuseOptions

/** Options that apply whatever the backend. */
export interface FastifyCompStoreCommonOptions {
  /**
   * Name of the store's check in `fastify.compHealthChecks` (default `'store'`); `false` registers none.
   * Give each store its own name when several instances share one registry.
   */
  healthCheck?: string | false
  /**
   * The name to decorate the store under: `fastify[decorator]`. Default `'compStore'`; the route
   * plugins then take the same name as `storeDecorator`.
   */
  decorator?: string
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
  /** The `sqlite` option as given, for `new SqliteStore(...)`. */
  | { kind: 'sqlite'; sqlite: Record<string, unknown> }
  | { kind: 'mongo'; mongo: ResolvedMongoOptions }

/** The options after validation. */
export interface ResolvedOptions {
  backend: ResolvedBackend
  healthCheck: string | false
  decorator: string
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

const backends = ['sqlite', 'mongo', 'store'] as const
const mongoSources = ['url', 'client', 'db'] as const
const MONGO_URL = /^mongodb(\+srv)?:\/\/\S+$/

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

/** Anything: Fastify's own registration options (`prefix`, `logLevel`…) arrive with ours. */
const FastifyOwn = Type.Optional(Type.Unknown())

const MongoSchema = Type.Object(
  {
    // Its form is checked after parsing, in words that never repeat it (a url may hold credentials).
    url: Type.Optional(
      Type.String({ expected: 'a mongodb:// or mongodb+srv:// connection string' } as TSchemaOptions),
    ),
    client: Type.Optional(
      InstanceSchema<MongoClientLike>(
        (value) => (looksLikeClient(value) ? undefined : 'must be a MongoClient'),
        'a MongoClient',
      ),
    ),
    db: Type.Optional(
      InstanceSchema<MongoDbLike>(
        (value) => (looksLikeDb(value) ? undefined : "must be a MongoDB Db, e.g. client.db('app')"),
        'a MongoDB Db',
      ),
    ),
    dbName: Type.Optional(Type.String({ minLength: 1, expected: 'a database name' } as TSchemaOptions)),
    clientOptions: Type.Optional(Type.Object({}, { additionalProperties: true })),
    forceClose: Type.Optional(Type.Boolean()),
    reuse: Type.Optional(Type.Boolean()),
    init: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: true },
)

/**
 * The options' one schema. Only what the plugin itself uses is declared: the rest of `sqlite` and
 * `mongo` is the store's own settings, which the store checks when it is built.
 */
const StoreOptions = defineOptions(
  Type.Object(
    {
      sqlite: Type.Optional(
        Type.Object(
          {
            path: Type.Optional(
              Type.String({
                pattern: '\\S',
                expected: "a non-empty file path or ':memory:'",
              } as TSchemaOptions),
            ),
          },
          { additionalProperties: true },
        ),
      ),
      mongo: Type.Optional(MongoSchema),
      store: Type.Optional(
        InstanceSchema<Store>((value) => {
          const problems = storeProblems(value)
          return problems.length === 0
            ? undefined
            : `must implement the Store port of @comp-manager/core: ${problems.join('; ')}`
        }, 'a Store'),
      ),
      healthCheck: Type.Optional(
        Type.Union([Type.Literal(false), HealthCheckNameSchema], {
          expected: "a check name (1-64 letters, digits, '_', '.', ':' or '-') or false",
        } as TSchemaOptions),
      ),
      decorator: Type.Optional(decoratorName(STORE_DECORATOR)),
      prefix: FastifyOwn,
      logLevel: FastifyOwn,
      logSerializers: FastifyOwn,
    },
    { additionalProperties: false },
  ),
  { package: PLUGIN_NAME },
)

type Parsed = StaticDecode<typeof StoreOptions.schema>

/** Throws the `CM_ERR_INVALID_ARGUMENT` of option `path` (`details: { option, package }`). */
export const optionError: (path: string, problem: string, cause?: unknown) => never = StoreOptions.fail

/** Throws when `value` gives more than one of `keys` (naming the second one). */
function exclusive(value: Record<string, unknown>, keys: readonly string[], at = ''): void {
  const given = keys.filter((key) => value[key] !== undefined)
  if (given.length > 1) {
    optionError(
      `${at}${given[1]}`,
      at === ''
        ? `cannot be combined with \`${given[0]}\`: pass exactly one of \`sqlite\`, \`mongo\` or \`store\``
        : `cannot be combined with \`${at}${given[0]}\`: pass one way to reach MongoDB (url, client + dbName, or db)`,
    )
  }
}

/** The database named in a connection string's path, if any (`mongodb://h1,h2/db?x=y` → `db`). */
export function dbNameFromUrl(url: string): string | undefined {
  const match = /^mongodb(?:\+srv)?:\/\/[^/?]*\/([^?]*)/.exec(url)
  const name = match?.[1] ? decodeURIComponent(match[1]) : ''
  return name === '' ? undefined : name
}

/** The `mongo` option, checked across its keys; connection objects and settings are read as given. */
function resolveMongo(
  parsed: NonNullable<Parsed['mongo']>,
  given: Record<string, unknown>,
): ResolvedMongoOptions {
  const { url, client, db, dbName, clientOptions, forceClose, reuse, init, ...settings } = given
  if (url === undefined) {
    for (const name of ['clientOptions', 'forceClose', 'reuse'] as const) {
      if (given[name] !== undefined) optionError(`mongo.${name}`, 'only applies with `mongo.url`')
    }
  }
  const common = { init: parsed.init ?? true, settings }
  if (db !== undefined) {
    if (dbName !== undefined)
      optionError('mongo.dbName', 'does not apply with `mongo.db`: a Db is already one database')
    return { ...common, source: { kind: 'db', db: db as MongoDbLike } }
  }
  if (client !== undefined) {
    if (dbName === undefined)
      optionError('mongo.dbName', 'is required with `mongo.client`: name the database to use')
    return {
      ...common,
      source: { kind: 'client', client: client as MongoClientLike, dbName: parsed.dbName! },
    }
  }
  if (parsed.url === undefined) return { ...common, source: { kind: 'reuse', dbName: parsed.dbName } }
  if (!MONGO_URL.test(parsed.url)) {
    optionError('mongo.url', 'must be a mongodb:// or mongodb+srv:// connection string (got another string)')
  }
  const source = {
    kind: 'url' as const,
    url: parsed.url,
    dbName: parsed.dbName ?? dbNameFromUrl(parsed.url),
    clientOptions: clientOptions as object | undefined,
    forceClose: parsed.forceClose,
    reuse: parsed.reuse ?? true,
  }
  return { ...common, source }
}

/**
 * Validates the plugin options; every error is `CM_ERR_INVALID_ARGUMENT` and names the option. The
 * backend's own settings (the rest of `sqlite` and `mongo`) are checked by the store itself.
 */
export function resolveOptions(options: unknown): ResolvedOptions {
  if (!isPlainObject(options)) {
    throw cmError(
      'CM_ERR_INVALID_ARGUMENT',
      `${PLUGIN_NAME}: options must be an object with one of \`sqlite\`, \`mongo\` or \`store\` (got ${describeType(options)})`,
      { details: { option: 'sqlite | mongo | store' } },
    )
  }
  // Which backend, and which way to reach MongoDB, before the shape of each.
  exclusive(options, backends)
  if (isPlainObject(options.mongo)) exclusive(options.mongo, mongoSources, 'mongo.')
  const parsed = StoreOptions.parse(options)
  const common = {
    healthCheck: parsed.healthCheck ?? 'store',
    decorator: parsed.decorator ?? STORE_DECORATOR,
  }
  if (options.store !== undefined)
    return { backend: { kind: 'store', store: options.store as Store }, ...common }
  if (parsed.sqlite !== undefined) {
    return { backend: { kind: 'sqlite', sqlite: { ...(options.sqlite as object) } }, ...common }
  }
  if (parsed.mongo !== undefined) {
    const mongo = resolveMongo(parsed.mongo, options.mongo as Record<string, unknown>)
    return { backend: { kind: 'mongo', mongo }, ...common }
  }
  throw cmError(
    'CM_ERR_INVALID_ARGUMENT',
    `${PLUGIN_NAME}: one of \`sqlite\`, \`mongo\` or \`store\` is required, e.g. { sqlite: { path: './data/comp-manager.db' } }`,
    { details: { option: 'sqlite | mongo | store' } },
  )
}
