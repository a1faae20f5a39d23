import { type Codec, defaultCodec, describeType } from '@comp-manager/core'
import { isPlainObject, optionError, resolvePluginOptions } from '@comp-manager/fastify-store/kit'
import type { Tracker, TrackerOptions } from '@comp-manager/tracker'

export const PLUGIN_NAME = '@comp-manager/fastify-tracker'

/** Options of the tracker the plugin creates: those of `createTracker` but `store` and `namespace`. */
export type PluginTrackerOptions = Omit<TrackerOptions, 'store' | 'namespace'>

/** Server-sent events of `GET /computations/:id/events`. */
export interface SseOptions {
  /** How often the stream reads the record from the store, in ms (10..60 000). Default 250. */
  pollMs?: number
  /** How often a comment line keeps an idle connection open, in ms (100..3 600 000). Default 15 000. */
  heartbeatMs?: number
}

/** Options of `app.register(fastifyTracker, options)`. */
export interface FastifyTrackerOptions {
  /**
   * The namespace of the tracker and of requests without auth (the only one they see). With
   * `tracker`, defaults to (and must equal) `tracker.namespace`. Default `'default'`.
   */
  namespace?: string
  /** Where the routes live, below any prefix the plugin is registered under. Default `'/computations'`. */
  prefix?: string
  /** An existing tracker to decorate and serve (it must record to `fastify.compStore`); never closed by the plugin. */
  tracker?: Tracker
  /**
   * Options of the tracker the plugin creates when `tracker` is not given (all of `createTracker`'s but
   * `store` and `namespace`). Defaults differ in two places: `logger` is `fastify.log`, and
   * `sweepIntervalMs` is 10 000 (pass `sweepIntervalMs: undefined` for no periodic sweeper).
   */
  trackerOptions?: PluginTrackerOptions
  /**
   * The codec that decodes the `args` of `POST /computations` (and hashes them): it must know the
   * types your tracked functions take. Default: `trackerOptions.codec`, else core's `defaultCodec`.
   */
  codec?: Codec
  /** Server-sent events. */
  sse?: SseOptions
  /** Error bodies of 5xx errors show their message and stack in `details` (never in production). Default false. */
  development?: boolean
}

export interface ResolvedOptions {
  namespace: string
  prefix: string
  tracker: Tracker | undefined
  trackerOptions: PluginTrackerOptions
  codec: Codec
  sse: { pollMs: number; heartbeatMs: number }
  development: boolean
}

export const DEFAULT_NAMESPACE = 'default'
export const DEFAULT_PREFIX = '/computations'
export const DEFAULT_POLL_MS = 250
export const DEFAULT_HEARTBEAT_MS = 15_000
export const DEFAULT_SWEEP_INTERVAL_MS = 10_000

const sseKeys = new Set(['pollMs', 'heartbeatMs'])

/** Throws the `CM_ERR_INVALID_ARGUMENT` of a bad option, naming it (`details.option`). */
export function invalid(option: string, problem: string): never {
  optionError(PLUGIN_NAME, option, problem)
}

function integer(option: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    invalid(option, `must be an integer from ${min} to ${max} (got ${describeType(value)} ${String(value)})`)
  }
  return value
}

/** A tracker by shape (a second copy of `@comp-manager/tracker` would fail `instanceof`). */
function isTracker(value: unknown): value is Tracker {
  if (typeof value !== 'object' || value === null) return false
  const t = value as Record<string, unknown>
  return (
    typeof t.namespace === 'string' &&
    typeof t.store === 'object' &&
    t.store !== null &&
    ['track', 'get', 'list', 'pause', 'resume', 'cancel', 'on', 'close'].every(
      (method) => typeof t[method] === 'function',
    )
  )
}

function isCodec(value: unknown): value is Codec {
  if (typeof value !== 'object' || value === null) return false
  const c = value as Record<string, unknown>
  return typeof c.encode === 'function' && typeof c.decode === 'function' && typeof c.canonical === 'function'
}

/** Checks every option at `register()`; unknown options are refused (a typo must not switch a default on). */
export function resolveOptions(options: unknown): ResolvedOptions {
  const o = resolvePluginOptions(
    options,
    {
      plugin: PLUGIN_NAME,
      keys: ['namespace', 'prefix', 'tracker', 'trackerOptions', 'codec', 'sse', 'development'],
      defaultNamespace: DEFAULT_NAMESPACE,
      defaultPrefix: DEFAULT_PREFIX,
      instance: {
        option: 'tracker',
        createOption: 'trackerOptions',
        noun: 'tracker',
        expected: 'a Tracker from createTracker()',
        storeVerb: 'records to',
        is: isTracker,
      },
    },
    ({ opts, createOptions }) => {
      const trackerOptions = createOptions as PluginTrackerOptions
      let codec: Codec = defaultCodec
      if (opts.codec !== undefined) {
        if (!isCodec(opts.codec)) invalid('codec', `must be a core Codec (got ${describeType(opts.codec)})`)
        codec = opts.codec
      } else if (trackerOptions.codec !== undefined) {
        codec = trackerOptions.codec
      }

      const sse = { pollMs: DEFAULT_POLL_MS, heartbeatMs: DEFAULT_HEARTBEAT_MS }
      if (opts.sse !== undefined) {
        if (!isPlainObject(opts.sse)) invalid('sse', `must be an object (got ${describeType(opts.sse)})`)
        for (const key of Object.keys(opts.sse)) {
          if (!sseKeys.has(key)) invalid(`sse.${key}`, 'is not an option (expected pollMs, heartbeatMs)')
        }
        if (opts.sse.pollMs !== undefined) sse.pollMs = integer('sse.pollMs', opts.sse.pollMs, 10, 60_000)
        if (opts.sse.heartbeatMs !== undefined) {
          sse.heartbeatMs = integer('sse.heartbeatMs', opts.sse.heartbeatMs, 100, 3_600_000)
        }
      }
      return { codec, sse }
    },
  )

  return {
    namespace: o.namespace,
    prefix: o.prefix,
    tracker: o.instance,
    trackerOptions: o.createOptions as PluginTrackerOptions,
    codec: o.codec,
    sse: o.sse,
    development: o.development,
  }
}
