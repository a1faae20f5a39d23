import type { PluginCacheOptions } from '@comp-manager/fastify-cache'
import { registerHealthCheck } from '@comp-manager/fastify-kit'
import fastifyRateLimit, { type errorResponseBuilderContext, normalizeIP } from '@fastify/rate-limit'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Redis } from 'ioredis'
import { DEFAULT_REDIS_CHANNEL_PREFIX } from './config/rate-limit.js'
import type { ServerConfig } from './config.js'
import { RateLimitedError } from './errors.js'

/** Prefix of the rate-limit keys in Redis. */
export const REDIS_KEY_PREFIX = 'comp-manager:rate-limit:'

interface Identity {
  subject: string
  via: string
  keyId?: string
}

/**
 * The rate-limit key of a request: the API key's id or the token's subject once the request is
 * authenticated (so every caller has its own budget, whatever its address), the client address
 * otherwise (IPv6 grouped by /64, as `@fastify/rate-limit` does). Unverified credentials never pick
 * the key: a forged token counts against its sender's address.
 */
export function rateLimitKey(request: FastifyRequest): string {
  const auth = (request as { auth?: Identity | null }).auth
  if (auth) return auth.via === 'api-key' && auth.keyId ? `key:${auth.keyId}` : `sub:${auth.subject}`
  return `ip:${normalizeIP(request.ip)}`
}

/** The 429 thrown when a caller is over its limit; rendered by the error handler. */
function rateLimited(_request: FastifyRequest, context: errorResponseBuilderContext): Error {
  const error = new RateLimitedError(context.after)
  Object.assign(error, {
    details: { limit: context.max, retryAfterSeconds: Math.max(1, Math.ceil(context.ttl / 1000)) },
  })
  return error
}

const hasCredentials = (request: FastifyRequest): boolean =>
  request.headers.authorization !== undefined || request.headers['x-api-key'] !== undefined

/**
 * An `onRequest` hook (added before the routes' own hooks, so before the rate limit) that verifies the
 * credentials of a request that carries some, so the limit can be keyed by identity. A failure is not
 * answered here: the route's own `authorize` preHandler answers 401 (and a public route ignores it).
 */
export function identifyCaller(fastify: FastifyInstance) {
  type Authenticate = (r: FastifyRequest, p: FastifyReply) => Promise<void>
  // Looked up on first use: the auth plugin may be registered after this hook is added.
  let authenticate: Authenticate | undefined
  return function identifyCallerHook(
    request: FastifyRequest,
    reply: FastifyReply,
    done: (err?: Error) => void,
  ): void {
    authenticate ??= (fastify as unknown as { authenticate?: Authenticate }).authenticate
    if (authenticate === undefined || !hasCredentials(request)) {
      done()
      return
    }
    authenticate(request, reply).then(
      () => done(),
      () => {
        reply.removeHeader('www-authenticate')
        done()
      },
    )
  }
}

export interface RateLimitSetup {
  /** The Redis client the limits are stored in, when `REDIS_URL` is set (closed with the app). */
  redis: Redis | null
}

/**
 * Registers `@fastify/rate-limit` with the server's defaults: a global limit per caller
 * (`RATE_LIMIT_MAX` per `RATE_LIMIT_WINDOW`), stricter per-route limits through `config.rateLimit`, the
 * 429 in the standard error body with `retry-after`, and Redis as the store when `REDIS_URL` is set
 * (in memory otherwise: per instance). Must be registered before the routes it limits.
 */
export async function registerRateLimit(
  fastify: FastifyInstance,
  config: ServerConfig,
  redisClient?: Redis,
): Promise<RateLimitSetup> {
  let redis: Redis | null = redisClient ?? null
  if (redis === null && config.redisUrl !== null) {
    // The settings @fastify/rate-limit recommends: fail fast rather than queue when Redis is away.
    redis = new Redis(config.redisUrl, {
      connectTimeout: 500,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
    })
    const own = redis
    own.on('error', (err: Error) =>
      fastify.log.warn({ err: { message: err.message } }, 'redis (rate limits) error'),
    )
    fastify.addHook('onClose', async () => {
      await own.quit().catch(() => own.disconnect())
    })
  }
  if (redis !== null) {
    const client = redis
    registerHealthCheck(fastify, 'redis', async () => {
      const started = performance.now()
      await client.ping()
      return { ok: true, latencyMs: Math.round((performance.now() - started) * 1000) / 1000 }
    })
  }
  await fastify.register(fastifyRateLimit, {
    global: true,
    max: config.rateLimit.max,
    timeWindow: config.rateLimit.timeWindowMs,
    keyGenerator: rateLimitKey,
    errorResponseBuilder: rateLimited,
    // Redis unreachable: let requests through (and log) rather than answer 500 to everyone.
    skipOnError: true,
    ...(redis === null ? {} : { redis, nameSpace: REDIS_KEY_PREFIX }),
  })
  return { redis }
}

/**
 * The cache's Redis accelerator (`@comp-manager/cache`'s `redis` option) when `REDIS_URL` is set or a
 * client is given: the cache publishes its deletes and invalidations on `REDIS_CHANNEL` + namespace, so
 * the L1 of every process listening there drops them at once (the event log remains the truth).
 */
export function cacheRedis(config: ServerConfig, client?: Redis): { cacheOptions?: PluginCacheOptions } {
  const channelPrefix = config.redisChannel ?? DEFAULT_REDIS_CHANNEL_PREFIX
  if (client !== undefined) return { cacheOptions: { redis: { client, channelPrefix } } }
  if (config.redisUrl === null) return {}
  return { cacheOptions: { redis: { url: config.redisUrl, channelPrefix } } }
}
