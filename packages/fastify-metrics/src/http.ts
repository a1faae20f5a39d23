/**
 * HTTP metrics and spans: one `onRequest` hook (start time, server span) and one `onResponse` hook
 * (counter, histogram, span end). Labels: the method, the route *pattern* (`/api/v1/computations/:id`,
 * never the URL) and the status code; a request that matched no route is `route="unmatched"`.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { CompMetrics } from './metrics.js'
import type { SpanHandle, Tracing } from './tracing.js'

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])
const STARTED = Symbol('comp-manager.metrics.started')
const SPAN = Symbol('comp-manager.metrics.span')

interface Timed {
  [STARTED]?: bigint
  [SPAN]?: SpanHandle
}

/** The route pattern of a request (`unmatched` for a 404 of the router). */
export function routeOf(request: FastifyRequest): string {
  const url = request.routeOptions.url
  return url === undefined || url === '' ? 'unmatched' : url
}

export interface HttpInstrumentOptions {
  metrics: CompMetrics
  tracing: Tracing
  /** Route patterns not measured (the metrics route itself by default). */
  exclude: ReadonlySet<string>
}

/** Adds the hooks to `app` (call it on the root instance so that every route is measured). */
export function instrumentHttp(app: FastifyInstance, options: HttpInstrumentOptions): void {
  const { metrics, tracing, exclude } = options
  app.addHook('onRequest', (request, _reply, done) => {
    const timed = request as FastifyRequest & Timed
    timed[STARTED] = process.hrtime.bigint()
    const route = routeOf(request)
    if (!tracing.enabled || exclude.has(route)) return done()
    const started = tracing.start(`${request.method} ${route}`, {
      kind: 'server',
      parent: request.headers as Record<string, unknown>,
      attributes: { 'http.request.method': request.method, 'http.route': route },
    })
    if (started === null) return done()
    timed[SPAN] = started.span
    // The rest of the request (hooks, handler, the store operations they make) runs in the span.
    tracing.with(started.context, done)
  })
  app.addHook('onResponse', (request, reply, done) => {
    const timed = request as FastifyRequest & Timed
    const route = routeOf(request)
    const status = reply.statusCode
    timed[SPAN]?.end(status >= 500 ? new Error(`HTTP ${status}`) : undefined, {
      'http.response.status_code': status,
    })
    const started = timed[STARTED]
    if (started !== undefined && !exclude.has(route)) {
      const labels = {
        method: METHODS.has(request.method) ? request.method : 'OTHER',
        route,
        status_code: String(status),
      }
      metrics.httpRequests.inc(labels)
      metrics.httpDuration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9)
    }
    done()
  })
}
