import { cmError, isCompManagerError, type Store } from '@comp-manager/core'
import { HEALTH_CHECKS_DECORATOR, registerHealthCheck } from '@comp-manager/fastify-kit'
import { SqliteStore } from '@comp-manager/sqlite-store'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import {
  type FastifyCompStoreOptions,
  invalid,
  type MongoClientLike,
  type MongoDbLike,
  PLUGIN_NAME,
  type ResolvedBackend,
  type ResolvedMongoOptions,
  resolveOptions,
} from './options.js'

/** A `MongoStore` as this plugin uses it (typed by shape: `@comp-manager/mongo-store` is optional). */
export interface MongoStoreLike extends Store {
  init(): Promise<void>
}

/** What the plugin needs from `@comp-manager/mongo-store`. */
export interface MongoStoreModule {
  MongoStore: new (options: Record<string, unknown>) => MongoStoreLike
}

/** What the plugin needs from `@fastify/mongodb` (a CommonJS module: its plugin is the default export). */
export interface FastifyMongodbModule {
  default: FastifyPluginAsync<Record<string, unknown>>
}

/**
 * How the optional peer dependencies are loaded: by dynamic `import()`, and only when the `mongo`
 * option is used. Tests swap these to simulate a missing package or a fake `@fastify/mongodb`.
 */
export interface OptionalModules {
  mongoStore(): Promise<MongoStoreModule>
  fastifyMongodb(): Promise<FastifyMongodbModule>
}

export const defaultModules: OptionalModules = {
  mongoStore: async () => (await import('@comp-manager/mongo-store')) as unknown as MongoStoreModule,
  fastifyMongodb: async () => (await import('@fastify/mongodb')) as unknown as FastifyMongodbModule,
}

/** `fastify.mongo` as `@fastify/mongodb` decorates it (by shape). */
interface FastifyMongoLike {
  client: MongoClientLike
  db?: MongoDbLike
}

const errorMessage = (err: unknown): string => (err instanceof Error ? err.message : String(err))

async function load<T>(loader: () => Promise<T>, pkg: string, install: string): Promise<T> {
  try {
    return await loader()
  } catch (err) {
    const code = (err as { code?: unknown } | null)?.code
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      invalid(
        'mongo',
        `needs the optional package ${pkg}, which is not installed (${errorMessage(err)}): run \`npm install ${install}\``,
        err,
        { package: pkg },
      )
    }
    invalid('mongo', `could not load ${pkg}: ${errorMessage(err)}`, err, { package: pkg })
  }
}

/** Re-throws a store's option error with the option's full name (`sqlite.busyTimeoutMs`). */
function renameOptionError(err: unknown, prefix: 'sqlite' | 'mongo'): never {
  if (isCompManagerError(err, 'CM_ERR_INVALID_ARGUMENT') && typeof err.details?.option === 'string') {
    invalid(`${prefix}.${err.details.option}`, `is invalid: ${err.message}`, err)
  }
  throw err
}

/** The `fastify.mongo` of the instance, when `@fastify/mongodb` is registered and it looks usable. */
function existingMongo(fastify: FastifyInstance): FastifyMongoLike | undefined {
  if (!fastify.hasDecorator('mongo')) return undefined
  const mongo = (fastify as unknown as { mongo?: unknown }).mongo as Partial<FastifyMongoLike> | undefined
  const client = mongo?.client
  if (typeof client?.db !== 'function' || typeof client.close !== 'function') return undefined
  return mongo as FastifyMongoLike
}

function fromExisting(mongo: FastifyMongoLike, dbName: string | undefined): Record<string, unknown> {
  if (dbName !== undefined) return { client: mongo.client, dbName }
  if (mongo.db !== undefined) return { db: mongo.db }
  return invalid(
    'mongo.dbName',
    'is required: `fastify.mongo` has no default database (give @fastify/mongodb a `database`, or a url naming one)',
  )
}

/** A store and how to release it on close (`undefined`: it was given, not opened). */
interface Opened {
  store: Store
  release: (() => Promise<void>) | undefined
}

async function openMongo(
  fastify: FastifyInstance,
  options: ResolvedMongoOptions,
  modules: OptionalModules,
): Promise<Opened> {
  const { source } = options
  let reuse: FastifyMongoLike | undefined
  if (source.kind === 'reuse' || (source.kind === 'url' && source.reuse)) {
    reuse = existingMongo(fastify)
    if (reuse === undefined && source.kind === 'reuse') {
      invalid(
        'mongo.url',
        'is required: `fastify.mongo` is not registered. Register @fastify/mongodb before this plugin, or pass `mongo.url`, `mongo.client` with `mongo.dbName`, or `mongo.db`',
      )
    }
  }
  if (source.kind === 'url' && reuse === undefined && source.dbName === undefined) {
    invalid('mongo.dbName', 'is required when `mongo.url` names no database')
  }

  const { MongoStore } = await load(
    modules.mongoStore,
    '@comp-manager/mongo-store',
    '@comp-manager/mongo-store mongodb',
  )

  let connection: Record<string, unknown>
  /** The client this plugin connected (through its own `@fastify/mongodb`), if any. */
  let ownClient: MongoClientLike | undefined
  if (source.kind === 'db') connection = { db: source.db }
  else if (source.kind === 'client') connection = { client: source.client, dbName: source.dbName }
  else if (reuse !== undefined) {
    if (source.kind === 'url') {
      fastify.log.debug(
        `${PLUGIN_NAME}: reusing fastify.mongo rather than connecting to \`mongo.url\` (set \`mongo.reuse: false\` to connect)`,
      )
    }
    connection = fromExisting(reuse, source.dbName)
  } else if (source.kind === 'url') {
    const { default: fastifyMongodb } = await load(
      modules.fastifyMongodb,
      '@fastify/mongodb',
      '@fastify/mongodb',
    )
    const dbName = source.dbName!
    let mongo: FastifyMongoLike | undefined
    // An encapsulated child: `fastify.mongo` stays private to this plugin (a `@fastify/mongodb` the app
    // registers later does not collide with it), and the child's onClose hook closes the client.
    try {
      await fastify.register(async function compStoreMongodb(child) {
        await child.register(fastifyMongodb, {
          ...source.clientOptions,
          url: source.url,
          database: dbName,
          ...(source.forceClose === undefined ? {} : { forceClose: source.forceClose }),
        })
        mongo = existingMongo(child)
      })
    } catch (err) {
      // The url is not repeated: it may hold credentials.
      throw cmError(
        'CM_ERR_STORE_UNAVAILABLE',
        `${PLUGIN_NAME}: could not connect to \`mongo.url\` through @fastify/mongodb: ${errorMessage(err)}`,
        { cause: err, details: { option: 'mongo.url' } },
      )
    }
    if (mongo === undefined) {
      throw cmError(
        'CM_ERR_STORE_UNAVAILABLE',
        `${PLUGIN_NAME}: @fastify/mongodb did not decorate \`fastify.mongo\``,
      )
    }
    ownClient = mongo.client
    connection = { client: mongo.client, dbName }
  } else {
    // Unreachable: `reuse` without `fastify.mongo` was refused above.
    throw new Error('unreachable')
  }

  const closeOwnClient = async () => {
    await ownClient?.close().catch(() => undefined)
  }
  let store: MongoStoreLike
  try {
    store = new MongoStore({ ...options.settings, ...connection })
  } catch (err) {
    await closeOwnClient()
    renameOptionError(err, 'mongo')
  }
  if (options.init) {
    try {
      await store.init()
    } catch (err) {
      await store.close().catch(() => undefined)
      await closeOwnClient()
      throw err
    }
  }
  // The store never closes a client or db it was given; the client of our own `@fastify/mongodb` is
  // closed by that plugin's onClose hook.
  return { store, release: () => store.close() }
}

async function openStore(
  fastify: FastifyInstance,
  backend: ResolvedBackend,
  modules: OptionalModules,
): Promise<Opened> {
  switch (backend.kind) {
    case 'store':
      return { store: backend.store, release: undefined }
    case 'sqlite': {
      let store: SqliteStore
      try {
        store = new SqliteStore(backend.sqlite)
      } catch (err) {
        renameOptionError(err, 'sqlite')
      }
      return { store, release: () => store.close() }
    }
    case 'mongo':
      return openMongo(fastify, backend.mongo, modules)
  }
}

/**
 * Builds the plugin function (before `fastify-plugin` wraps it). `modules` is a seam for tests: it
 * loads the optional `@comp-manager/mongo-store` and `@fastify/mongodb`.
 */
export function createFastifyCompStore(
  modules: OptionalModules = defaultModules,
): FastifyPluginAsync<FastifyCompStoreOptions> {
  return async function fastifyCompStore(fastify, opts) {
    if (fastify.hasDecorator('compStore')) {
      throw cmError(
        'CM_ERR_INVALID_ARGUMENT',
        `${PLUGIN_NAME}: \`fastify.compStore\` is already decorated: register ${PLUGIN_NAME} once per instance (several stores need one encapsulated context each)`,
        { details: { decorator: 'compStore' } },
      )
    }
    const options = resolveOptions(opts)
    const { healthCheck } = options
    if (
      healthCheck !== false &&
      fastify.hasDecorator(HEALTH_CHECKS_DECORATOR) &&
      fastify.compHealthChecks.has(healthCheck)
    ) {
      invalid(
        'healthCheck',
        `names a check that is already registered (\`${healthCheck}\`): pick another name`,
      )
    }

    const { store, release } = await openStore(fastify, options.backend, modules)
    fastify.decorate('compStore', store)
    if (release !== undefined) {
      fastify.addHook('onClose', async function closeCompStore() {
        await release()
      })
    }
    if (healthCheck !== false) {
      registerHealthCheck(fastify, healthCheck, async () => {
        const ping = await store.ping()
        return {
          ok: ping.ok,
          latencyMs: ping.latencyMs,
          ...(ping.error === undefined ? {} : { error: ping.error }),
          details: { kind: store.kind },
        }
      })
    }
  }
}
