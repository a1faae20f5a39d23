import { type Clock, Codec, cmError, defaultCodec, type Store, systemClock } from '@comp-manager/core'
import {
  CallbackSchema,
  type Duration,
  DurationSchema,
  defineOptions,
  describeValue,
  InstanceSchema,
  NameSchema,
  NamespaceOptionSchema,
  OneOfSchema,
} from '@comp-manager/core/options'
import type { RetryOptions } from '@comp-manager/core/runs'
import { Type } from 'typebox'

/** Where the tracker reports what it could not record (pino-compatible: `logger.error(obj, msg)`). */
export interface TrackerLogger {
  error(context: Record<string, unknown>, message: string): void
  warn(context: Record<string, unknown>, message: string): void
}

/** Options of {@link createTracker}. */
export interface TrackerOptions {
  /** Where runs are recorded (and results stored, see `storeResult`). Required. */
  store: Store
  /** The namespace of every record this tracker writes or reads. Required. */
  namespace: string
  /** Recorded as `owner` on each run (a user, a service name). Default `null`. */
  owner?: string | null
  /** Source of "now" in epoch ms for leases; must agree with the store's clock. Default `Date.now`. */
  clock?: Clock
  /**
   * How long a run stays alive without a heartbeat. Must exceed the longest time a tracked function
   * blocks the event loop without yielding. Default 30 000 ms.
   */
  leaseMs?: Duration
  /** How often a running call renews its lease. Default `leaseMs / 3`; must be below `leaseMs`. */
  heartbeatMs?: Duration
  /** First polling interval of a waiter watching a run of another process (grows to 1 s). Default 25 ms. */
  pollMs?: Duration
  /** Codec for arguments, checkpoints and results (and the hash). Default: core's `defaultCodec`. */
  codec?: Codec
  /** Default: `console`. Every `error` event is also logged here. */
  logger?: TrackerLogger
  /** Sweeps expired leases every so many ms (an unref'd timer; `close()` stops it). Default: off. */
  sweepIntervalMs?: Duration
  /** Backoff of the final status write when the store is unreachable. Default 8 attempts from 50 ms. */
  retry?: RetryOptions
}

/** What a tracked function does when a run with the same hash exists (see the README's table). */
export type OnDuplicate = 'throw' | 'wait' | 'rerun' | 'return'
export const onDuplicatePolicies: readonly OnDuplicate[] = ['throw', 'wait', 'rerun', 'return']

/** Options of `tracker.track(name, fn, options)` (and of the decorator, except `context`). */
export interface TrackOptions {
  /** Qualified name, part of the hash (`module/Class.method`). Default: the `name`. */
  functionFull?: string
  /** Part of the hash: bump it when the function's code changes its results. */
  version?: string | number
  /** Default `'rerun'`: a closed run may run again, a live one may not. */
  onDuplicate?: OnDuplicate
  /** This function's lease (default: the tracker's). */
  leaseMs?: Duration
  /**
   * This function's heartbeat. Default: the tracker's; when `leaseMs` is set here, `leaseMs / 3` (or
   * the tracker's explicit `heartbeatMs` if that is shorter).
   */
  heartbeatMs?: Duration
  /**
   * Store the return value in the store's cache (key: the run's hash) so that `'wait'` and
   * `'return'` callers, in any process, get it. Default: true for `'wait'` and `'return'`.
   */
  storeResult?: boolean
  /** Time to live of the stored result. Default: no expiry. */
  resultTtlMs?: Duration | null
  /** How long a `'wait'` caller waits for another run before `CM_ERR_TIMEOUT`. Default: no limit. */
  timeoutMs?: Duration
  /** The function takes the run context as its last parameter (callers do not pass it). */
  context?: boolean
}

export interface ResolvedTrackerOptions {
  store: Store
  namespace: string
  owner: string | null
  clock: Clock
  leaseMs: number
  heartbeatMs: number
  heartbeatSet: boolean
  pollMs: number
  codec: Codec
  logger: TrackerLogger
  sweepIntervalMs: number | undefined
  retry: RetryOptions | undefined
}

export interface ResolvedTrackOptions {
  name: string
  functionFull: string
  version: string | number | undefined
  onDuplicate: OnDuplicate
  leaseMs: number
  heartbeatMs: number
  storeResult: boolean
  resultTtlMs: number | null
  timeoutMs: number | undefined
  context: boolean
}

const PACKAGE = '@comp-manager/tracker'

const computationMethods = ['claim', 'get', 'update', 'heartbeat', 'expire', 'findExpired', 'list'] as const
const cacheMethods = ['get', 'set'] as const

/** What keeps `value` from being a comp-manager Store (the methods the tracker calls), or `undefined`. */
function storeProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return `is required (got ${describeValue(value)})`
  const { computations, cache } = value as Partial<Store>
  const lacking = (owner: unknown, methods: readonly string[]) =>
    methods.find((m) => typeof (owner as Record<string, unknown> | undefined)?.[m] !== 'function')
  const computation = lacking(computations, computationMethods)
  if (computation !== undefined) {
    return `lacks computations.${computation}(): pass a comp-manager Store (MemoryStore, SqliteStore, …)`
  }
  const entry = lacking(cache, cacheMethods)
  if (entry !== undefined)
    return `lacks cache.${entry}(): pass a comp-manager Store (MemoryStore, SqliteStore, …)`
  return undefined
}

const loggerProblem = (value: unknown) =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as TrackerLogger).error === 'function' &&
  typeof (value as TrackerLogger).warn === 'function'
    ? undefined
    : `must have error() and warn() methods (got ${describeValue(value)})`

const codecProblem = (value: unknown) =>
  value instanceof Codec ? undefined : `must be a Codec from @comp-manager/core (got ${describeValue(value)})`

const Lease = DurationSchema({ min: 10 })
const Interval = DurationSchema()

const TrackerOptionsParser = defineOptions(
  Type.Object(
    {
      store: InstanceSchema<Store>(storeProblem, 'a comp-manager Store'),
      namespace: NamespaceOptionSchema,
      owner: Type.Optional(Type.Union([Type.String({ maxLength: 256 }), Type.Null()])),
      clock: Type.Optional(CallbackSchema('a function returning epoch ms')),
      leaseMs: Type.Optional(Lease),
      heartbeatMs: Type.Optional(Interval),
      pollMs: Type.Optional(Interval),
      codec: Type.Optional(InstanceSchema<Codec>(codecProblem, 'a Codec')),
      logger: Type.Optional(InstanceSchema<TrackerLogger>(loggerProblem, 'a logger')),
      sweepIntervalMs: Type.Optional(Interval),
      retry: Type.Optional(
        Type.Object(
          {
            attempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
            baseDelayMs: Type.Optional(Interval),
            maxDelayMs: Type.Optional(Interval),
            retryable: Type.Optional(CallbackSchema()),
            onRetry: Type.Optional(CallbackSchema()),
          },
          { additionalProperties: false },
        ),
      ),
    },
    { additionalProperties: false },
  ),
  { package: PACKAGE, what: 'createTracker' },
)

const trackOptionsSchema = Type.Object(
  {
    functionFull: Type.Optional(NameSchema(512)),
    version: Type.Optional(
      Type.Union([Type.String({ maxLength: 256 }), Type.Number()], {
        expected: 'a string (at most 256 characters) or a finite number',
      } as never),
    ),
    onDuplicate: Type.Optional(OneOfSchema(onDuplicatePolicies)),
    leaseMs: Type.Optional(Lease),
    heartbeatMs: Type.Optional(Interval),
    storeResult: Type.Optional(Type.Boolean()),
    resultTtlMs: Type.Optional(Type.Union([DurationSchema({ max: 100 * 365 * 86_400_000 }), Type.Null()])),
    timeoutMs: Type.Optional(Interval),
    context: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
)

const trackParsers = {
  track: defineOptions(trackOptionsSchema, { package: PACKAGE, what: 'track()', optional: true }),
  tracked: defineOptions(trackOptionsSchema, { package: PACKAGE, what: '@tracked()', optional: true }),
}

const consoleLogger: TrackerLogger = {
  error: (context, message) => console.error(`[@comp-manager/tracker] ${message}`, context),
  warn: (context, message) => console.warn(`[@comp-manager/tracker] ${message}`, context),
}

/** Throws the `CM_ERR_INVALID_ARGUMENT` of a bad argument of a tracker method, naming it. */
export function invalid(where: string, option: string, problem: string): never {
  throw cmError('CM_ERR_INVALID_ARGUMENT', `${PACKAGE} ${where}: \`${option}\` ${problem}`, {
    details: { option, package: PACKAGE },
  })
}

function heartbeatBelowLease(
  fail: (path: string, problem: string) => never,
  heartbeatMs: number,
  leaseMs: number,
) {
  if (heartbeatMs >= leaseMs) {
    fail('heartbeatMs', `must be below leaseMs (${leaseMs}) so a live run renews its lease in time`)
  }
}

/** Validates `createTracker` options (each error names the option) and applies the defaults. */
export function resolveTrackerOptions(options: unknown): ResolvedTrackerOptions {
  const o = TrackerOptionsParser.parse(options)
  const leaseMs = o.leaseMs ?? 30_000
  const heartbeatSet = o.heartbeatMs !== undefined
  const heartbeatMs = o.heartbeatMs ?? Math.floor(leaseMs / 3)
  heartbeatBelowLease(TrackerOptionsParser.fail, heartbeatMs, leaseMs)
  return {
    store: o.store,
    namespace: o.namespace,
    owner: o.owner ?? null,
    clock: (o.clock as Clock | undefined) ?? systemClock,
    leaseMs,
    heartbeatMs,
    heartbeatSet,
    pollMs: o.pollMs ?? 25,
    codec: o.codec ?? defaultCodec,
    logger: o.logger ?? consoleLogger,
    sweepIntervalMs: o.sweepIntervalMs,
    retry: o.retry as RetryOptions | undefined,
  }
}

/** Validates the name and options of one tracked function, at `track()` time. */
export function resolveTrackOptions(
  name: unknown,
  options: unknown,
  tracker: ResolvedTrackerOptions,
  where: 'track' | 'tracked' = 'track',
): ResolvedTrackOptions {
  if (typeof name !== 'string' || name.trim().length === 0 || name.length > 512) {
    throw cmError(
      'CM_ERR_INVALID_ARGUMENT',
      `${PACKAGE} ${where}: the name must be a non-empty string of at most 512 characters (got ${describeValue(name)})`,
      { details: { option: 'name', package: PACKAGE } },
    )
  }
  const parser = trackParsers[where]
  const o = parser.parse(options)
  const onDuplicate = (o.onDuplicate ?? 'rerun') as OnDuplicate
  const leaseMs = o.leaseMs ?? tracker.leaseMs
  const heartbeatMs =
    o.heartbeatMs ??
    (o.leaseMs === undefined
      ? tracker.heartbeatMs
      : tracker.heartbeatSet
        ? Math.min(tracker.heartbeatMs, Math.floor(leaseMs / 3))
        : Math.floor(leaseMs / 3))
  heartbeatBelowLease(parser.fail, heartbeatMs, leaseMs)
  return {
    name,
    functionFull: o.functionFull ?? name,
    version: o.version,
    onDuplicate,
    leaseMs,
    heartbeatMs,
    storeResult: o.storeResult ?? (onDuplicate === 'wait' || onDuplicate === 'return'),
    resultTtlMs: o.resultTtlMs ?? null,
    timeoutMs: o.timeoutMs,
    context: o.context ?? false,
  }
}
