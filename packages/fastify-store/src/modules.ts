/**
 * The optional peer dependencies — the store packages and `@fastify/mongodb` — loaded by dynamic
 * `import()` only when the option that needs them is used. Typed by shape, so this package's
 * declarations import nothing from them.
 */
import { cmError, type Store } from '@comp-manager/core'
import type { FastifyPluginAsync } from 'fastify'
import { PLUGIN_NAME } from './options.js'

/** A `SqliteStore` class as this plugin uses it. */
export interface SqliteStoreModule {
  SqliteStore: new (options: Record<string, unknown>) => Store
}

/** A `MongoStore` as this plugin uses it. */
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
 * How the optional peer dependencies are loaded: by dynamic `import()`, and only when the `sqlite` or
 * `mongo` option is used. Tests swap these to simulate a missing package or a fake `@fastify/mongodb`.
 */
export interface OptionalModules {
  sqliteStore(): Promise<SqliteStoreModule>
  mongoStore(): Promise<MongoStoreModule>
  fastifyMongodb(): Promise<FastifyMongodbModule>
}

export const defaultModules: OptionalModules = {
  sqliteStore: async () => (await import('@comp-manager/sqlite-store')) as unknown as SqliteStoreModule,
  mongoStore: async () => (await import('@comp-manager/mongo-store')) as unknown as MongoStoreModule,
  fastifyMongodb: async () => (await import('@fastify/mongodb')) as unknown as FastifyMongodbModule,
}

export const errorMessage = (err: unknown): string => (err instanceof Error ? err.message : String(err))

/** The package each optional module comes from, and what to install for it. */
const packages = {
  sqliteStore: { pkg: '@comp-manager/sqlite-store', install: '@comp-manager/sqlite-store' },
  mongoStore: { pkg: '@comp-manager/mongo-store', install: '@comp-manager/mongo-store mongodb' },
  fastifyMongodb: { pkg: '@fastify/mongodb', install: '@fastify/mongodb' },
} as const

/**
 * Loads one optional module for `option`; a missing package is a `CM_ERR_INVALID_ARGUMENT` naming it and
 * what to install (`details: { option, package }`).
 */
export async function load<K extends keyof OptionalModules>(
  modules: OptionalModules,
  name: K,
  option: 'sqlite' | 'mongo',
): Promise<Awaited<ReturnType<OptionalModules[K]>>> {
  const { pkg, install } = packages[name]
  const fail = (problem: string, cause: unknown): never => {
    throw cmError('CM_ERR_INVALID_ARGUMENT', `${PLUGIN_NAME}: \`${option}\` ${problem}`, {
      cause,
      details: { option, package: pkg },
    })
  }
  try {
    return (await modules[name]()) as Awaited<ReturnType<OptionalModules[K]>>
  } catch (err) {
    const code = (err as { code?: unknown } | null)?.code
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      fail(
        `needs the optional package ${pkg}, which is not installed (${errorMessage(err)}): run \`npm install ${install}\``,
        err,
      )
    }
    return fail(`could not load ${pkg}: ${errorMessage(err)}`, err)
  }
}
