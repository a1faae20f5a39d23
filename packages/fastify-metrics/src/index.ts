/**
 * `@comp-manager/fastify-metrics`: `GET /metrics` in the Prometheus text format (prom-client) — HTTP
 * requests by route pattern and status, runs by function and outcome, queue depth and running,
 * cache hits/misses/fills with fill times, store operation latency — and OpenTelemetry spans through
 * `@opentelemetry/api` (an optional peer: nothing is traced, nothing loaded, when it is absent).
 */
import type { FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'
import { type FastifyMetricsOptions, PLUGIN_NAME } from './options.js'
import { fastifyMetrics as plugin } from './plugin.js'

export { instrumentHttp, routeOf } from './http.js'
export {
  BoundedLabel,
  CompMetrics,
  DURATION_BUCKETS,
  OTHER_LABEL,
  type QueueCounts,
  STORE_BUCKETS,
} from './metrics.js'
export {
  type EmitterLike,
  MAX_OPEN_RUN_SPANS,
  type ObserveContext,
  observeCache,
  observeTracker,
  observeWorker,
  RUN_OUTCOMES,
} from './observe.js'
export {
  DEFAULT_DECORATOR,
  DEFAULT_MAX_FUNCTIONS,
  DEFAULT_METRICS_PATH,
  type FastifyMetricsOptions,
  MIN_TOKEN_LENGTH,
  PLUGIN_NAME,
  type ResolvedMetricsOptions,
} from './options.js'
export type { MetricsDecorator, MetricsService } from './plugin.js'
export { type InstrumentStoreOptions, instrumentStore } from './store.js'
export {
  forgetTrace,
  keepTrace,
  readTrace,
  TRACE_NAMESPACE,
  TRACE_TTL_MS,
  type TraceRef,
  traceKeyOf,
} from './trace-store.js'
export {
  loadOtel,
  parseTraceparent,
  type SpanHandle,
  TRACER_NAME,
  Tracing,
  traceparentOf,
} from './tracing.js'

/** The plugin: `app.register(fastifyMetrics, { token })`. */
export const fastifyMetrics: FastifyPluginAsync<FastifyMetricsOptions> = fp(plugin, {
  fastify: '5.x',
  name: PLUGIN_NAME,
})

export default fastifyMetrics
