/**
 * `@comp-manager/fastify-store`: registers a comp-manager Store on a Fastify instance as
 * `fastify.compStore` (SQLite by default, MongoDB through `@fastify/mongodb`, or any `Store`), with a
 * health check and a clean shutdown that closes only what the plugin opened.
 */

import type { Store } from '@comp-manager/core'
import { decoratorOf, STORE_DECORATOR } from '@comp-manager/fastify-kit'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'
import type { FastifyCompStoreOptions } from './options.js'
import { PLUGIN_NAME } from './options.js'
import { createFastifyCompStore } from './plugin.js'
import '@comp-manager/fastify-kit'

export {
  DEFAULT_SQLITE_PATH,
  type FastifyCompStoreCommonOptions,
  type FastifyCompStoreMongoOptions,
  type FastifyCompStoreOptions,
  type FastifyCompStoreSqliteOptions,
  type MongoClientLike,
  type MongoClientOptionsForm,
  type MongoDbLike,
  type MongoDbOptionsForm,
  type MongoPluginSettings,
  type MongoReuseOptions,
  type MongoUrlOptions,
  PLUGIN_NAME,
  type StoreSettings,
} from './options.js'
export { storeProblems } from './store-port.js'

/**
 * The plugin: `app.register(fastifyCompStore, { sqlite: { path } } | { mongo: … } | { store })`.
 * Decorates `fastify.compStore` (or `fastify[decorator]`) and registers the `store` health check.
 */
export const fastifyCompStore: FastifyPluginAsync<FastifyCompStoreOptions> = fp(createFastifyCompStore(), {
  fastify: '5.x',
  name: PLUGIN_NAME,
})

export default fastifyCompStore

/**
 * `{ [Name]: Store }`, to type the store under the name chosen with the `decorator` option (the default
 * `fastify.compStore` is typed by `@comp-manager/fastify-kit`):
 * `declare module 'fastify' { interface FastifyInstance extends StoreDecorator<'jobsStore'> {} }`.
 */
export type StoreDecorator<Name extends string = typeof STORE_DECORATOR> = { [K in Name]: Store }

/** The store the plugin decorated under `decorator` (default `'compStore'`), typed, whatever the name. */
export function storeOf(fastify: FastifyInstance, decorator: string = STORE_DECORATOR): Store {
  return decoratorOf<Store>(fastify, decorator, PLUGIN_NAME)
}
