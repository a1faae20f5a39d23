import { cmError } from '@comp-manager/core'
import { type HealthCheckResult, registerHealthCheck } from '@comp-manager/fastify-store'
import { hasAuth } from '@comp-manager/fastify-store/kit'
import { createTracker, type Tracker } from '@comp-manager/tracker'
import type { FastifyInstance } from 'fastify'
import {
  DEFAULT_SWEEP_INTERVAL_MS,
  type FastifyTrackerOptions,
  PLUGIN_NAME,
  resolveOptions,
} from './options.js'
import { computationRoutes } from './routes.js'
import type { StreamRegistry } from './sse.js'
import './types.js'

/** Sweeper state reported by the health check. */
type SweeperState = 'running' | 'failing' | 'off' | 'unknown' | 'stopped'

/** The plugin function; `index.ts` wraps it with `fastify-plugin`. */
export async function fastifyTrackerPlugin(
  fastify: FastifyInstance,
  options: FastifyTrackerOptions,
): Promise<void> {
  const o = resolveOptions(options)
  if (fastify.hasDecorator('tracker')) {
    throw cmError(
      'CM_ERR_INVALID_ARGUMENT',
      `${PLUGIN_NAME}: \`fastify.tracker\` is already decorated: register ${PLUGIN_NAME} once per instance (or in separate encapsulated contexts)`,
      { details: { decorator: 'tracker' } },
    )
  }
  if (!fastify.hasDecorator('compStore')) {
    throw cmError(
      'CM_ERR_INVALID_ARGUMENT',
      `${PLUGIN_NAME}: \`fastify.compStore\` is missing: register @comp-manager/fastify-store first`,
      { details: { decorator: 'compStore' } },
    )
  }
  const store = fastify.compStore

  let tracker: Tracker
  let owned: boolean
  let sweepIntervalMs: number | undefined
  if (o.tracker !== undefined) {
    if (o.tracker.store !== store) {
      throw cmError(
        'CM_ERR_INVALID_ARGUMENT',
        `${PLUGIN_NAME}: option \`tracker\` records to another store than fastify.compStore: register @comp-manager/fastify-store with { store: tracker.store }`,
        { details: { option: 'tracker' } },
      )
    }
    tracker = o.tracker
    owned = false
  } else {
    const trackerOptions = { ...o.trackerOptions }
    if (!Object.hasOwn(trackerOptions, 'sweepIntervalMs'))
      trackerOptions.sweepIntervalMs = DEFAULT_SWEEP_INTERVAL_MS
    sweepIntervalMs = trackerOptions.sweepIntervalMs
    tracker = createTracker({
      logger: fastify.log,
      ...trackerOptions,
      store,
      namespace: o.namespace,
    })
    owned = true
  }
  fastify.decorate('tracker', tracker)

  // Health: the store answers, and the sweeper (when there is one) has not been failing lately.
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
  const checkName =
    fastify.hasDecorator('compHealthChecks') && fastify.compHealthChecks.has('tracker')
      ? `tracker:${o.namespace}`
      : 'tracker'
  registerHealthCheck(fastify, checkName, async (): Promise<HealthCheckResult> => {
    const ping = await store.ping()
    const sweeper = sweeperState()
    const ok = ping.ok && sweeper !== 'failing' && sweeper !== 'stopped'
    const error = !ping.ok
      ? `store unreachable${ping.error === undefined ? '' : `: ${ping.error}`}`
      : sweeper === 'failing'
        ? `the lease sweeper is failing: ${lastSweepError?.message ?? ''}`
        : sweeper === 'stopped'
          ? 'the tracker is closed'
          : undefined
    return {
      ok,
      latencyMs: ping.latencyMs,
      ...(error === undefined ? {} : { error }),
      details: { namespace: tracker.namespace, store: store.kind, sweeper },
    }
  })

  // Routes are protected when an auth plugin is registered before this one; one registered later
  // would leave them open (or, since requests then carry no identity, answering 404): refuse to start.
  const protectedRoutes = hasAuth(fastify)
  fastify.addHook('onReady', async () => {
    if (!protectedRoutes && hasAuth(fastify)) {
      throw cmError(
        'CM_ERR_INVALID_ARGUMENT',
        `${PLUGIN_NAME}: an auth plugin (fastify.authorize) was registered after ${PLUGIN_NAME}: register it before, so the routes are protected`,
        { details: { decorator: 'authorize' } },
      )
    }
  })

  const streams: StreamRegistry = new Set()
  fastify.addHook('preClose', async () => {
    for (const stream of [...streams]) stream.close()
  })
  fastify.addHook('onClose', async () => {
    offError()
    closed = true
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
  })
}
