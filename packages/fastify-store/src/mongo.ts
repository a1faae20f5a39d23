/**
 * The `mongo` option: reach MongoDB the way the options say (a Db, a client, `fastify.mongo`, or a
 * private `@fastify/mongodb` on a url), then build a `MongoStore` on it.
 */
import { cmError, isCompManagerError, type Store } from '@comp-manager/core'
import type { FastifyInstance } from 'fastify'
import { errorMessage, load, type MongoStoreLike, type OptionalModules } from './modules.js'
import {
  type MongoClientLike,
  type MongoDbLike,
  optionError,
  PLUGIN_NAME,
  type ResolvedMongoOptions,
} from './options.js'

/** A store and how to release it on close (`undefined`: it was given, not opened). */
export interface Opened {
  store: Store
  release: (() => Promise<void>) | undefined
}

/** `fastify.mongo` as `@fastify/mongodb` decorates it (by shape). */
interface FastifyMongoLike {
  client: MongoClientLike
  db?: MongoDbLike
}

type UrlSource = Extract<ResolvedMongoOptions['source'], { kind: 'url' }>

/** Re-throws a store's option error with the option's full name (`sqlite.busyTimeoutMs`). */
export function renameOptionError(err: unknown, prefix: 'sqlite' | 'mongo'): never {
  if (isCompManagerError(err, 'CM_ERR_INVALID_ARGUMENT') && typeof err.details?.option === 'string') {
    optionError(`${prefix}.${err.details.option}`, `is invalid: ${err.message}`, err)
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
  return optionError(
    'mongo.dbName',
    'is required: `fastify.mongo` has no default database (give @fastify/mongodb a `database`, or a url naming one)',
  )
}

/** The `fastify.mongo` to reuse, if the options allow it and there is one; refuses a reuse without one. */
function reusable(
  fastify: FastifyInstance,
  source: ResolvedMongoOptions['source'],
): FastifyMongoLike | undefined {
  if (source.kind !== 'reuse' && !(source.kind === 'url' && source.reuse)) return undefined
  const reuse = existingMongo(fastify)
  if (reuse === undefined && source.kind === 'reuse') {
    optionError(
      'mongo.url',
      'is required: `fastify.mongo` is not registered. Register @fastify/mongodb before this plugin, or pass `mongo.url`, `mongo.client` with `mongo.dbName`, or `mongo.db`',
    )
  }
  if (source.kind === 'url' && reuse !== undefined) {
    fastify.log.debug(
      `${PLUGIN_NAME}: reusing fastify.mongo rather than connecting to \`mongo.url\` (set \`mongo.reuse: false\` to connect)`,
    )
  }
  return reuse
}

/**
 * Connects to `source.url` through a `@fastify/mongodb` of the plugin's own, in an encapsulated child:
 * its `fastify.mongo` stays private (a `@fastify/mongodb` the app registers later does not collide with
 * it), and the child's onClose hook closes the client.
 */
async function connectOwn(
  fastify: FastifyInstance,
  source: UrlSource,
  modules: OptionalModules,
): Promise<MongoClientLike> {
  const { default: fastifyMongodb } = await load(modules, 'fastifyMongodb', 'mongo')
  let mongo: FastifyMongoLike | undefined
  try {
    await fastify.register(async function compStoreMongodb(child) {
      await child.register(fastifyMongodb, {
        ...source.clientOptions,
        url: source.url,
        database: source.dbName,
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
  return mongo.client
}

/** Builds the `MongoStore` (and awaits `init()` unless disabled); on failure closes what was opened. */
async function buildStore(
  MongoStore: new (options: Record<string, unknown>) => MongoStoreLike,
  options: ResolvedMongoOptions,
  connection: Record<string, unknown>,
  ownClient: MongoClientLike | undefined,
): Promise<Opened> {
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

/** Opens the store of the `mongo` option. */
export async function openMongo(
  fastify: FastifyInstance,
  options: ResolvedMongoOptions,
  modules: OptionalModules,
): Promise<Opened> {
  const { source } = options
  const reuse = reusable(fastify, source)
  if (source.kind === 'url' && reuse === undefined && source.dbName === undefined) {
    optionError('mongo.dbName', 'is required when `mongo.url` names no database')
  }
  const { MongoStore } = await load(modules, 'mongoStore', 'mongo')
  if (source.kind === 'db') return buildStore(MongoStore, options, { db: source.db }, undefined)
  if (source.kind === 'client') {
    return buildStore(MongoStore, options, { client: source.client, dbName: source.dbName }, undefined)
  }
  if (reuse !== undefined)
    return buildStore(MongoStore, options, fromExisting(reuse, source.dbName), undefined)
  // Not reusing (checked above): only a url is left.
  const url = source as UrlSource
  const client = await connectOwn(fastify, url, modules)
  return buildStore(MongoStore, options, { client, dbName: url.dbName }, client)
}
