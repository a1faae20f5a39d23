/**
 * Runs and cache activity, read from the events of a tracker, a worker or a cache of this process
 * (structural types: this package imports none of them). Each observer returns a function that stops it.
 */
import { type Computation, runningTimeMs, type Store } from '@comp-manager/core'
import type { CompMetrics } from './metrics.js'
import { readTrace } from './trace-store.js'
import type { SpanHandle, Tracing } from './tracing.js'

/** What the observers need of an emitter: `on(event, listener)` returning the unsubscribe. */
export interface EmitterLike {
  // biome-ignore lint/suspicious/noExplicitAny: the payloads differ per library; each listener checks its own
  on(event: any, listener: (payload: any) => void): () => void
}

/** The outcomes counted by `comp_manager_runs_total`. */
export const RUN_OUTCOMES = ['finished', 'failed', 'retrying', 'lost'] as const
/** Events that end a run span without being an outcome of the run. */
const SPAN_ONLY_ENDINGS = ['paused', 'released'] as const
/** At most this many fills are timed at once (misses without a fill are forgotten past it). */
const MAX_PENDING_FILLS = 10_000
/**
 * At most this many run spans are open at once. A run claimed here and ended by another instance (an
 * HTTP worker's complete behind a load balancer) never ends here: past the bound the oldest open span
 * is ended, marked `comp_manager.span.unfinished`, so memory stays bounded and the span is exported.
 */
export const MAX_OPEN_RUN_SPANS = 10_000

export interface ObserveContext {
  metrics: CompMetrics
  tracing: Tracing
  /** The store whose side entries hold the trace contexts of queued jobs (workers only). */
  store?: Store
}

function durationSeconds(record: Computation): number | null {
  const ms = runningTimeMs(record, Date.now())
  return ms === null ? null : ms / 1000
}

/**
 * Counts runs by function and outcome with their running time, and traces each run (a span from
 * `started` to its end). `jobs`: the runs are queued jobs whose span continues the trace of their
 * submit (kept by the instrumented store under the computation hash, see `trace-store.ts`: every
 * attempt of a retried job continues it).
 */
function observeRuns(emitter: EmitterLike, ctx: ObserveContext, jobs: boolean): () => void {
  const { metrics, tracing } = ctx
  const spans = new Map<string, SpanHandle>()
  // Runs whose span is being started (a job's trace context is read first) and, once ended, how.
  const starting = new Map<string, { ended: boolean; error?: unknown }>()
  const offs: (() => void)[] = []
  offs.push(
    emitter.on('started', ({ record }: { record: Computation }) => {
      if (!tracing.enabled) return
      const begin = (parent: string | null) => {
        const started = tracing.start(`run ${record.function}`, {
          kind: jobs ? 'consumer' : 'internal',
          parent,
          startTime: record.activeSince ?? Date.now(),
          attributes: {
            'comp_manager.function': record.function,
            'comp_manager.computation_id': record.id,
            'comp_manager.attempt': record.attempt,
          },
        })
        const early = starting.get(record.id)
        starting.delete(record.id)
        if (started === null) return
        if (early?.ended === true) started.span.end(early.error)
        else keepOpen(spans, record.id, started.span)
      }
      if (!jobs || ctx.store === undefined) return begin(null)
      starting.set(record.id, { ended: false })
      void readTrace(ctx.store, record).then(begin, () => begin(null))
    }),
  )
  for (const outcome of RUN_OUTCOMES) {
    offs.push(
      emitter.on(outcome, ({ record, error }: { record: Computation; error?: unknown }) => {
        const labels = { function: metrics.functions.of(record.function), outcome }
        metrics.runs.inc(labels)
        const seconds = durationSeconds(record)
        if (seconds !== null) metrics.runDuration.observe(labels, seconds)
        endSpan(
          spans,
          starting,
          record.id,
          outcome === 'finished' ? undefined : (error ?? new Error(outcome)),
        )
      }),
    )
  }
  for (const ending of SPAN_ONLY_ENDINGS) {
    offs.push(
      emitter.on(ending, ({ record }: { record: Computation }) => endSpan(spans, starting, record.id)),
    )
  }
  return () => {
    for (const off of offs) off()
    for (const span of spans.values()) span.end()
    spans.clear()
  }
}

function keepOpen(spans: Map<string, SpanHandle>, id: string, span: SpanHandle): void {
  if (spans.size >= MAX_OPEN_RUN_SPANS) {
    const [oldest, handle] = spans.entries().next().value as [string, SpanHandle]
    spans.delete(oldest)
    handle.end(undefined, { 'comp_manager.span.unfinished': true })
  }
  spans.set(id, span)
}

function endSpan(
  spans: Map<string, SpanHandle>,
  starting: Map<string, { ended: boolean; error?: unknown }>,
  id: string,
  error?: unknown,
): void {
  const span = spans.get(id)
  const early = starting.get(id)
  if (early !== undefined) starting.set(id, { ended: true, error })
  if (span === undefined) return
  spans.delete(id)
  span.end(error)
}

/** Observes a tracker (`@comp-manager/tracker`'s `createTracker()`, `fastify.tracker`). */
export function observeTracker(tracker: EmitterLike, ctx: ObserveContext) {
  return observeRuns(tracker, ctx, false)
}

/** Observes a worker (`@comp-manager/worker`'s `createWorker()`): runs continue their submit's trace. */
export function observeWorker(worker: EmitterLike, ctx: ObserveContext) {
  return observeRuns(worker, ctx, true)
}

/**
 * Observes a cache (`@comp-manager/cache`'s `createCache()`): hits, misses, fills, and the fill time
 * (from a key's miss to its stored value, in this process), with a span per fill.
 */
export function observeCache(cache: EmitterLike, ctx: ObserveContext): () => void {
  const { metrics, tracing } = ctx
  const pending = new Map<string, { at: bigint; span: SpanHandle | null }>()
  const offs = [
    cache.on('hit', ({ name, source }: { name: string | undefined; source: string }) => {
      metrics.cacheHits.inc({ function: metrics.functions.of(name), source })
    }),
    cache.on('miss', ({ key, name }: { key: string; name: string | undefined }) => {
      metrics.cacheMisses.inc({ function: metrics.functions.of(name) })
      if (pending.has(key)) return
      if (pending.size >= MAX_PENDING_FILLS) {
        const oldest = pending.keys().next().value as string
        pending.get(oldest)?.span?.end()
        pending.delete(oldest)
      }
      const started = tracing.start(`cache fill ${name ?? 'unknown'}`, {
        attributes: { 'comp_manager.function': name ?? 'unknown' },
      })
      pending.set(key, { at: process.hrtime.bigint(), span: started?.span ?? null })
    }),
    cache.on('set', ({ key, name }: { key: string; name: string }) => {
      const fn = metrics.functions.of(name)
      metrics.cacheFills.inc({ function: fn })
      const fill = pending.get(key)
      if (fill === undefined) return
      pending.delete(key)
      metrics.cacheFillDuration.observe({ function: fn }, Number(process.hrtime.bigint() - fill.at) / 1e9)
      fill.span?.end()
    }),
  ]
  return () => {
    for (const off of offs) off()
    for (const fill of pending.values()) fill.span?.end()
    pending.clear()
  }
}
