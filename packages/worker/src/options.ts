import { type Clock, Codec, defaultCodec, type Store, systemClock } from '@comp-manager/core'
import {
  CallbackSchema,
  type Duration,
  DurationSchema,
  defineOptions,
  describeValue,
  InstanceSchema,
  isPlainObject,
  NamespaceOptionSchema,
} from '@comp-manager/core/options'
import { Type } from 'typebox'
import { type Backoff, defaultBackoff } from './backoff.js'
import { invalid, PACKAGE, storeProblem } from './errors.js'
import { BackoffSchema, parseFunctions, type ResolvedFunction, RetentionSchema } from './function-options.js'
import type { BackoffOptions, FunctionSpec, JobFunction, RetentionOptions, RetryPolicy } from './types.js'

/** Where the worker reports what it could not record (pino-compatible: `logger.error(obj, msg)`). */
export interface WorkerLogger {
  error(context: Record<string, unknown>, message: string): void
  warn(context: Record<string, unknown>, message: string): void
}

/** Options of {@link createWorker}. */
export interface WorkerOptions {
  /** A comp-manager Store with a queue port (`store.queue`: MemoryStore, SqliteStore, MongoStore). */
  store: Store
  /** The namespace whose jobs this worker runs (or `namespaces`: several). */
  namespace?: string
  namespaces?: readonly string[]
  /** The functions this worker runs, by name: a function, or `{ run, concurrency, timeoutMs, … }`. */
  functions: Readonly<Record<string, JobFunction | FunctionSpec>>
  /** Jobs run at once by this worker, all functions together. Default 1. */
  concurrency?: number
  /** Per function, at most this many at once in this worker (`{ factor: 2 }`). */
  limits?: Readonly<Record<string, number>>
  /** Per function, at most this many at once across the fleet (enforced by the store's claim). */
  fleetLimits?: Readonly<Record<string, number>>
  /** How long a job stays claimed without a heartbeat. Default 30 s. */
  leaseMs?: Duration
  /** How often a running job renews its lease (and sees a pause or cancel). Default `leaseMs / 3`. */
  heartbeatMs?: Duration
  /** Backoff and which errors retry, for every function (a function's own `retry` wins). */
  retry?: RetryPolicy
  /** Idle polling: the first wait after an empty claim (default 5 ms), doubling up to `maxMs` (default 40 ms). */
  poll?: { minMs?: Duration; maxMs?: Duration }
  /** How often expired leases of dead workers are recovered. Default `leaseMs / 2`. */
  recoverIntervalMs?: Duration
  /** How often due schedules are fired. Default 500 ms; `false`: this worker fires none. */
  scheduleIntervalMs?: Duration | false
  /** How often the worker's registry entry is refreshed (it expires after 3 × that). Default 5 s. */
  registryIntervalMs?: Duration
  /** Periodic pruning of old terminal records. Default: none. */
  retention?: RetentionOptions
  /** A lost job (dead worker) gets this many more attempts beyond its `attempts`. Default 3. */
  maxLostRetries?: number
  /** Codec of arguments, checkpoints and results. Default: core's `defaultCodec`. */
  codec?: Codec
  /** Source of "now" in epoch ms (must agree with the store's clock). Default `Date.now`. */
  clock?: Clock
  /** Recorded as `owner` of the jobs it claims. Default: the worker's id. */
  owner?: string | null
  /** Free-form, shown in `listWorkers()` (e.g. your service's version). */
  version?: string | null
  /** Default: `console`. */
  logger?: WorkerLogger
}

export interface ResolvedRetry {
  backoff: Backoff
  retryable: ((error: unknown) => boolean) | undefined
}

export interface ResolvedRetention {
  maxAgeMs?: number
  keepLast?: number
  statuses: readonly ('finished' | 'failed' | 'lost')[]
  intervalMs: number
  batchSize: number
}

export interface ResolvedWorkerOptions {
  store: Store
  namespaces: string[]
  functions: Map<string, ResolvedFunction>
  concurrency: number
  fleetLimits: Record<string, number>
  leaseMs: number
  heartbeatMs: number
  retry: ResolvedRetry
  pollMinMs: number
  pollMaxMs: number
  recoverIntervalMs: number
  scheduleIntervalMs: number | false
  registryIntervalMs: number
  retention: ResolvedRetention | null
  maxLostRetries: number
  codec: Codec
  clock: Clock
  owner: string | null
  version: string | null
  logger: WorkerLogger
}

const loggerProblem = (value: unknown) =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as WorkerLogger).error === 'function' &&
  typeof (value as WorkerLogger).warn === 'function'
    ? undefined
    : `must have error() and warn() methods (got ${describeValue(value)})`

const codecProblem = (value: unknown) =>
  value instanceof Codec ? undefined : `must be a Codec from @comp-manager/core (got ${describeValue(value)})`

const Interval = DurationSchema()
const Count = (max: number) => Type.Integer({ minimum: 1, maximum: max })
/** `{ functionName: n }`, n an integer 1..10 000 (keys checked against `functions` after parsing). */
const LimitMap = InstanceSchema<Record<string, number>>((value) => {
  if (!isPlainObject(value))
    return `must be an object of limits by function name (got ${describeValue(value)})`
  for (const [name, limit] of Object.entries(value)) {
    if (!Number.isInteger(limit) || (limit as number) < 1 || (limit as number) > 10_000) {
      return `.${name} must be an integer from 1 to 10000 (got ${describeValue(limit)})`
    }
  }
  return undefined
}, 'an object of limits by function name')

const WorkerOptionsParser = defineOptions(
  Type.Object(
    {
      store: InstanceSchema<Store>(storeProblem, 'a comp-manager Store with a queue port'),
      namespace: Type.Optional(NamespaceOptionSchema),
      namespaces: Type.Optional(Type.Array(NamespaceOptionSchema, { minItems: 1, maxItems: 100 })),
      functions: InstanceSchema<Record<string, unknown>>(
        (v) =>
          isPlainObject(v) ? undefined : `must be an object of functions by name (got ${describeValue(v)})`,
        'an object of functions by name',
      ),
      concurrency: Type.Optional(Count(1000)),
      limits: Type.Optional(LimitMap),
      fleetLimits: Type.Optional(LimitMap),
      leaseMs: Type.Optional(DurationSchema({ min: 50 })),
      heartbeatMs: Type.Optional(Interval),
      retry: Type.Optional(
        Type.Object(
          { backoff: Type.Optional(BackoffSchema), retryable: Type.Optional(CallbackSchema()) },
          { additionalProperties: false },
        ),
      ),
      poll: Type.Optional(
        Type.Object(
          { minMs: Type.Optional(Interval), maxMs: Type.Optional(DurationSchema({ max: 60_000 })) },
          { additionalProperties: false },
        ),
      ),
      recoverIntervalMs: Type.Optional(DurationSchema({ min: 10 })),
      scheduleIntervalMs: Type.Optional(Type.Union([DurationSchema({ min: 10 }), Type.Literal(false)])),
      registryIntervalMs: Type.Optional(DurationSchema({ min: 10 })),
      retention: Type.Optional(RetentionSchema),
      maxLostRetries: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
      codec: Type.Optional(InstanceSchema<Codec>(codecProblem, 'a Codec')),
      clock: Type.Optional(CallbackSchema('a function returning epoch ms')),
      owner: Type.Optional(Type.Union([Type.String({ maxLength: 256 }), Type.Null()])),
      version: Type.Optional(Type.Union([Type.String({ maxLength: 256 }), Type.Null()])),
      logger: Type.Optional(InstanceSchema<WorkerLogger>(loggerProblem, 'a logger')),
    },
    { additionalProperties: false },
  ),
  { package: PACKAGE, what: 'createWorker' },
)

const consoleLogger: WorkerLogger = {
  error: (context, message) => console.error(`[${PACKAGE}] ${message}`, context),
  warn: (context, message) => console.warn(`[${PACKAGE}] ${message}`, context),
}

export function resolveBackoff(options: BackoffOptions | undefined, base: Backoff = defaultBackoff): Backoff {
  return {
    type: options?.type ?? base.type,
    delayMs: (options?.delayMs as number | undefined) ?? base.delayMs,
    maxDelayMs: (options?.maxDelayMs as number | undefined) ?? base.maxDelayMs,
    jitter: options?.jitter ?? base.jitter,
  }
}

function resolveNamespaces(
  namespace: string | undefined,
  namespaces: readonly string[] | undefined,
): string[] {
  const fail = WorkerOptionsParser.fail
  if (namespace !== undefined && namespaces !== undefined)
    fail('namespaces', 'cannot be given with `namespace`')
  if (namespace === undefined && namespaces === undefined) fail('namespace', 'is required (or `namespaces`)')
  return [...new Set(namespaces ?? [namespace as string])]
}

/** Validates `createWorker` options (each error names the option) and applies the defaults. */
export function resolveWorkerOptions(options: unknown): ResolvedWorkerOptions {
  const o = WorkerOptionsParser.parse(options)
  const fail = WorkerOptionsParser.fail
  const leaseMs = o.leaseMs ?? 30_000
  const heartbeatMs = o.heartbeatMs ?? Math.max(1, Math.floor(leaseMs / 3))
  if (heartbeatMs >= leaseMs) fail('heartbeatMs', `must be below leaseMs (${leaseMs})`)
  const concurrency = o.concurrency ?? 1
  const retry: ResolvedRetry = {
    backoff: resolveBackoff(o.retry?.backoff as BackoffOptions | undefined),
    retryable: o.retry?.retryable as ResolvedRetry['retryable'],
  }
  const functions = parseFunctions(o.functions, { concurrency, leaseMs, heartbeatMs, retry }, fail)
  for (const [field, map] of [
    ['limits', o.limits],
    ['fleetLimits', o.fleetLimits],
  ] as const) {
    for (const name of Object.keys(map ?? {})) {
      if (!functions.has(name)) fail(`${field}.${name}`, 'names no function of `functions`')
    }
  }
  for (const [name, limit] of Object.entries(o.limits ?? {})) {
    const fn = functions.get(name) as ResolvedFunction
    fn.concurrency = Math.min(fn.concurrency, limit)
  }
  const fleetLimits: Record<string, number> = { ...(o.fleetLimits ?? {}) }
  for (const [name, fn] of functions)
    if (fn.fleetConcurrency !== undefined) fleetLimits[name] ??= fn.fleetConcurrency
  const pollMinMs = o.poll?.minMs ?? 5
  const pollMaxMs = o.poll?.maxMs ?? 40
  if (pollMaxMs < pollMinMs) fail('poll.maxMs', `must not be below poll.minMs (${pollMinMs})`)
  const r = o.retention as RetentionOptions | undefined
  if (r !== undefined && r.maxAgeMs === undefined && r.keepLast === undefined) {
    fail('retention', 'needs `maxAgeMs` or `keepLast` (or both)')
  }
  return {
    store: o.store,
    namespaces: resolveNamespaces(o.namespace, o.namespaces),
    functions,
    concurrency,
    fleetLimits,
    leaseMs,
    heartbeatMs,
    retry,
    pollMinMs,
    pollMaxMs,
    recoverIntervalMs: o.recoverIntervalMs ?? Math.max(10, Math.floor(leaseMs / 2)),
    scheduleIntervalMs: o.scheduleIntervalMs ?? 500,
    registryIntervalMs: o.registryIntervalMs ?? 5000,
    retention:
      r === undefined
        ? null
        : {
            ...(r.maxAgeMs === undefined ? {} : { maxAgeMs: r.maxAgeMs as number }),
            ...(r.keepLast === undefined ? {} : { keepLast: r.keepLast }),
            statuses: r.statuses ?? ['finished', 'failed', 'lost'],
            intervalMs: (r.intervalMs as number | undefined) ?? 60_000,
            batchSize: r.batchSize ?? 500,
          },
    maxLostRetries: o.maxLostRetries ?? 3,
    codec: o.codec ?? defaultCodec,
    clock: (o.clock as Clock | undefined) ?? systemClock,
    owner: o.owner ?? null,
    version: o.version ?? null,
    logger: o.logger ?? consoleLogger,
  }
}

export { invalid }
