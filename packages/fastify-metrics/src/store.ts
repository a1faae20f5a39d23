/**
 * A Store seen through a Proxy that times every asynchronous operation
 * (`comp_manager_store_operation_duration_seconds{operation="queue.claimBatch",outcome="ok"}`), traces it
 * when a span is active, and keeps the trace context of each job enqueued under a span
 * (`trace-store.ts`, by computation hash, so its retries continue it too). The store itself is
 * untouched: the Proxy calls its methods on the store.
 */
import type { Store } from '@comp-manager/core'
import type { CompMetrics } from './metrics.js'
import { forgetTrace, keepTrace } from './trace-store.js'
import type { Tracing } from './tracing.js'

/** The parts of a Store whose methods are measured (plus `ping`). */
const PORTS = ['computations', 'cache', 'queue', 'events'] as const

/** Marks an instrumented store (instrumenting it again returns it as it is). */
const INSTRUMENTED = Symbol.for('@comp-manager/fastify-metrics.instrumented')

export interface InstrumentStoreOptions {
  metrics: CompMetrics
  tracing: Tracing
}

function isThenable(value: unknown): value is Promise<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function'
}

/** Wraps one port object: its function properties become timed calls on the original. */
function instrumentPort<T extends object>(port: T, group: string, options: InstrumentStoreOptions): T {
  const { metrics, tracing } = options
  const wrapped = new Map<PropertyKey, unknown>()
  return new Proxy(port, {
    get(target, property) {
      const value = Reflect.get(target, property, target) as unknown
      if (typeof value !== 'function' || typeof property !== 'string') return value
      const cached = wrapped.get(property)
      if (cached !== undefined) return cached
      const operation = `${group}.${property}`
      const fn = value as (...args: unknown[]) => unknown
      const timed = (...args: unknown[]): unknown => {
        const start = process.hrtime.bigint()
        // Spans only under an active one (a request, a run): background polls make no root spans.
        const span =
          tracing.enabled && tracing.activeTraceparent() !== null
            ? tracing.start(`store ${operation}`, {
                attributes: { 'comp_manager.store.operation': operation },
              })
            : null
        let result: unknown
        try {
          result = fn.apply(target, args)
        } catch (err) {
          span?.span.end(err)
          throw err
        }
        if (!isThenable(result)) {
          span?.span.end()
          return result
        }
        const done = (outcome: 'ok' | 'error', error?: unknown) => {
          metrics.storeDuration.observe({ operation, outcome }, Number(process.hrtime.bigint() - start) / 1e9)
          span?.span.end(error)
        }
        return result.then(
          (v) => {
            done('ok')
            return v
          },
          (err: unknown) => {
            done('error', err)
            throw err
          },
        )
      }
      const out = group === 'queue' && property === 'enqueue' ? withTraceKept(timed, options) : timed
      wrapped.set(property, out)
      return out
    },
  })
}

/**
 * `queue.enqueue` that, under an active span, keeps its trace context beside the new job (keyed by the
 * computation hash, so its retries find it too). A new job queued outside any span, while tracing is
 * on, forgets the context an earlier submit of the same computation may have left.
 */
function withTraceKept(
  enqueue: (...args: unknown[]) => unknown,
  options: InstrumentStoreOptions & { store?: Store },
): (...args: unknown[]) => unknown {
  return async (...args: unknown[]) => {
    const traceparent = options.tracing.activeTraceparent()
    const result = (await enqueue(...args)) as {
      record: { namespace: string; hash: string }
      created: boolean
    }
    const store = (options as { store?: Store }).store
    if (!result.created || store === undefined) return result
    if (traceparent !== null) await keepTrace(store, result.record, traceparent).catch(() => undefined)
    else if (options.tracing.enabled) await forgetTrace(store, result.record).catch(() => undefined)
    return result
  }
}

/**
 * The store, instrumented. Operations on the reserved trace namespace are measured like the rest.
 * Idempotent: an instrumented store is returned as it is.
 */
export function instrumentStore(store: Store, options: InstrumentStoreOptions): Store {
  if ((store as unknown as Record<symbol, unknown>)[INSTRUMENTED] === true) return store
  const withStore: InstrumentStoreOptions & { store?: Store } = { ...options }
  const ports = new Map<string, unknown>()
  for (const name of PORTS) {
    const port = store[name]
    if (port !== undefined) ports.set(name, instrumentPort(port as object, name, withStore))
  }
  const root = instrumentPort(store, 'store', withStore)
  const proxy = new Proxy(store, {
    get(target, property) {
      if (property === INSTRUMENTED) return true
      if (typeof property === 'string' && ports.has(property)) return ports.get(property)
      if (property === 'ping') return (root as Store).ping
      return Reflect.get(target, property, target)
    },
  })
  // The trace entries are written through the original store (not measured as the caller's work).
  withStore.store = store
  return proxy
}
