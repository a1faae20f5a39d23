import { createHmac } from 'node:crypto'
import { createRequire } from 'node:module'
import { type Codec, defaultCodec, type Store, toHttpError } from '@comp-manager/core'
import fastifyAuth, { redactPaths } from '@comp-manager/fastify-auth'
import fastifyCache, { cacheOf } from '@comp-manager/fastify-cache'
import { createErrorHandler } from '@comp-manager/fastify-kit'
import fastifyMetrics from '@comp-manager/fastify-metrics'
import fastifyCompStore, { type FastifyCompStoreOptions } from '@comp-manager/fastify-store'
import fastifyTracker from '@comp-manager/fastify-tracker'
import fastifyWebhooks from '@comp-manager/fastify-webhooks'
import fastifyWorker from '@comp-manager/fastify-worker'
import fastifyCompress from '@fastify/compress'
import fastifyCors from '@fastify/cors'
import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyServerOptions,
  type RouteOptions,
} from 'fastify'
import type { Redis } from 'ioredis'
import { gateLargeBodies } from './body-gate.js'
import { limitSmallBodies } from './body-limits.js'
import type { ServerConfig } from './config.js'
import { type DashboardPlugin, registerDashboard } from './dashboard.js'
import { type DocTag, defaultTags, registerDocs } from './docs.js'
import { RouteNotFoundError } from './errors.js'
import { registerEventRetention } from './event-retention.js'
import { healthRoutes } from './health.js'
import { guardJsonBodies } from './json-budget.js'
import { BufferedLogStream } from './log-stream.js'
import { cacheRedis, identifyCaller, registerRateLimit } from './rate-limit.js'
import { genReqId, REQUEST_ID_HEADER } from './request-id.js'
import { RequestLogController } from './request-log.js'
import { registerSecurityHeaders } from './security-headers.js'
import { type Drainable, installShutdown, type ShutdownControl } from './shutdown.js'

/** Prefix of the REST routes (`/api/v1/computations`, `/api/v1/cache`, `/api/v1/auth/token`). */
export const API_PREFIX = '/api/v1'

/** The version of this package (shown in the OpenAPI document and `/health/detailed`). */
export const version: string = (createRequire(import.meta.url)('../package.json') as { version: string })
  .version

/** How long `/health/detailed` waits for one check. */
export const HEALTH_CHECK_TIMEOUT_MS = 2000

export interface BuildAppOptions {
  /**
   * A Store to serve instead of the configured SQLite file or MongoDB (tests pass core's `MemoryStore`).
   * The app never closes a store it is given.
   */
  store?: Store
  /**
   * Fastify's `logger` option. Default: pino at `config.logLevel`, credential headers redacted. One log
   * line per request (`request completed`: `method`, `url`, `statusCode`, `responseTime`, `requestId`);
   * `fastify.disableRequestLogging` turns them off (all, or per request with a function).
   */
  logger?: FastifyServerOptions['logger']
  /**
   * Registers more routes under `/api/v1` (the example server's demo routes, a test's route). They get
   * the rate limit, the error shape, request ids and the OpenAPI document; protect them with
   * `api.authorize(role)` when `config.auth` is on.
   */
  routes?: (api: FastifyInstance) => void | Promise<void>
  /**
   * The dashboard plugin to mount at `/dashboard` when `config.dashboard` is on; default
   * `@comp-manager/dashboard`'s, imported then (an optional peer dependency).
   */
  dashboard?: DashboardPlugin
  /** More tags for the OpenAPI document (for the routes added by `routes`). */
  tags?: DocTag[]
  /**
   * Trackers, caches or workers you create yourself: on `close()` they are drained with the app's own
   * (their running computations get the rest of `config.shutdownTimeoutMs`, then are marked `lost`).
   */
  drain?: Drainable[]
  /** Called for every route as it is added (Fastify's `onRoute` hook, installed before any plugin). */
  onRoute?: (route: RouteOptions & { routePath: string; path: string; prefix: string }) => void
  /**
   * A Redis client for the rate limits and the cache's invalidation channel instead of connections
   * opened from `config.redisUrl` (not closed by the app).
   */
  redis?: Redis
  /** Other Fastify server options (`bodyLimit`, `connectionTimeout`, `disableRequestLogging`…). */
  fastify?: Omit<
    FastifyServerOptions,
    'logger' | 'genReqId' | 'requestIdHeader' | 'logController' | 'trustProxy' | 'return503OnClosing'
  >
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Set by `@comp-manager/server`'s `buildApp`: the configuration it was built with. */
    compConfig: ServerConfig
    /** Set by `@comp-manager/server`'s `buildApp`: whether `close()` has been called. */
    compShutdown: ShutdownControl
  }
}

function storeOptions(config: ServerConfig, store: Store | undefined): FastifyCompStoreOptions {
  if (store !== undefined) return { store }
  if (config.store.kind === 'mongo') {
    return {
      mongo: {
        url: config.store.url,
        ...(config.store.dbName === undefined ? {} : { dbName: config.store.dbName }),
        clientOptions: config.store.clientOptions,
        operationTimeoutMs: config.store.operationTimeoutMs,
      },
    }
  }
  return { sqlite: { path: config.store.path } }
}

/** Fastify's options: logging, request ids, proxies, closing, router limits, the framework errors' body. */
function serverOptionsOf(
  config: ServerConfig,
  options: BuildAppOptions,
  development: boolean,
  logStream: BufferedLogStream | undefined,
): FastifyServerOptions {
  // Fastify's `disableRequestLogging` is read by our log controller (Fastify deprecates passing both).
  const { disableRequestLogging, ...fastify } = options.fastify ?? {}
  return {
    bodyLimit: config.limits.bodyLimit,
    ...fastify,
    logger: options.logger ?? {
      level: config.logLevel,
      redact: { paths: [...redactPaths], censor: '[redacted]' },
      stream: logStream,
    },
    genReqId,
    requestIdHeader: false,
    logController: new RequestLogController(disableRequestLogging),
    // Fastify's types omit the hop count it accepts (proxy-addr's `trust` takes one).
    trustProxy: config.trustProxy as FastifyServerOptions['trustProxy'],
    // Requests arriving while closing get our own 503 (installShutdown), in the standard error body.
    return503OnClosing: false,
    // installShutdown closes idle connections itself, after a grace period: a request already sent
    // on a keep-alive connection but not yet read by the server counts as "idle" to Node, and closing
    // it at once would reset a request the client sent before the shutdown began.
    forceCloseConnections: false,
    // Ids and cache keys are up to 256 characters (the stores' limit); longer ones are refused below.
    routerOptions: { ...options.fastify?.routerOptions, maxParamLength: 300 },
    // Errors Fastify's router raises before any hook (a too-long path parameter, a malformed URL)
    // get the same error body as everything else.
    frameworkErrors: (error, request, reply) => {
      const { statusCode, body } = toHttpError(error, { requestId: String(request.id), development })
      // The reply of a framework error is untyped (no route, no schema).
      const raw = reply as unknown as FastifyReply
      raw.code(statusCode).header(REQUEST_ID_HEADER, request.id).send(body)
    },
  }
}

/**
 * The request id (`x-request-id`) and helmet's security headers, with the CSP OWASP recommends for an
 * API: JSON is never a page, so nothing may load or frame it. (Swagger UI's routes replace it with their
 * own, see docs.ts.) Shorter than helmet's default page policy too, and free of
 * `upgrade-insecure-requests`, which breaks plain-HTTP development.
 */
function registerResponseHeaders(app: FastifyInstance): void {
  registerSecurityHeaders(
    app,
    {
      contentSecurityPolicy: {
        useDefaults: false,
        directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
      },
    },
    REQUEST_ID_HEADER,
  )
}

/** CORS (when `corsOrigins` is set) and compression. */
async function registerHttpBasics(app: FastifyInstance, config: ServerConfig): Promise<void> {
  if (config.corsOrigins !== null) {
    await app.register(fastifyCors, {
      origin: config.corsOrigins,
      methods: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE'],
      allowedHeaders: ['authorization', 'content-type', 'x-api-key', REQUEST_ID_HEADER, 'last-event-id'],
      exposedHeaders: [
        REQUEST_ID_HEADER,
        'retry-after',
        'x-ratelimit-limit',
        'x-ratelimit-remaining',
        'x-ratelimit-reset',
        'location',
      ],
      credentials: false,
      maxAge: 600,
    })
  }
  // A GET or HEAD body is never read, so those routes skip the request decompression hook.
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method]
    if (route.decompress === undefined && methods.every((m) => m === 'GET' || m === 'HEAD')) {
      route.decompress = false
    }
  })
  await app.register(fastifyCompress, { global: true, threshold: 1024 })
}

/**
 * The codec that decodes request `args` under the configured budgets: core's `defaultCodec` itself when
 * they are its own (so that types registered on it later still decode), else a copy with those limits.
 */
export function requestCodec(config: ServerConfig): Codec {
  const { maxDepth, ...budget } = config.limits.codec
  const same =
    maxDepth === defaultCodec.maxDepth &&
    Object.entries(budget).every(([name, max]) => defaultCodec.budget[name as keyof typeof budget] === max)
  return same ? defaultCodec : defaultCodec.withLimits(config.limits.codec)
}

/** The comp-manager plugins: the store, auth (unless disabled), the tracker, the worker protocol and the cache under `/api/v1`. */
async function registerCompManager(
  app: FastifyInstance,
  config: ServerConfig,
  store: Store | undefined,
  development: boolean,
  redis: Redis | undefined,
): Promise<void> {
  await app.register(fastifyCompStore, storeOptions(config, store))
  // The event log's periodic prune (nothing else bounds it): from onReady to preClose.
  registerEventRetention(app, config.events)
  if (config.auth !== null) {
    const { auth } = config
    await app.register(fastifyAuth, {
      secret: auth.secret,
      issuer: auth.issuer,
      audience: auth.audience,
      expiresIn: auth.expiresIn,
      // Development tokens (the example server prints one) never work on a production server.
      acceptDevelopmentTokens: config.env !== 'production',
      ...(auth.apiKeys.length > 0 ? { apiKeys: auth.apiKeys } : {}),
      routes: { prefix: `${API_PREFIX}/auth` },
    })
  }
  // Metrics after the store (its operations are measured) and auth; before the routes they measure.
  if (config.metrics != null) {
    const { token, port, host } = config.metrics
    await app.register(fastifyMetrics, {
      namespaces: [config.namespace],
      ...(token === null ? {} : { token }),
      ...(port === null ? {} : { port, host }),
    })
  }
  // Lease tokens are signed with a key derived from the JWT secret, so every instance of a fleet sharing
  // JWT_SECRET accepts the others' tokens; without auth, a random key of this process.
  const leaseSecret =
    config.auth === null
      ? undefined
      : createHmac('sha256', config.auth.secret).update('comp-manager leases').digest('hex')
  const lease = leaseSecret === undefined ? {} : { leaseSecret }
  await app.register(fastifyTracker, {
    namespace: config.namespace,
    prefix: `${API_PREFIX}/computations`,
    eventsPrefix: `${API_PREFIX}/events`,
    codec: requestCodec(config),
    sse: config.limits.sse,
    development,
    ...lease,
  })
  // The worker protocol (claim, heartbeat, complete, fail, release; GET /workers) under /api/v1.
  await app.register(fastifyWorker, {
    namespace: config.namespace,
    prefix: API_PREFIX,
    development,
    ...lease,
  })
  // The cache lives in `config.namespace` too: its fill runs are settled with the tracker's below.
  await app.register(fastifyCache, {
    namespace: config.namespace,
    prefix: `${API_PREFIX}/cache`,
    development,
    ...cacheRedis(config, redis),
  })
  const webhooks = config.webhooks
  if (webhooks?.enabled !== false) {
    await app.register(fastifyWebhooks, {
      namespace: config.namespace,
      prefix: API_PREFIX,
      development,
      ...(webhooks === undefined
        ? {}
        : {
            deliver: webhooks.deliver,
            allowPrivateTargets: webhooks.allowPrivateTargets,
            timeoutMs: webhooks.timeoutMs,
            concurrency: webhooks.concurrency,
            subscriptions: webhooks.subscriptions,
          }),
    })
  }
}

/**
 * Builds the comp-manager server: a ready Fastify instance with, in this order, request ids, the one
 * error shape, security headers (helmet's), `@fastify/cors` (when `corsOrigins` is set), `@fastify/compress`,
 * `@fastify/rate-limit`, `@fastify/swagger` (+ UI at `/docs`), `@comp-manager/fastify-store` (the
 * configured store), `@comp-manager/fastify-auth` (unless disabled), `@comp-manager/fastify-tracker`,
 * `@comp-manager/fastify-worker` and `@comp-manager/fastify-cache` under `/api/v1`, and `/health` + `/health/detailed`.
 *
 * It does not listen: call `app.listen()`, or use `startServer()` for signals and graceful shutdown.
 * `app.close()` drains in-flight requests (bounded by `config.shutdownTimeoutMs`), settles this
 * process's running computations and closes the plugins.
 */
export async function buildApp(
  config: ServerConfig,
  options: BuildAppOptions = {},
): Promise<FastifyInstance> {
  // Internal messages and stacks of 5xx errors are shown in development only (not in test, not in production).
  const development = config.env === 'development'
  // The default logger's lines are written in batches (see BufferedLogStream), flushed on close.
  const logStream = options.logger === undefined ? new BufferedLogStream() : undefined
  const app: FastifyInstance = Fastify(serverOptionsOf(config, options, development, logStream))
  if (logStream !== undefined) app.addHook('onClose', async () => logStream.close())
  try {
    app.decorate('compConfig', config)
    if (options.onRoute !== undefined) app.addHook('onRoute', options.onRoute)
    limitSmallBodies(app, options.fastify?.bodyLimit ?? config.limits.bodyLimit)
    guardJsonBodies(app, config.limits.codec)
    gateLargeBodies(app)

    // 1. Request ids and security headers (helmet's): on every response, before anything can fail.
    // One hook for both (a hook per concern costs a dispatch per request).
    registerResponseHeaders(app)
    const shutdown = installShutdown(app, { timeoutMs: config.shutdownTimeoutMs })
    app.decorate('compShutdown', shutdown.control)

    // 2. One error shape for everything that reaches the root (plugins set the same in their contexts).
    app.setErrorHandler(createErrorHandler({ development }))

    // 3. CORS, compression.
    await registerHttpBasics(app, config)

    // 4. Rate limits (before every route, so route configs such as /auth/token's are read) and docs.
    await registerRateLimit(app, config, options.redis)
    // Verified identities key the rate limits. Added before any plugin, so every route inherits it, and
    // app-level onRequest hooks run before the routes' own (the limit). `authenticate` comes with the auth
    // plugin, registered below.
    if (config.auth !== null) app.addHook('onRequest', identifyCaller(app))
    // The `auth` tag only when its routes exist (POST /auth/token needs API keys).
    const authRoutes = config.auth !== null && config.auth.apiKeys.length > 0
    const tags = [...defaultTags.filter((tag) => tag.name !== 'auth' || authRoutes), ...(options.tags ?? [])]
    await registerDocs(app, config, { version, tags })

    // 5. The comp-manager plugins.
    await registerCompManager(app, config, options.store, development, options.redis)

    // 6. Routes of the host (demo routes, tests), under /api/v1.
    if (options.routes !== undefined) {
      const routes = options.routes
      await app.register(
        async (api) => {
          await routes(api)
        },
        { prefix: API_PREFIX },
      )
    }

    // 7. Health, the dashboard (when on) and 404.
    await registerDashboard(app, config, options.dashboard)
    await app.register(healthRoutes, { version, timeoutMs: HEALTH_CHECK_TIMEOUT_MS })
    app.setNotFoundHandler({ preHandler: app.rateLimit() }, async (request) => {
      const path = (request.url.split('?')[0] ?? '').slice(0, 200)
      throw new RouteNotFoundError(request.method, path)
    })

    // 8. On close, after the HTTP server has drained: settle this process's runs, then (hooks run
    // last-registered-first) the plugins close their trackers, caches and the store.
    shutdown.settleOnClose(() => [app.tracker, cacheOf(app), ...(options.drain ?? [])])
    if (app.hasDecorator('compMetrics')) {
      app.compMetrics.observeTracker(app.tracker)
      // The runs of HTTP workers, as this process's protocol routes end them (claim, complete, fail, recovery).
      app.compMetrics.observeWorker(app.workerProtocol)
      app.compMetrics.observeCache(cacheOf(app))
    }

    await app.ready()
    return app
  } catch (err) {
    await app.close().catch(() => undefined)
    throw err
  }
}
