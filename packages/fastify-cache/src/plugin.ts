import { createCache } from '@comp-manager/cache'
import { isCompManagerError } from '@comp-manager/core'
import {
  claimDecorator,
  givenOrCreated,
  type HealthCheckResult,
  healthCheckName,
  pingError,
  refuseLateAuth,
  registerHealthCheck,
} from '@comp-manager/fastify-kit'
import type { FastifyInstance } from 'fastify'
import { CachePluginOptions, type FastifyCacheOptions, PLUGIN_NAME, resolveOptions } from './options.js'
import { cacheRoutes } from './routes.js'
import { DEFAULT_DECORATOR } from './types.js'

/** The plugin function; `index.ts` wraps it with `fastify-plugin`. */
export async function fastifyCachePlugin(
  fastify: FastifyInstance,
  options: FastifyCacheOptions,
): Promise<void> {
  const o = resolveOptions(options)
  const store = claimDecorator(fastify, {
    plugin: PLUGIN_NAME,
    decorator: o.decorator,
    storeDecorator: o.storeDecorator,
    ...(o.decorator === DEFAULT_DECORATOR ? { otherPlugin: '@fastify/caching' } : {}),
  })

  const { instance: cache, owned } = givenOrCreated({
    plugin: PLUGIN_NAME,
    option: 'cache',
    storeVerb: 'lives in',
    given: o.cache,
    store,
    create: () => {
      try {
        return createCache({ logger: fastify.log, ...o.cacheOptions, store, namespace: o.namespace })
      } catch (err) {
        // createCache names the option (`details.option`): report it as `cacheOptions.<name>`.
        if (isCompManagerError(err, 'CM_ERR_INVALID_ARGUMENT') && typeof err.details?.option === 'string') {
          CachePluginOptions.fail(`cacheOptions.${err.details.option}`, `is invalid: ${err.message}`, err)
        }
        throw err
      }
    },
  })
  fastify.decorate(o.decorator, cache)

  // Health: the store answers, and the cache is open.
  let closed = false
  registerHealthCheck(
    fastify,
    healthCheckName(fastify, 'cache', o.namespace),
    async (): Promise<HealthCheckResult> => {
      const ping = await store.ping()
      const error = pingError(ping) ?? (closed ? 'the cache is closed' : undefined)
      return {
        ok: error === undefined,
        latencyMs: ping.latencyMs,
        ...(error === undefined ? {} : { error }),
        details: { namespace: cache.namespace, store: store.kind },
      }
    },
  )

  refuseLateAuth(fastify, PLUGIN_NAME)

  fastify.addHook('onClose', async () => {
    closed = true
    if (owned) await cache.close()
  })

  await fastify.register(cacheRoutes, { prefix: o.prefix, cache, development: o.development })
}
