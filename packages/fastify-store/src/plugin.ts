import { cmError, type Store } from '@comp-manager/core'
import { HEALTH_CHECKS_DECORATOR, registerHealthCheck } from '@comp-manager/fastify-kit'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import { defaultModules, load, type OptionalModules } from './modules.js'
import { type Opened, openMongo, renameOptionError } from './mongo.js'
import {
  type FastifyCompStoreOptions,
  optionError,
  PLUGIN_NAME,
  type ResolvedBackend,
  resolveOptions,
} from './options.js'

export {
  defaultModules,
  type FastifyMongodbModule,
  type MongoStoreLike,
  type MongoStoreModule,
  type OptionalModules,
  type SqliteStoreModule,
} from './modules.js'

async function openStore(
  fastify: FastifyInstance,
  backend: ResolvedBackend,
  modules: OptionalModules,
): Promise<Opened> {
  switch (backend.kind) {
    case 'store':
      return { store: backend.store, release: undefined }
    case 'sqlite': {
      const { SqliteStore } = await load(modules, 'sqliteStore', 'sqlite')
      let store: Store
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

/** The `store` health check: the store's `ping()`, with its latency and kind. */
function registerStoreCheck(fastify: FastifyInstance, name: string, store: Store): void {
  registerHealthCheck(fastify, name, async () => {
    const ping = await store.ping()
    return {
      ok: ping.ok,
      latencyMs: ping.latencyMs,
      ...(ping.error === undefined ? {} : { error: ping.error }),
      details: { kind: store.kind },
    }
  })
}

/**
 * Builds the plugin function (before `fastify-plugin` wraps it). `modules` is a seam for tests: it
 * loads the optional `@comp-manager/sqlite-store`, `@comp-manager/mongo-store` and `@fastify/mongodb`.
 */
export function createFastifyCompStore(
  modules: OptionalModules = defaultModules,
): FastifyPluginAsync<FastifyCompStoreOptions> {
  return async function fastifyCompStore(fastify, opts) {
    const { backend, healthCheck, decorator } = resolveOptions(opts)
    if (fastify.hasDecorator(decorator)) {
      throw cmError(
        'CM_ERR_INVALID_ARGUMENT',
        `${PLUGIN_NAME}: \`fastify.${decorator}\` is already decorated: register ${PLUGIN_NAME} once per instance (several stores need one encapsulated context each, or each its own \`decorator\`)`,
        { details: { decorator } },
      )
    }
    if (
      healthCheck !== false &&
      fastify.hasDecorator(HEALTH_CHECKS_DECORATOR) &&
      fastify.compHealthChecks.has(healthCheck)
    ) {
      optionError(
        'healthCheck',
        `names a check that is already registered (\`${healthCheck}\`): pick another name`,
      )
    }

    const { store, release } = await openStore(fastify, backend, modules)
    fastify.decorate(decorator, store)
    if (release !== undefined) {
      fastify.addHook('onClose', async function closeCompStore() {
        await release()
      })
    }
    if (healthCheck !== false) registerStoreCheck(fastify, healthCheck, store)
  }
}
