/**
 * An existing Fastify app — a small product catalogue with its own routes, logger, health route and
 * admin token — that adds comp-manager the way a user would: `@comp-manager/fastify-store` (an SQLite
 * file) and `@comp-manager/fastify-cache` (`fastify.cache` and the `/cache` routes), nothing else: no
 * tracker routes, no auth plugin, no composed server.
 */
import { timingSafeEqual } from 'node:crypto'
import { join } from 'node:path'
import fastifyCache from '@comp-manager/fastify-cache'
// Types `fastify.cache`, the plugin's default decorator (the main entry leaves it to @fastify/caching).
import '@comp-manager/fastify-cache/decorator'
import { runHealthChecks } from '@comp-manager/fastify-kit'
import fastifyCompStore from '@comp-manager/fastify-store'
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'

export interface HostAppOptions {
  /** Where the SQLite file goes. Default `./data`. */
  dataDir?: string
  /**
   * The token the app's admins send as `x-admin-token` to reach `/admin/*` (the cache routes among
   * them). Required: without an auth plugin the cache routes would otherwise be open to anyone.
   */
  adminToken: string
  /** How long pricing takes (the "expensive" part), in ms. Default 300. */
  pricingDelayMs?: number
  logger?: FastifyServerOptions['logger']
}

export interface Quote {
  sku: string
  currency: string
  cents: bigint
  computedAt: Date
}

/** The app's own slow function: what the cache is for. */
export async function priceQuote(sku: string, currency: string, delayMs: number): Promise<Quote> {
  await new Promise((resolve) => setTimeout(resolve, delayMs))
  let cents = 1000n
  for (const char of sku) cents = (cents * 31n + BigInt(char.charCodeAt(0))) % 100_000n
  return { sku, currency, cents: cents + 99n, computedAt: new Date() }
}

const sameToken = (given: unknown, expected: Buffer) =>
  typeof given === 'string' &&
  given.length === expected.length &&
  timingSafeEqual(Buffer.from(given), expected)

export async function buildHostApp(options: HostAppOptions): Promise<FastifyInstance> {
  if (typeof options.adminToken !== 'string' || options.adminToken.length < 16) {
    throw new Error('adminToken must be a string of at least 16 characters')
  }
  const adminToken = Buffer.from(options.adminToken)
  const delayMs = options.pricingDelayMs ?? 300
  const app = Fastify({ logger: options.logger ?? false })

  // The app's own access rule for its admin area, checked before any route (the cache routes included).
  app.addHook('onRequest', async (request, reply) => {
    if (!request.url.startsWith('/admin/')) return
    if (!sameToken(request.headers['x-admin-token'], adminToken)) {
      return reply.code(401).send({ error: 'Unauthorized', message: 'x-admin-token required' })
    }
  })

  // 1. The store: one SQLite file, safe for several processes of this app on one machine.
  await app.register(fastifyCompStore, { sqlite: { path: join(options.dataDir ?? './data', 'host-app.db') } })
  // 2. The cache: `app.cache`, and its routes under the app's admin area.
  await app.register(fastifyCache, {
    namespace: 'catalog',
    prefix: '/admin/cache',
    cacheOptions: { ttl: '10m', l1: { max: 1000, ttl: '30s' } },
  })

  // The app's routes, now memoized.
  const quote = app.cache.wrap(
    'priceQuote',
    (sku: string, currency: string) => priceQuote(sku, currency, delayMs),
    {
      version: 1,
      tags: ([sku]) => [`sku:${sku}`],
    },
  )

  app.get<{ Params: { sku: string }; Querystring: { currency?: string } }>(
    '/products/:sku/price',
    {
      schema: {
        params: { type: 'object', properties: { sku: { type: 'string', pattern: '^[A-Z0-9-]{1,32}$' } } },
        querystring: {
          type: 'object',
          properties: { currency: { type: 'string', enum: ['EUR', 'USD'] } },
          additionalProperties: false,
        },
      },
    },
    async (request) => {
      const q = await quote(request.params.sku, request.query.currency ?? 'EUR')
      return {
        sku: q.sku,
        currency: q.currency,
        cents: q.cents.toString(),
        computedAt: q.computedAt.toISOString(),
      }
    },
  )

  // A price change: drop every cached quote of the product (in every process sharing the file).
  app.post<{ Params: { sku: string } }>('/admin/products/:sku/reprice', async (request) => {
    return { dropped: await app.cache.invalidate({ tag: `sku:${request.params.sku}` }) }
  })

  // The app's health route, now including the store and cache checks.
  app.get('/healthz', async (_request, reply) => {
    const report = await runHealthChecks(app)
    return reply.code(report.ok ? 200 : 503).send(report)
  })

  await app.ready()
  return app
}
