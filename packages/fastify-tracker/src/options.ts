import { type Codec, defaultCodec } from '@comp-manager/core'
import { type Duration, DurationSchema, hasShape, InstanceSchema } from '@comp-manager/core/options'
import { definePluginOptions } from '@comp-manager/fastify-kit'
import type { Tracker, TrackerOptions } from '@comp-manager/tracker'
import { Type } from 'typebox'

export const PLUGIN_NAME = '@comp-manager/fastify-tracker'

/** Options of the tracker the plugin creates: those of `createTracker` but `store` and `namespace`. */
export type PluginTrackerOptions = Omit<TrackerOptions, 'store' | 'namespace'>

/** Server-sent events of `GET /computations/:id/events`. */
export interface SseOptions {
  /** How often the stream reads the record from the store: ms or a duration such as `'1s'` (10 ms..1 min). Default 250. */
  pollMs?: Duration
  /** How often a comment line keeps an idle connection open: ms or a duration such as `'15s'` (100 ms..1 h). Default 15 000. */
  heartbeatMs?: Duration
  /** Most open streams of the plugin in all. One more is 429 `CM_ERR_RATE_LIMITED` with `retry-after`. Default 1 000. */
  maxStreams?: number
  /** Most open streams of one client (its token's subject, else its IP address). Default 8. */
  maxStreamsPerClient?: number
  /** A stream that sent no event for this long is closed (EventSource reconnects): ms or `'10m'`. Default 30 min. */
  idleTimeoutMs?: Duration
  /** A stream whose reader has not drained its socket for this long is destroyed (a dead or hostile peer). Default 60 s. */
  stallTimeoutMs?: Duration
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
  /**
   * The function names `POST /computations` queues: a list, or `'registered'` (the functions of the live
   * workers of the namespace, in-process and HTTP alike); another name is 400 `CM_ERR_UNKNOWN_FUNCTION`,
   * nothing written. Default: not checked (a job waits for a worker that runs its function).
   */
  functions?: readonly string[] | 'registered'
  /**
   * The lease of a run reported with `status: 'started'`: it must heartbeat (`POST
   * /computations/:id/heartbeat` with its lease token) within it, or it is declared lost. Default 60 s.
   */
  leaseMs?: Duration
  /**
   * Signs the lease tokens (16+ characters). Give every instance of a fleet the same one, and the same to
   * `@comp-manager/fastify-worker`. Default: a random key per process (tokens do not survive a restart).
   */
  leaseSecret?: string
  /**
   * `GET <events>`: the store's event log as server-sent events (needs a store with `store.events`).
   * Default `'/events'` (below any prefix the plugin is registered under); `false` for none.
   */
  eventsPrefix?: string | false
  /** Error bodies of 5xx errors show their message and stack in `details` (never in production). Default false. */
  development?: boolean
  /** The name to decorate the tracker under: `fastify[decorator]`. Default `'tracker'`. */
  decorator?: string
  /** The decorator of the store (`@comp-manager/fastify-store`'s `decorator` option). Default `'compStore'`. */
  storeDecorator?: string
}

export interface ResolvedOptions {
  namespace: string
  prefix: string
  tracker: Tracker | undefined
  trackerOptions: PluginTrackerOptions
  codec: Codec
  sse: ResolvedSseOptions
  functions: readonly string[] | 'registered' | undefined
  leaseMs: number
  leaseSecret: string | undefined
  eventsPrefix: string | false
  development: boolean
  decorator: string
  storeDecorator: string
}

export const DEFAULT_NAMESPACE = 'default'
/** The default `decorator`: `fastify.tracker`. */
export const DEFAULT_DECORATOR = 'tracker'
export const DEFAULT_PREFIX = '/computations'
export const DEFAULT_EVENTS_PREFIX = '/events'
export interface ResolvedSseOptions {
  pollMs: number
  heartbeatMs: number
  maxStreams: number
  maxStreamsPerClient: number
  idleTimeoutMs: number
  stallTimeoutMs: number
}

export const DEFAULT_POLL_MS = 250
export const DEFAULT_MAX_STREAMS = 1000
export const DEFAULT_MAX_STREAMS_PER_CLIENT = 8
export const DEFAULT_IDLE_TIMEOUT_MS = 30 * 60_000
export const DEFAULT_STALL_TIMEOUT_MS = 60_000
export const DEFAULT_HEARTBEAT_MS = 15_000
export const DEFAULT_SWEEP_INTERVAL_MS = 10_000
export const DEFAULT_REPORTED_LEASE_MS = 60_000

/** A tracker by shape (a second copy of `@comp-manager/tracker` would fail `instanceof`). */
function isTracker(value: unknown): value is Tracker {
  return hasShape(value, {
    strings: ['namespace'],
    objects: ['store'],
    methods: ['track', 'get', 'list', 'pause', 'resume', 'cancel', 'on', 'close'],
  })
}

function isCodec(value: unknown): value is Codec {
  if (typeof value !== 'object' || value === null) return false
  const c = value as Record<string, unknown>
  return typeof c.encode === 'function' && typeof c.decode === 'function' && typeof c.canonical === 'function'
}

/** The plugin's options, one schema (unknown options are refused: a typo must not switch a default on). */
export const TrackerPluginOptions = definePluginOptions({
  plugin: PLUGIN_NAME,
  defaultNamespace: DEFAULT_NAMESPACE,
  defaultPrefix: DEFAULT_PREFIX,
  defaultDecorator: DEFAULT_DECORATOR,
  instance: {
    option: 'tracker',
    createOption: 'trackerOptions',
    noun: 'tracker',
    expected: 'a Tracker from createTracker()',
    storeVerb: 'records to',
    is: isTracker,
  },
  properties: {
    codec: Type.Optional(
      InstanceSchema<Codec>((value) => (isCodec(value) ? undefined : 'must be a core Codec'), 'a core Codec'),
    ),
    functions: Type.Optional(
      Type.Union([
        Type.Literal('registered'),
        Type.Array(Type.String({ minLength: 1, maxLength: 512 }), { maxItems: 10_000 }),
      ]),
    ),
    leaseMs: Type.Optional(DurationSchema({ min: 1000, max: 86_400_000 })),
    leaseSecret: Type.Optional(Type.String({ minLength: 16, maxLength: 1024 })),
    eventsPrefix: Type.Optional(
      Type.Union([Type.String({ pattern: '^/[A-Za-z0-9/_.~-]*$', maxLength: 256 }), Type.Literal(false)]),
    ),
    sse: Type.Optional(
      Type.Object(
        {
          pollMs: Type.Optional(DurationSchema({ min: 10, max: 60_000 })),
          heartbeatMs: Type.Optional(DurationSchema({ min: 100, max: 3_600_000 })),
          maxStreams: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
          maxStreamsPerClient: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
          idleTimeoutMs: Type.Optional(DurationSchema({ min: 100, max: 86_400_000 })),
          stallTimeoutMs: Type.Optional(DurationSchema({ min: 100, max: 3_600_000 })),
        },
        { additionalProperties: false },
      ),
    ),
  },
})

/** Checks every option at `register()` and applies the defaults. */
export function resolveOptions(options: unknown): ResolvedOptions {
  const o = TrackerPluginOptions.parse(options)
  const trackerOptions = o.createOptions as PluginTrackerOptions
  const codec = (o.given.codec as Codec | undefined) ?? trackerOptions.codec ?? defaultCodec
  return {
    namespace: o.namespace,
    prefix: o.prefix,
    tracker: o.instance,
    trackerOptions,
    codec,
    sse: resolveSse(o.own.sse),
    functions: o.own.functions as readonly string[] | 'registered' | undefined,
    leaseMs: (o.own.leaseMs as number | undefined) ?? DEFAULT_REPORTED_LEASE_MS,
    leaseSecret: o.own.leaseSecret as string | undefined,

    eventsPrefix: (o.own.eventsPrefix as string | false | undefined) ?? DEFAULT_EVENTS_PREFIX,
    development: o.development,
    decorator: o.decorator,
    storeDecorator: o.storeDecorator,
  }
}

function resolveSse(sse: Record<string, number | undefined> | undefined): ResolvedSseOptions {
  return {
    pollMs: sse?.pollMs ?? DEFAULT_POLL_MS,
    heartbeatMs: sse?.heartbeatMs ?? DEFAULT_HEARTBEAT_MS,
    maxStreams: sse?.maxStreams ?? DEFAULT_MAX_STREAMS,
    maxStreamsPerClient: sse?.maxStreamsPerClient ?? DEFAULT_MAX_STREAMS_PER_CLIENT,
    idleTimeoutMs: sse?.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
    stallTimeoutMs: sse?.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS,
  }
}
