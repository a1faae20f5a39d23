import type { Store } from '@comp-manager/core'
import { parseDuration } from '@comp-manager/core/options'
import {
  claimDecorator,
  givenOrCreated,
  type HealthCheckResult,
  healthCheckName,
  leaseTokensOf,
  pingError,
  refuseLateAuth,
  registerHealthCheck,
} from '@comp-manager/fastify-kit'
import { createTracker, type Tracker } from '@comp-manager/tracker'
import type { FastifyInstance } from 'fastify'
import { EventHub } from './event-hub.js'
import { eventsRoutes } from './events-route.js'
import {
  DEFAULT_SWEEP_INTERVAL_MS,
  type FastifyTrackerOptions,
  PLUGIN_NAME,
  resolveOptions,
} from './options.js'
import { computationRoutes } from './routes.js'
import { StreamRegistry } from './stream-registry.js'
import './types.js'

/** Sweeper state reported by the health check. */
type SweeperState = 'running' | 'failing' | 'off' | 'unknown' | 'stopped'

/** What the tracker's health check watches. */
interface TrackerCheckOptions {
  tracker: Tracker
  store: Store
  /** Whether the plugin created the tracker (and so knows its sweeper). */
  owned: boolean
  sweepIntervalMs: number | undefined
  namespace: string
}

/**
 * The tracker's health check: the store answers, and the sweeper (when there is one) has not been
 * failing lately. `close()` marks the tracker closed and stops listening to its errors.
 */
function registerTrackerCheck(fastify: FastifyInstance, options: TrackerCheckOptions): { close(): void } {
  const { tracker, store, owned, sweepIntervalMs } = options
  let lastSweepError: { at: number; message: string } | undefined
  const offError = tracker.on('error', ({ error, during }) => {
    if (during === 'sweep') {
      lastSweepError = { at: Date.now(), message: error instanceof Error ? error.message : String(error) }
    }
  })
  let closed = false
  const sweeperWindowMs = 2 * (sweepIntervalMs ?? 30_000)
  const sweeperState = (): SweeperState => {
    if (closed) return 'stopped'
    if (lastSweepError !== undefined && Date.now() - lastSweepError.at < sweeperWindowMs) return 'failing'
    if (owned) return sweepIntervalMs === undefined ? 'off' : 'running'
    return 'unknown'
  }
  registerHealthCheck(
    fastify,
    healthCheckName(fastify, 'tracker', options.namespace),
    async (): Promise<HealthCheckResult> => {
      const ping = await store.ping()
      const sweeper = sweeperState()
      const ok = ping.ok && sweeper !== 'failing' && sweeper !== 'stopped'
      const error =
        pingError(ping) ??
        (sweeper === 'failing'
          ? `the lease sweeper is failing: ${lastSweepError?.message ?? ''}`
          : sweeper === 'stopped'
            ? 'the tracker is closed'
            : undefined)
      return {
        ok,
        latencyMs: ping.latencyMs,
        ...(error === undefined ? {} : { error }),
        details: { namespace: tracker.namespace, store: store.kind, sweeper },
      }
    },
  )
  return {
    close() {
      offError()
      closed = true
    },
  }
}

/** The tracker the plugin serves: the one given, or one it creates (and owns) on the store. */
function trackerFor(
  fastify: FastifyInstance,
  o: ReturnType<typeof resolveOptions>,
  store: Store,
): { tracker: Tracker; owned: boolean; sweepIntervalMs: number | undefined } {
  let sweepIntervalMs: number | undefined
  const { instance: tracker, owned } = givenOrCreated({
    plugin: PLUGIN_NAME,
    option: 'tracker',
    storeVerb: 'records to',
    given: o.tracker,
    store,
    create: () => {
      const trackerOptions = { ...o.trackerOptions }
      if (!Object.hasOwn(trackerOptions, 'sweepIntervalMs'))
        trackerOptions.sweepIntervalMs = DEFAULT_SWEEP_INTERVAL_MS
      const sweep = trackerOptions.sweepIntervalMs
      sweepIntervalMs = typeof sweep === 'string' ? parseDuration(sweep, 'sweepIntervalMs') : sweep
      return createTracker({
        logger: fastify.log,
        ...trackerOptions,
        store,
        namespace: o.namespace,
      })
    },
  })
  return { tracker, owned, sweepIntervalMs }
}

/** The plugin function; `index.ts` wraps it with `fastify-plugin`. */
export async function fastifyTrackerPlugin(
  fastify: FastifyInstance,
  options: FastifyTrackerOptions,
): Promise<void> {
  const o = resolveOptions(options)
  const store = claimDecorator(fastify, {
    plugin: PLUGIN_NAME,
    decorator: o.decorator,
    storeDecorator: o.storeDecorator,
  })

  const { tracker, owned, sweepIntervalMs } = trackerFor(fastify, o, store)
  fastify.decorate(o.decorator, tracker)

  const health = registerTrackerCheck(fastify, {
    tracker,
    store,
    owned,
    sweepIntervalMs,
    namespace: o.namespace,
  })

  refuseLateAuth(fastify, PLUGIN_NAME)

  const streams = new StreamRegistry({
    maxStreams: o.sse.maxStreams,
    maxStreamsPerClient: o.sse.maxStreamsPerClient,
    retryAfterSeconds: Math.max(1, Math.ceil((o.sse.pollMs * 4) / 1000)),
  })
  const hub =
    o.eventsPrefix === false || store.events === undefined
      ? undefined
      : new EventHub(store.events, tracker, o.sse.pollMs, (err) =>
          fastify.log.warn({ err }, 'polling the event log failed'),
        )
  fastify.addHook('preClose', async () => {
    streams.closeAll()
    await hub?.close()
  })
  fastify.addHook('onClose', async () => {
    health.close()
    if (owned) await tracker.close()
  })

  await fastify.register(computationRoutes, {
    prefix: o.prefix,
    tracker,
    codec: o.codec,
    namespace: o.namespace,
    sse: o.sse,
    development: o.development,
    streams,
    functions: o.functions,
    leaseMs: o.leaseMs,
    leaseTokens: leaseTokensOf(fastify, o.leaseSecret),
  })
  if (hub !== undefined && o.eventsPrefix !== false) {
    await fastify.register(eventsRoutes, {
      prefix: o.eventsPrefix,
      hub,
      defaultNamespace: o.namespace,
      sse: o.sse,
      streams,
      development: o.development,
    })
  }
}
