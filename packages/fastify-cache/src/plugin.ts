import { type Cache, createCache } from '@comp-manager/cache'
import { cmError, isCompManagerError } from '@comp-manager/core'
import { type HealthCheckResult, registerHealthCheck } from '@comp-manager/fastify-store'
import { hasAuth } from '@comp-manager/fastify-store/kit'
import type { FastifyInstance } from 'fastify'
import { type FastifyCacheOptions, invalid, PLUGIN_NAME, resolveOptions } from './options.js'
import { cacheRoutes } from './routes.js'
import './types.js'

/** The plugin function; `index.ts` wraps it with `fastify-plugin`. */
export async function fastifyCachePlugin(
  fastify: FastifyInstance,
  options: FastifyCacheOptions,
): Promise<void> {
  const o = resolveOptions(options)
  if (fastify.hasDecorator('cache')) {
    throw cmError(
      'CM_ERR_INVALID_ARGUMENT',
      `${PLUGIN_NAME}: \`fastify.cache\` is already decorated (by this plugin, or another one such as @fastify/caching): register ${PLUGIN_NAME} once per instance (or in separate encapsulated contexts)`,
      { details: { decorator: 'cache' } },
    )
  }
  if (!fastify.hasDecorator('compStore')) {
    throw cmError(
      'CM_ERR_INVALID_ARGUMENT',
      `${PLUGIN_NAME}: \`fastify.compStore\` is missing: register @comp-manager/fastify-store first`,
      { details: { decorator: 'compStore' } },
    )
  }
  const store = fastify.compStore

  let cache: Cache
  let owned: boolean
  if (o.cache !== undefined) {
    if (o.cache.store !== store) {
      invalid(
        'cache',
        'lives in another store than fastify.compStore: register @comp-manager/fastify-store with { store: cache.store }',
      )
    }
    cache = o.cache
    owned = false
  } else {
    try {
      cache = createCache({ logger: fastify.log, ...o.cacheOptions, store, namespace: o.namespace })
    } catch (err) {
      // createCache names the option (`details.option`): report it as `cacheOptions.<name>`.
      if (isCompManagerError(err, 'CM_ERR_INVALID_ARGUMENT') && typeof err.details?.option === 'string') {
        invalid(`cacheOptions.${err.details.option}`, `is invalid: ${err.message}`, err)
      }
      throw err
    }
    owned = true
  }
  fastify.decorate('cache', cache)

  // Health: the store answers, and the cache is open.
  let closed = false
  const checkName =
    fastify.hasDecorator('compHealthChecks') && fastify.compHealthChecks.has('cache')
      ? `cache:${o.namespace}`
      : 'cache'
  registerHealthCheck(fastify, checkName, async (): Promise<HealthCheckResult> => {
    const ping = await store.ping()
    const error = !ping.ok
      ? `store unreachable${ping.error === undefined ? '' : `: ${ping.error}`}`
      : closed
        ? 'the cache is closed'
        : undefined
    return {
      ok: error === undefined,
      latencyMs: ping.latencyMs,
      ...(error === undefined ? {} : { error }),
      details: { namespace: cache.namespace, store: store.kind },
    }
  })

  // Routes are protected when an auth plugin is registered before this one; one registered later
  // would leave them open (or, since requests then carry no identity, answering 404): refuse to start.
  const protectedRoutes = hasAuth(fastify)
  fastify.addHook('onReady', async () => {
    if (!protectedRoutes && hasAuth(fastify)) {
      throw cmError(
        'CM_ERR_INVALID_ARGUMENT',
        `${PLUGIN_NAME}: an auth plugin (fastify.authorize) was registered after ${PLUGIN_NAME}: register it before, so the routes are protected`,
        { details: { decorator: 'authorize' } },
      )
    }
  })

  fastify.addHook('onClose', async () => {
    closed = true
    if (owned) await cache.close()
  })

  await fastify.register(cacheRoutes, { prefix: o.prefix, cache, development: o.development })
}
