/**
 * OpenTelemetry, through `@opentelemetry/api` only (an optional peer): loaded once with a dynamic
 * `import()`; when it is not installed every method here is a no-op and nothing else is loaded.
 * Without a registered SDK the API hands out non-recording spans (its own cheap no-op).
 */
import type * as Otel from '@opentelemetry/api'

/** The subset of `@opentelemetry/api` this package uses. */
export type OtelApi = typeof Otel

/** The tracer name (`instrumentationScope.name` of every span). */
export const TRACER_NAME = '@comp-manager/fastify-metrics'

let loading: Promise<OtelApi | null> | undefined

/** `@opentelemetry/api`, or `null` when it is not installed. */
export function loadOtel(): Promise<OtelApi | null> {
  loading ??= import('@opentelemetry/api').then(
    (m) => {
      const mod = m as unknown as OtelApi & { default?: OtelApi }
      return mod.trace !== undefined ? mod : (mod.default ?? null)
    },
    () => null,
  )
  return loading
}

/** A started span, ended once (later calls do nothing). */
export interface SpanHandle {
  end(error?: unknown, attributes?: Record<string, string | number | boolean>): void
  /** The span's W3C `traceparent` (`00-<trace id>-<span id>-<flags>`). */
  traceparent(): string | null
}

/** What the plugin traces with: `@opentelemetry/api` when present, else nothing. */
export class Tracing {
  readonly #api: OtelApi | null
  readonly #tracer: Otel.Tracer | null

  constructor(api: OtelApi | null) {
    this.#api = api
    this.#tracer = api === null ? null : api.trace.getTracer(TRACER_NAME)
  }

  get enabled(): boolean {
    return this.#api !== null
  }

  /** The active context's `traceparent`, or `null` (no API, or no active recording span). */
  activeTraceparent(): string | null {
    const api = this.#api
    if (api === null) return null
    const span = api.trace.getSpan(api.context.active())
    return span === undefined ? null : traceparentOf(span.spanContext())
  }

  /**
   * Starts a span: child of `parent` (a `traceparent` string, or HTTP headers to extract one from),
   * else of the active context. `run`, when given, runs inside the span's context.
   */
  start(
    name: string,
    options: {
      kind?: 'server' | 'internal' | 'consumer' | 'producer'
      attributes?: Record<string, string | number | boolean>
      parent?: string | Record<string, unknown> | null
      startTime?: number
    } = {},
  ): { span: SpanHandle; context: unknown } | null {
    const api = this.#api
    const tracer = this.#tracer
    if (api === null || tracer === null) return null
    const parent = parentContext(api, options.parent)
    const span = tracer.startSpan(
      name,
      {
        kind: spanKind(api, options.kind),
        ...(options.attributes === undefined ? {} : { attributes: options.attributes }),
        ...(options.startTime === undefined ? {} : { startTime: options.startTime }),
      },
      parent,
    )
    return { span: handleOf(api, span), context: api.trace.setSpan(parent, span) }
  }

  /** Runs `fn` with `context` (from {@link start}) active; plain `fn()` without the API. */
  with<T>(context: unknown, fn: () => T): T {
    const api = this.#api
    if (api === null || context === undefined || context === null) return fn()
    return api.context.with(context as Otel.Context, fn)
  }
}

function spanKind(api: OtelApi, kind: 'server' | 'internal' | 'consumer' | 'producer' | undefined) {
  if (kind === 'server') return api.SpanKind.SERVER
  if (kind === 'consumer') return api.SpanKind.CONSUMER
  if (kind === 'producer') return api.SpanKind.PRODUCER
  return api.SpanKind.INTERNAL
}

/**
 * The parent of a span: a `traceparent` (given, or the header of `carrier`) parsed here, so that no
 * propagator needs registering; a malformed one is ignored (the span starts a trace of its own).
 */
function parentContext(api: OtelApi, parent: string | Record<string, unknown> | null | undefined) {
  const active = api.context.active()
  if (parent === undefined || parent === null) return active
  const parsed = parseTraceparent(typeof parent === 'string' ? parent : parent.traceparent)
  if (parsed === null) return active
  return api.trace.setSpanContext(active, {
    traceId: parsed.traceId,
    spanId: parsed.spanId,
    traceFlags: parsed.flags & 1,
    isRemote: true,
  })
}

/** `traceparent` of a span context, or `null` when it is not valid. */
export function traceparentOf(sc: Otel.SpanContext): string | null {
  if (!/^[0-9a-f]{32}$/.test(sc.traceId) || /^0+$/.test(sc.traceId)) return null
  if (!/^[0-9a-f]{16}$/.test(sc.spanId) || /^0+$/.test(sc.spanId)) return null
  return `00-${sc.traceId}-${sc.spanId}-${(sc.traceFlags & 1) === 1 ? '01' : '00'}`
}

/** Parses a W3C `traceparent`; `null` when malformed (a forged header is ignored, never trusted). */
export function parseTraceparent(value: unknown): { traceId: string; spanId: string; flags: number } | null {
  if (typeof value !== 'string') return null
  const m = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(value)
  if (m === null || /^0+$/.test(m[1] as string) || /^0+$/.test(m[2] as string)) return null
  return { traceId: m[1] as string, spanId: m[2] as string, flags: Number.parseInt(m[3] as string, 16) }
}

function handleOf(api: OtelApi, span: Otel.Span): SpanHandle {
  let ended = false
  return {
    end(error, attributes) {
      if (ended) return
      ended = true
      if (attributes !== undefined) span.setAttributes(attributes)
      if (error !== undefined && error !== null) {
        span.recordException(error instanceof Error ? error : String(error))
        span.setStatus({
          code: api.SpanStatusCode.ERROR,
          message: error instanceof Error ? error.message : String(error),
        })
      }
      span.end()
    },
    traceparent: () => traceparentOf(span.spanContext()),
  }
}
