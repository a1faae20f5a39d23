import { type Codec, cmError, defaultCodec, describeType, NamespaceSchema } from '@comp-manager/core'
import type { Tracker, TrackerOptions } from '@comp-manager/tracker'
import { Compile } from 'typebox/compile'

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

const optionKeys = new Set([
  'namespace',
  'prefix',
  'tracker',
  'trackerOptions',
  'codec',
  'sse',
  'development',
])
const sseKeys = new Set(['pollMs', 'heartbeatMs'])
const namespaceCheck = Compile(NamespaceSchema)
const PREFIX = /^(?:\/[A-Za-z0-9._~!$&'()*+,;=:@%-]+)+$/

/** Throws the `CM_ERR_INVALID_ARGUMENT` of a bad option, naming it (`details.option`). */
export function invalid(option: string, problem: string): never {
  throw cmError('CM_ERR_INVALID_ARGUMENT', `${PLUGIN_NAME}: option \`${option}\` ${problem}`, {
    details: { option },
  })
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
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
  const opts = options ?? {}
  if (!isPlainObject(opts)) invalid('options', `must be an object (got ${describeType(opts)})`)
  for (const key of Object.keys(opts)) {
    if (!optionKeys.has(key)) invalid(key, `is not an option (expected one of ${[...optionKeys].join(', ')})`)
  }

  let tracker: Tracker | undefined
  if (opts.tracker !== undefined) {
    if (!isTracker(opts.tracker)) {
      invalid('tracker', `must be a Tracker from createTracker() (got ${describeType(opts.tracker)})`)
    }
    tracker = opts.tracker
    if (opts.trackerOptions !== undefined) {
      invalid('trackerOptions', 'cannot be combined with `tracker`: configure the tracker you pass instead')
    }
  }

  let namespace = DEFAULT_NAMESPACE
  if (opts.namespace !== undefined) {
    if (!namespaceCheck.Check(opts.namespace)) {
      invalid(
        'namespace',
        `must be 1-128 letters, digits, '.', '_', ':' or '-', starting with a letter or digit (got ${describeType(opts.namespace)})`,
      )
    }
    namespace = opts.namespace
    if (tracker !== undefined && tracker.namespace !== namespace) {
      invalid(
        'namespace',
        `is '${namespace}' but the tracker's namespace is '${tracker.namespace}': leave it out or make them equal`,
      )
    }
  } else if (tracker !== undefined) {
    namespace = tracker.namespace
  }

  let prefix = DEFAULT_PREFIX
  if (opts.prefix !== undefined) {
    if (typeof opts.prefix !== 'string' || !PREFIX.test(opts.prefix)) {
      invalid(
        'prefix',
        `must be a URL path such as '/computations' (no trailing slash; got ${JSON.stringify(opts.prefix)})`,
      )
    }
    prefix = opts.prefix
  }

  let trackerOptions: PluginTrackerOptions = {}
  if (opts.trackerOptions !== undefined) {
    if (!isPlainObject(opts.trackerOptions)) {
      invalid('trackerOptions', `must be an object (got ${describeType(opts.trackerOptions)})`)
    }
    for (const key of ['store', 'namespace']) {
      if (Object.hasOwn(opts.trackerOptions, key)) {
        invalid(
          `trackerOptions.${key}`,
          key === 'store'
            ? 'is not accepted: the tracker records to fastify.compStore (register @comp-manager/fastify-store with the store you want)'
            : 'is not accepted: use the plugin option `namespace`',
        )
      }
    }
    trackerOptions = opts.trackerOptions as PluginTrackerOptions
  }

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

  if (opts.development !== undefined && typeof opts.development !== 'boolean') {
    invalid('development', `must be a boolean (got ${describeType(opts.development)})`)
  }

  return {
    namespace,
    prefix,
    tracker,
    trackerOptions,
    codec,
    sse,
    development: opts.development === true,
  }
}
