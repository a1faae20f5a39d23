/**
 * `fastifyMetrics`: the prom-client registry and its metrics, the HTTP hooks, the instrumented store,
 * the observers of trackers, workers and caches, and `GET /metrics` (on the app, or on a port of its own).
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import { cmError, type Store } from '@comp-manager/core'
import { authContractOf, createErrorHandler } from '@comp-manager/fastify-kit'
import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifySchema,
} from 'fastify'
import { collectDefaultMetrics } from 'prom-client'
import { instrumentHttp } from './http.js'
import { CompMetrics, type QueueCounts } from './metrics.js'
import { type EmitterLike, observeCache, observeTracker, observeWorker } from './observe.js'
import { PLUGIN_NAME, type ResolvedMetricsOptions, resolveOptions } from './options.js'
import { instrumentStore } from './store.js'
import { loadOtel, Tracing } from './tracing.js'

/** `fastify.compMetrics` (or the name given as the `decorator` option). */
export interface MetricsService {
  readonly metrics: CompMetrics
  readonly tracing: Tracing
  /** Counts and traces the runs of a tracker of this process; returns the stop function. */
  observeTracker(tracker: EmitterLike): () => void
  /** Counts and traces the jobs a worker of this process runs (continuing their submits' traces). */
  observeWorker(worker: EmitterLike): () => void
  /** Counts a cache's hits, misses and fills (with fill times). */
  observeCache(cache: EmitterLike): () => void
  /** The Prometheus text of the registry. */
  scrape(): Promise<string>
  /** The separate server's address (`port` option), once the app is ready; `null` without one. */
  address(): { host: string; port: number } | null
}

/**
 * `{ [Name]: MetricsService }`, to type the decorator under the name chosen with the `decorator` option:
 * `declare module 'fastify' { interface FastifyInstance extends MetricsDecorator<'metrics'> {} }`.
 */
export type MetricsDecorator<Name extends string = 'compMetrics'> = { [K in Name]: MetricsService }

declare module 'fastify' {
  interface FastifyInstance {
    /** Set by `@comp-manager/fastify-metrics`. */
    compMetrics: MetricsService
  }
}

const digest = (text: string) => createHash('sha256').update(text).digest()

/** The preHandler checking `authorization: Bearer <token>` (constant time, on digests). */
function bearerCheck(token: string) {
  const expected = digest(token)
  return async (request: FastifyRequest) => {
    const header = request.headers.authorization
    const given = typeof header === 'string' && /^bearer /i.test(header) ? header.slice(7).trim() : null
    if (given === null || !timingSafeEqual(digest(given), expected)) {
      throw cmError('CM_ERR_UNAUTHORIZED', 'GET /metrics needs the metrics bearer token')
    }
  }
}

function queueCounter(store: Store, namespaces: string[]): () => Promise<QueueCounts> {
  let last: QueueCounts = { queued: 0, running: 0 }
  const count = async (status: 'queued' | 'started') =>
    (await store.computations.list({ namespace: namespaces, status, perPage: 1, include: [] })).total
  return async () => {
    try {
      const [queued, running] = await Promise.all([count('queued'), count('started')])
      last = { queued, running }
    } catch {
      // A store that fails a scrape keeps the last counts (its errors are in the store histogram).
    }
    return last
  }
}

function addRoute(
  target: FastifyInstance,
  opts: ResolvedMetricsOptions,
  service: MetricsService,
  app: FastifyInstance,
) {
  const contract = opts.token === null && opts.port === null ? authContractOf(app) : undefined
  if (opts.token === null && opts.port === null && contract === undefined) {
    throw cmError(
      'CM_ERR_INVALID_ARGUMENT',
      `${PLUGIN_NAME}: \`${opts.path}\` would be open to anyone: set \`token\`, register an auth plugin before this one, or serve it on its own \`port\``,
      { details: { option: 'token', package: PLUGIN_NAME } },
    )
  }
  const preHandler =
    opts.token !== null
      ? [bearerCheck(opts.token)]
      : contract !== undefined
        ? [contract.authorize(opts.role)]
        : []
  // `hide`: kept out of the OpenAPI document (@fastify/swagger reads it); it is not a JSON API route.
  const schema = { hide: true } as FastifySchema
  target.get(opts.path, { schema, preHandler }, async (_request, reply: FastifyReply) => {
    const text = await service.scrape()
    return reply.type(opts.registry.contentType).header('cache-control', 'no-store').send(text)
  })
}

export async function fastifyMetrics(fastify: FastifyInstance, options: unknown): Promise<void> {
  const opts = resolveOptions(options)
  if (fastify.hasDecorator(opts.decorator)) {
    throw cmError(
      'CM_ERR_INVALID_ARGUMENT',
      `${PLUGIN_NAME}: \`fastify.${opts.decorator}\` is already decorated: register it once per instance, or under another \`decorator\``,
      { details: { decorator: opts.decorator } },
    )
  }
  const tracing = new Tracing(opts.tracing ? await loadOtel() : null)
  const hasStore = fastify.hasDecorator(opts.storeDecorator)
  const original = hasStore
    ? ((fastify as unknown as Record<string, Store>)[opts.storeDecorator] as Store)
    : undefined
  const metrics = new CompMetrics(
    opts.registry,
    opts.maxFunctions,
    original === undefined ? undefined : queueCounter(original, opts.namespaces),
  )
  if (opts.defaultMetrics) collectDefaultMetrics({ register: opts.registry })
  if (original !== undefined && opts.instrumentStore) {
    ;(fastify as unknown as Record<string, Store>)[opts.storeDecorator] = instrumentStore(original, {
      metrics,
      tracing,
    })
  }
  const store = original
  const stops: (() => void)[] = []
  let separate: FastifyInstance | null = null
  const ctx = () => ({ metrics, tracing, ...(store === undefined ? {} : { store }) })
  const service: MetricsService = {
    metrics,
    tracing,
    observeTracker: (t) => remember(stops, observeTracker(t, ctx())),
    observeWorker: (w) => remember(stops, observeWorker(w, ctx())),
    observeCache: (c) => remember(stops, observeCache(c, ctx())),
    scrape: () => opts.registry.metrics(),
    address: () => {
      const a = separate?.server.address()
      return a === null || a === undefined || typeof a === 'string' ? null : { host: a.address, port: a.port }
    },
  }
  fastify.decorate(opts.decorator, service)
  instrumentHttp(fastify, { metrics, tracing, exclude: new Set([opts.path]) })
  if (opts.port === null) addRoute(fastify, opts, service, fastify)
  else {
    separate = Fastify({ logger: false })
    separate.setErrorHandler(createErrorHandler())
    addRoute(separate, opts, service, fastify)
    const server = separate
    fastify.addHook('onReady', async () => {
      await server.listen({ port: opts.port as number, host: opts.host })
    })
  }
  fastify.addHook('onClose', async () => {
    for (const stop of stops.splice(0)) stop()
    await separate?.close()
  })
}

function remember(stops: (() => void)[], stop: () => void): () => void {
  stops.push(stop)
  return stop
}
