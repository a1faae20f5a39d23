import { type Clock, Codec, defaultCodec, type Store, systemClock } from '@comp-manager/core'
import {
  CallbackSchema,
  type Duration,
  DurationSchema,
  defineOptions,
  describeValue,
  InstanceSchema,
  NameSchema,
  NamespaceOptionSchema,
} from '@comp-manager/core/options'
import { Type } from 'typebox'
import { invalid, PACKAGE, storeProblem } from './errors.js'
import { assertCron, MIN_EVERY_MS } from './schedule.js'

/** Options of {@link createQueue}. */
export interface QueueOptions {
  /** A comp-manager Store with a queue port. */
  store: Store
  /** The namespace jobs are submitted to. */
  namespace: string
  /**
   * The functions the fleet runs: a submit of another name fails at once with
   * `CM_ERR_UNKNOWN_FUNCTION` (nothing written). `'registered'`: the functions of the live workers
   * in the registry. Default: not checked (the job waits for a worker that has the function).
   */
  functions?: readonly string[] | 'registered'
  /** Default `attempts` of a submit. Default 1 (no retry). */
  attempts?: number
  /** Codec of arguments and results (the same as the workers'). Default: core's `defaultCodec`. */
  codec?: Codec
  /** Source of "now" in epoch ms (must agree with the store's clock). Default `Date.now`. */
  clock?: Clock
  /** First polling interval of `result()` (grows to 1 s). Default 10 ms. */
  pollMs?: Duration
}

/** Options of `queue.submit(fn, args, options)`. */
export interface SubmitOptions {
  /** -1000..1000, higher first. Default 0. */
  priority?: number
  /** Not before this long from now (0 .. 1 year). Exclusive with `runAt`. */
  delay?: Duration
  /** Not before this epoch ms (at most a year ahead). Exclusive with `delay`. */
  runAt?: number | Date
  /** Attempts in all (1..100): a failure with attempts left is retried after the worker's backoff. */
  attempts?: number
  /** A call that already finished runs again (a queued or running one is still joined). */
  rerun?: boolean
  /** Display name of the record. Default: the function's name. */
  name?: string
  /** Recorded as the job's `owner`. */
  owner?: string | null
}

/** Options of `queue.schedule(name, fn, args, options)`: exactly one of `cron` and `every`. */
export interface ScheduleOptions {
  /** A cron expression (5 or 6 fields), read in `tz`. */
  cron?: string
  /** The IANA time zone of `cron` (`'Europe/Paris'`, `'America/New_York'`…). Default `'UTC'`. */
  tz?: string
  /** A fixed interval (≥ 1 s). */
  every?: Duration
  priority?: number
  attempts?: number
  /** First firing; default: the first due time after now (`every`: now + every). */
  startAt?: number | Date
}

export interface ResolvedQueueOptions {
  store: Store
  namespace: string
  functions: readonly string[] | 'registered' | undefined
  attempts: number
  codec: Codec
  clock: Clock
  pollMs: number
}

export const YEAR_MS = 365 * 86_400_000

const codecProblem = (value: unknown) =>
  value instanceof Codec ? undefined : `must be a Codec from @comp-manager/core (got ${describeValue(value)})`

const Priority = Type.Integer({ minimum: -1000, maximum: 1000 })
const Attempts = Type.Integer({ minimum: 1, maximum: 100 })
const EpochOrDate = InstanceSchema<number | Date>(
  (v) =>
    (typeof v === 'number' && Number.isFinite(v) && v >= 0) ||
    (v instanceof Date && !Number.isNaN(v.getTime()))
      ? undefined
      : `must be epoch milliseconds or a valid Date (got ${describeValue(v)})`,
  'epoch milliseconds or a Date',
)

const QueueOptionsParser = defineOptions(
  Type.Object(
    {
      store: InstanceSchema<Store>(storeProblem, 'a comp-manager Store with a queue port'),
      namespace: NamespaceOptionSchema,
      functions: Type.Optional(
        Type.Union([Type.Array(NameSchema(512), { maxItems: 10_000 }), Type.Literal('registered')], {
          expected: "an array of function names or 'registered'",
        } as never),
      ),
      attempts: Type.Optional(Attempts),
      codec: Type.Optional(InstanceSchema<Codec>(codecProblem, 'a Codec')),
      clock: Type.Optional(CallbackSchema('a function returning epoch ms')),
      pollMs: Type.Optional(DurationSchema()),
    },
    { additionalProperties: false },
  ),
  { package: PACKAGE, what: 'createQueue' },
)

const SubmitParser = defineOptions(
  Type.Object(
    {
      priority: Type.Optional(Priority),
      delay: Type.Optional(DurationSchema({ min: 0, max: YEAR_MS })),
      runAt: Type.Optional(EpochOrDate),
      attempts: Type.Optional(Attempts),
      rerun: Type.Optional(Type.Boolean()),
      name: Type.Optional(NameSchema(256)),
      owner: Type.Optional(Type.Union([Type.String({ maxLength: 256 }), Type.Null()])),
    },
    { additionalProperties: false },
  ),
  { package: PACKAGE, what: 'submit()', optional: true },
)

const ScheduleParser = defineOptions(
  Type.Object(
    {
      cron: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
      tz: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
      every: Type.Optional(DurationSchema({ min: MIN_EVERY_MS, max: YEAR_MS })),
      priority: Type.Optional(Priority),
      attempts: Type.Optional(Attempts),
      startAt: Type.Optional(EpochOrDate),
    },
    { additionalProperties: false },
  ),
  { package: PACKAGE, what: 'schedule()' },
)

export function resolveQueueOptions(options: unknown): ResolvedQueueOptions {
  const o = QueueOptionsParser.parse(options)
  return {
    store: o.store,
    namespace: o.namespace,
    functions: o.functions,
    attempts: o.attempts ?? 1,
    codec: o.codec ?? defaultCodec,
    clock: (o.clock as Clock | undefined) ?? systemClock,
    pollMs: o.pollMs ?? 10,
  }
}

const epoch = (value: number | Date) => (value instanceof Date ? value.getTime() : value)

/** Validates a submit's options; `runAt` resolved to epoch ms (or `null`: now). */
export function resolveSubmitOptions(options: unknown, now: number) {
  const o = SubmitParser.parse(options)
  if (o.delay !== undefined && o.runAt !== undefined)
    invalid('submit()', 'runAt', 'cannot be given with `delay`')
  let runAt: number | null = null
  if (o.delay !== undefined && o.delay > 0) runAt = now + o.delay
  if (o.runAt !== undefined) {
    runAt = epoch(o.runAt)
    if (runAt > now + YEAR_MS) invalid('submit()', 'runAt', 'must be at most a year ahead')
  }
  return { ...o, runAt }
}

/** Validates a schedule's options: exactly one of `cron` and `every`; a cron expression that parses. */
export function resolveScheduleOptions(name: unknown, options: unknown) {
  if (typeof name !== 'string' || name.length === 0 || name.length > 256 || !/\S/.test(name)) {
    invalid(
      'schedule()',
      'name',
      `must be a non-empty string of at most 256 characters (got ${describeValue(name)})`,
    )
  }
  const o = ScheduleParser.parse(options)
  if ((o.cron === undefined) === (o.every === undefined)) {
    invalid('schedule()', 'cron', 'or `every` is required, not both')
  }
  if (o.tz !== undefined && o.cron === undefined) invalid('schedule()', 'tz', 'applies to `cron` only')
  if (o.cron !== undefined) assertCron(o.cron, o.tz ?? null)
  return { ...o, startAt: o.startAt === undefined ? undefined : epoch(o.startAt) }
}
