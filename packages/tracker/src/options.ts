import {
  type Clock,
  Codec,
  cmError,
  defaultCodec,
  describeType,
  type Store,
  systemClock,
} from '@comp-manager/core'
import type { RetryOptions } from '@comp-manager/core/runs'
import { assertNamespace } from '@comp-manager/core/store-kit'

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
  leaseMs?: number
  /** How often a running call renews its lease. Default `leaseMs / 3`; must be below `leaseMs`. */
  heartbeatMs?: number
  /** First polling interval of a waiter watching a run of another process (grows to 1 s). Default 25 ms. */
  pollMs?: number
  /** Codec for arguments, checkpoints and results (and the hash). Default: core's `defaultCodec`. */
  codec?: Codec
  /** Default: `console`. Every `error` event is also logged here. */
  logger?: TrackerLogger
  /** Sweeps expired leases every so many ms (an unref'd timer; `close()` stops it). Default: off. */
  sweepIntervalMs?: number
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
  leaseMs?: number
  /**
   * This function's heartbeat. Default: the tracker's; when `leaseMs` is set here, `leaseMs / 3` (or
   * the tracker's explicit `heartbeatMs` if that is shorter).
   */
  heartbeatMs?: number
  /**
   * Store the return value in the store's cache (key: the run's hash) so that `'wait'` and
   * `'return'` callers, in any process, get it. Default: true for `'wait'` and `'return'`.
   */
  storeResult?: boolean
  /** Time to live of the stored result. Default: no expiry. */
  resultTtlMs?: number | null
  /** How long a `'wait'` caller waits for another run before `CM_ERR_TIMEOUT`. Default: no limit. */
  timeoutMs?: number
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

const MAX_DURATION = 2 ** 31 - 1 // setTimeout's limit

const trackerKeys = new Set([
  'store',
  'namespace',
  'owner',
  'clock',
  'leaseMs',
  'heartbeatMs',
  'pollMs',
  'codec',
  'logger',
  'sweepIntervalMs',
  'retry',
])
const trackKeys = new Set([
  'functionFull',
  'version',
  'onDuplicate',
  'leaseMs',
  'heartbeatMs',
  'storeResult',
  'resultTtlMs',
  'timeoutMs',
  'context',
])

const computationMethods = ['claim', 'get', 'update', 'heartbeat', 'expire', 'findExpired', 'list'] as const
const cacheMethods = ['get', 'set'] as const

export function invalid(where: string, option: string, problem: string): never {
  throw cmError('CM_ERR_INVALID_ARGUMENT', `${where}: \`${option}\` ${problem}`, { details: { option } })
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

function duration(where: string, option: string, value: unknown, min = 1): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > MAX_DURATION) {
    invalid(
      where,
      option,
      `must be an integer number of milliseconds from ${min} to ${MAX_DURATION} (got ${show(value)})`,
    )
  }
  return value
}

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) {
    return String(value)
  }
  return describeType(value)
}

function unknownKeys(where: string, options: Record<string, unknown>, known: Set<string>): void {
  for (const key of Object.keys(options)) {
    if (!known.has(key)) invalid(where, key, `is not an option (expected one of ${[...known].join(', ')})`)
  }
}

const consoleLogger: TrackerLogger = {
  error: (context, message) => console.error(`[@comp-manager/tracker] ${message}`, context),
  warn: (context, message) => console.warn(`[@comp-manager/tracker] ${message}`, context),
}

/** Validates `createTracker` options (each error names the option) and applies the defaults. */
export function resolveTrackerOptions(options: unknown): ResolvedTrackerOptions {
  const where = 'createTracker'
  if (!isPlainObject(options)) {
    throw cmError(
      'CM_ERR_INVALID_ARGUMENT',
      `${where}: options must be an object, got ${describeType(options)}`,
      {
        details: { option: 'options' },
      },
    )
  }
  unknownKeys(where, options, trackerKeys)
  const { store } = options as { store?: unknown }
  if (typeof store !== 'object' || store === null) invalid(where, 'store', `is required (got ${show(store)})`)
  const { computations, cache } = store as Partial<Store>
  for (const method of computationMethods) {
    if (typeof (computations as unknown as Record<string, unknown> | undefined)?.[method] !== 'function') {
      invalid(
        where,
        'store',
        `lacks computations.${method}(): pass a comp-manager Store (MemoryStore, SqliteStore, …)`,
      )
    }
  }
  for (const method of cacheMethods) {
    if (typeof (cache as unknown as Record<string, unknown> | undefined)?.[method] !== 'function') {
      invalid(
        where,
        'store',
        `lacks cache.${method}(): pass a comp-manager Store (MemoryStore, SqliteStore, …)`,
      )
    }
  }
  const namespace = options.namespace
  try {
    assertNamespace(namespace)
  } catch (err) {
    invalid(where, 'namespace', `${(err as Error).message.replace(/^namespace /, '')}`)
  }
  const owner = options.owner ?? null
  if (owner !== null && (typeof owner !== 'string' || owner.length > 256)) {
    invalid(where, 'owner', `must be a string of at most 256 characters or null (got ${show(owner)})`)
  }
  const clock = options.clock ?? systemClock
  if (typeof clock !== 'function')
    invalid(where, 'clock', `must be a function returning epoch ms (got ${show(clock)})`)
  const leaseMs = options.leaseMs === undefined ? 30_000 : duration(where, 'leaseMs', options.leaseMs, 10)
  const heartbeatSet = options.heartbeatMs !== undefined
  const heartbeatMs = heartbeatSet
    ? duration(where, 'heartbeatMs', options.heartbeatMs)
    : Math.floor(leaseMs / 3)
  if (heartbeatMs >= leaseMs) {
    invalid(where, 'heartbeatMs', `must be below leaseMs (${leaseMs}) so a live run renews its lease in time`)
  }
  const pollMs = options.pollMs === undefined ? 25 : duration(where, 'pollMs', options.pollMs)
  const codec = options.codec ?? defaultCodec
  if (!(codec instanceof Codec))
    invalid(where, 'codec', `must be a Codec from @comp-manager/core (got ${show(codec)})`)
  const logger = options.logger ?? consoleLogger
  if (
    typeof logger !== 'object' ||
    logger === null ||
    typeof (logger as TrackerLogger).error !== 'function' ||
    typeof (logger as TrackerLogger).warn !== 'function'
  ) {
    invalid(where, 'logger', `must have error() and warn() methods (got ${show(logger)})`)
  }
  const sweepIntervalMs =
    options.sweepIntervalMs === undefined
      ? undefined
      : duration(where, 'sweepIntervalMs', options.sweepIntervalMs)
  const retry = options.retry
  if (retry !== undefined && !isPlainObject(retry))
    invalid(where, 'retry', `must be an object (got ${show(retry)})`)
  return {
    store: store as Store,
    namespace: namespace as string,
    owner: owner as string | null,
    clock: clock as Clock,
    leaseMs,
    heartbeatMs,
    heartbeatSet,
    pollMs,
    codec: codec as Codec,
    logger: logger as TrackerLogger,
    sweepIntervalMs,
    retry: retry as RetryOptions | undefined,
  }
}

/** Validates the name and options of one tracked function, at `track()` time. */
export function resolveTrackOptions(
  name: unknown,
  options: unknown,
  tracker: ResolvedTrackerOptions,
  where = 'track',
): ResolvedTrackOptions {
  if (typeof name !== 'string' || name.trim().length === 0 || name.length > 512) {
    throw cmError(
      'CM_ERR_INVALID_ARGUMENT',
      `${where}: the name must be a non-empty string of at most 512 characters (got ${show(name)})`,
      { details: { option: 'name' } },
    )
  }
  const opts = options ?? {}
  if (!isPlainObject(opts)) {
    throw cmError(
      'CM_ERR_INVALID_ARGUMENT',
      `${where}: options must be an object, got ${describeType(opts)}`,
      {
        details: { option: 'options' },
      },
    )
  }
  unknownKeys(where, opts, trackKeys)
  const functionFull = opts.functionFull ?? name
  if (typeof functionFull !== 'string' || functionFull.trim().length === 0 || functionFull.length > 512) {
    invalid(
      where,
      'functionFull',
      `must be a non-empty string of at most 512 characters (got ${show(functionFull)})`,
    )
  }
  const version = opts.version
  if (
    version !== undefined &&
    !(typeof version === 'string' && version.length <= 256) &&
    !(typeof version === 'number' && Number.isFinite(version))
  ) {
    invalid(
      where,
      'version',
      `must be a string (at most 256 characters) or a finite number (got ${show(version)})`,
    )
  }
  const onDuplicate = opts.onDuplicate ?? 'rerun'
  if (!onDuplicatePolicies.includes(onDuplicate as OnDuplicate)) {
    invalid(
      where,
      'onDuplicate',
      `must be one of ${onDuplicatePolicies.join(', ')} (got ${show(onDuplicate)})`,
    )
  }
  const leaseSet = opts.leaseMs !== undefined
  const leaseMs = leaseSet ? duration(where, 'leaseMs', opts.leaseMs, 10) : tracker.leaseMs
  const heartbeatMs =
    opts.heartbeatMs !== undefined
      ? duration(where, 'heartbeatMs', opts.heartbeatMs)
      : !leaseSet
        ? tracker.heartbeatMs
        : tracker.heartbeatSet
          ? Math.min(tracker.heartbeatMs, Math.floor(leaseMs / 3))
          : Math.floor(leaseMs / 3)
  if (heartbeatMs >= leaseMs) {
    invalid(where, 'heartbeatMs', `must be below leaseMs (${leaseMs}) so a live run renews its lease in time`)
  }
  const storeResult = opts.storeResult ?? (onDuplicate === 'wait' || onDuplicate === 'return')
  if (typeof storeResult !== 'boolean')
    invalid(where, 'storeResult', `must be a boolean (got ${show(storeResult)})`)
  const resultTtlMs =
    opts.resultTtlMs === undefined || opts.resultTtlMs === null
      ? null
      : duration(where, 'resultTtlMs', opts.resultTtlMs)
  const timeoutMs = opts.timeoutMs === undefined ? undefined : duration(where, 'timeoutMs', opts.timeoutMs)
  const context = opts.context ?? false
  if (typeof context !== 'boolean') invalid(where, 'context', `must be a boolean (got ${show(context)})`)
  return {
    name,
    functionFull,
    version: version as string | number | undefined,
    onDuplicate: onDuplicate as OnDuplicate,
    leaseMs,
    heartbeatMs,
    storeResult,
    resultTtlMs,
    timeoutMs,
    context,
  }
}
