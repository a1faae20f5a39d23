import { type Static, type TSchema, Type } from 'typebox'
import { Compile } from 'typebox/compile'
import { ErrorInfoSchema, FunctionNameSchema, NamespaceSchema } from '../domain/schemas.js'
import { cmError, describeType } from '../errors/index.js'
import type {
  ClaimNextInput,
  NewJob,
  NewSchedule,
  PruneCriteria,
  RetryInput,
  WorkerRegistration,
} from './queue-ports.js'
import { assertJsonTree, check } from './validate.js'

/**
 * Validation and normalisation of the queue port's inputs (`queue-ports.ts`), shared by every Store
 * through the guard: bad input is `CM_ERR_INVALID_ARGUMENT` naming the field, before a backend sees it.
 * Lists are bounded, numbers ranged, times at most a year ahead of the store's clock.
 */

/** How far ahead a `runAt` or a schedule's `nextRunAt` may be. */
export const MAX_SCHEDULE_AHEAD_MS = 366 * 24 * 60 * 60 * 1000
export const PRIORITY_RANGE = { min: -1000, max: 1000 } as const
export const MAX_ATTEMPTS = 100
/** Bounds of a claim's lease and of a worker entry's time to live. */
export const LEASE_RANGE = { min: 10, max: 24 * 60 * 60 * 1000 } as const
export const MAX_CLAIM_NAMESPACES = 100
export const MAX_CLAIM_FUNCTIONS = 1000
export const MAX_LIMIT_VALUE = 100_000
export const DEFAULT_RECOVER_LIMIT = 100
export const DEFAULT_MAX_LOST_RETRIES = 3
/** The most jobs one `claimBatch` takes. */
export const MAX_CLAIM_BATCH = 100
export const DEFAULT_PRUNE_BATCH = 500
export const MAX_PRUNE_BATCH = 10_000

const nullable = <T extends TSchema>(s: T) => Type.Union([s, Type.Null()])
const Time = Type.Number({ minimum: 0 })
const ShortText = Type.String({ maxLength: 256 })
const Message = Type.String({ maxLength: 64 * 1024 })
const Priority = Type.Integer({ minimum: PRIORITY_RANGE.min, maximum: PRIORITY_RANGE.max })
const Attempts = Type.Integer({ minimum: 1, maximum: MAX_ATTEMPTS })
const Lease = Type.Integer({ minimum: LEASE_RANGE.min, maximum: LEASE_RANGE.max })
const Namespaces = Type.Array(NamespaceSchema, { minItems: 1, maxItems: MAX_CLAIM_NAMESPACES })
const Functions = Type.Array(FunctionNameSchema, { minItems: 1, maxItems: MAX_CLAIM_FUNCTIONS })
const Id = Type.String({ minLength: 1, maxLength: 256 })

const NewJobCheck = Compile(
  Type.Object(
    {
      namespace: NamespaceSchema,
      name: Type.Optional(Type.String({ maxLength: 512 })),
      function: FunctionNameSchema,
      functionFull: FunctionNameSchema,
      args: Type.Unknown(),
      hash: Type.String({ minLength: 1, maxLength: 256 }),
      hashAlgorithm: Type.String({ minLength: 1, maxLength: 32 }),
      priority: Type.Optional(Priority),
      runAt: Type.Optional(nullable(Time)),
      maxAttempts: Type.Optional(Attempts),
      rerun: Type.Optional(Type.Boolean()),
      owner: Type.Optional(nullable(ShortText)),
      message: Type.Optional(nullable(Message)),
    },
    { additionalProperties: false },
  ),
)

const ClaimNextCheck = Compile(
  Type.Object(
    {
      namespaces: Namespaces,
      functions: Functions,
      worker: Id,
      owner: Type.Optional(nullable(ShortText)),
      pid: nullable(Type.Integer({ minimum: 0 })),
      host: nullable(ShortText),
      leaseMs: Lease,
      limits: Type.Optional(Type.Object({})),
      max: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_CLAIM_BATCH })),
      maxLostRetries: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_ATTEMPTS })),
    },
    { additionalProperties: false },
  ),
)

const RetryCheck = Compile(
  Type.Object(
    { error: ErrorInfoSchema, runAt: Time, message: Type.Optional(nullable(Message)) },
    { additionalProperties: false },
  ),
)

const RequeueCheck = Compile(
  Type.Object(
    { runAt: Type.Optional(nullable(Time)), checkpoint: Type.Optional(Type.Unknown()) },
    { additionalProperties: false },
  ),
)

const RecoverCheck = Compile(
  Type.Object(
    {
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
      maxLostRetries: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_ATTEMPTS })),
    },
    { additionalProperties: false },
  ),
)

const TerminalStatus = Type.Union([Type.Literal('finished'), Type.Literal('failed'), Type.Literal('lost')])

const PruneCheck = Compile(
  Type.Object(
    {
      namespace: Type.Union([NamespaceSchema, Namespaces]),
      function: Type.Optional(FunctionNameSchema),
      statuses: Type.Optional(Type.Array(TerminalStatus, { minItems: 1, maxItems: 3 })),
      finishedBefore: Type.Optional(Time),
      keepLast: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
      batchSize: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PRUNE_BATCH })),
    },
    { additionalProperties: false },
  ),
)

const WorkerCheck = Compile(
  Type.Object(
    {
      id: Id,
      namespaces: Namespaces,
      functions: Functions,
      host: ShortText,
      pid: Type.Integer({ minimum: 0 }),
      concurrency: Type.Integer({ minimum: 1, maximum: MAX_LIMIT_VALUE }),
      running: Type.Integer({ minimum: 0, maximum: MAX_LIMIT_VALUE }),
      startedAt: Time,
      version: Type.Optional(nullable(ShortText)),
    },
    { additionalProperties: false },
  ),
)

const ScheduleCheck = Compile(
  Type.Object(
    {
      namespace: NamespaceSchema,
      name: Type.String({ minLength: 1, maxLength: 256 }),
      function: FunctionNameSchema,
      functionFull: FunctionNameSchema,
      args: Type.Unknown(),
      cron: nullable(Type.String({ minLength: 1, maxLength: 256 })),
      everyMs: nullable(Type.Integer({ minimum: 1000, maximum: MAX_SCHEDULE_AHEAD_MS })),
      tz: Type.Optional(nullable(Type.String({ minLength: 1, maxLength: 64 }))),
      nextRunAt: Time,
      priority: Type.Optional(Priority),
      maxAttempts: Type.Optional(Attempts),
    },
    { additionalProperties: false },
  ),
)

const LimitCheck = Compile(
  Type.Object(
    { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })) },
    { additionalProperties: false },
  ),
)

const NamespacesCheck = Compile(Namespaces)

type TerminalStatusName = Static<typeof TerminalStatus>

export interface NormalizedNewJob extends NewJob {
  priority: number
  runAt: number | null
  maxAttempts: number
  rerun: boolean
}

export interface NormalizedClaimNext extends ClaimNextInput {
  namespaces: string[]
  functions: string[]
  owner: string
  /** Function name → fleet-wide limit; a prototype-free map. */
  limits: Readonly<Record<string, number>>
  /** How many jobs the claim may take (1 for `claimNext`). */
  max: number
  maxLostRetries: number
}

export interface NormalizedPruneCriteria {
  namespaces: string[]
  function?: string
  statuses: TerminalStatusName[]
  finishedBefore?: number
  keepLast?: number
  batchSize: number
}

export interface NormalizedSchedule extends NewSchedule {
  tz: string | null
  priority: number
  maxAttempts: number
}

function invalid(message: string, field: string): never {
  throw cmError('CM_ERR_INVALID_ARGUMENT', message, { details: { field } })
}

/** A time no further than {@link MAX_SCHEDULE_AHEAD_MS} after `now`. */
export function assertNotTooFar(value: number | null | undefined, field: string, now: number): void {
  if (value !== null && value !== undefined && value > now + MAX_SCHEDULE_AHEAD_MS) {
    invalid(`${field} must be at most a year ahead (got ${new Date(value).toISOString()})`, field)
  }
}

/** Keys that would reach a query language or an object's prototype: refused in maps keyed by names. */
function assertSafeKey(key: string, field: string): void {
  if (key.startsWith('$') || key === '__proto__' || key === 'constructor' || key === 'prototype') {
    invalid(`${field} may not have the key '${key}'`, field)
  }
}

export function normalizeNewJob(input: unknown, now: number): NormalizedNewJob {
  check(NewJobCheck, input, 'job')
  assertJsonTree(input.args, 'args')
  assertNotTooFar(input.runAt, 'runAt', now)
  return {
    ...input,
    priority: input.priority ?? 0,
    runAt: input.runAt ?? null,
    maxAttempts: input.maxAttempts ?? 1,
    rerun: input.rerun ?? false,
  }
}

function normalizeLimits(limits: unknown): Record<string, number> {
  const out: Record<string, number> = Object.create(null)
  if (limits === undefined) return out
  const entries = Object.entries(limits as Record<string, unknown>)
  if (entries.length > MAX_CLAIM_FUNCTIONS)
    invalid(`limits may name at most ${MAX_CLAIM_FUNCTIONS} functions`, 'limits')
  for (const [key, value] of entries) {
    assertSafeKey(key, 'limits')
    if (key.length === 0 || key.length > 512) invalid('limits keys must be function names', 'limits')
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_LIMIT_VALUE) {
      invalid(
        `limits.${key} must be an integer from 1 to ${MAX_LIMIT_VALUE} (got ${describeType(value)})`,
        'limits',
      )
    }
    out[key] = value
  }
  return out
}

export function normalizeClaimNext(input: unknown): NormalizedClaimNext {
  if (typeof input === 'object' && input !== null && Object.hasOwn(input, '__proto__')) {
    invalid('claimNext input may not have a __proto__ key', '__proto__')
  }
  check(ClaimNextCheck, input, 'claimNext input')
  const limits = (input as { limits?: unknown }).limits
  if (limits !== undefined && Object.getPrototypeOf(limits) !== Object.prototype) {
    invalid('limits must be a plain object of function name → number', 'limits')
  }
  return {
    ...input,
    namespaces: [...new Set(input.namespaces)],
    functions: [...new Set(input.functions)],
    owner: input.owner ?? input.worker,
    limits: normalizeLimits(limits),
    max: input.max ?? 1,
    maxLostRetries: input.maxLostRetries ?? DEFAULT_MAX_LOST_RETRIES,
  }
}

export function validateRetryInput(input: unknown, now: number): asserts input is RetryInput {
  check(RetryCheck, input, 'retry input')
  assertNotTooFar(input.runAt, 'runAt', now)
}

export function validateRequeueInput(
  expectedStatus: unknown,
  input: unknown,
  now: number,
): asserts input is { runAt?: number | null; checkpoint?: unknown } | undefined {
  if (expectedStatus !== 'started' && expectedStatus !== 'paused') {
    invalid(
      `expectedStatus must be 'started' or 'paused' (got ${describeType(expectedStatus)})`,
      'expectedStatus',
    )
  }
  if (input === undefined) return
  check(RequeueCheck, input, 'requeue input')
  assertNotTooFar(input.runAt, 'runAt', now)
  if (input.checkpoint !== undefined) assertJsonTree(input.checkpoint, 'checkpoint')
}

export function normalizeRecoverOptions(options: unknown): { limit: number; maxLostRetries: number } {
  if (options === undefined) return { limit: DEFAULT_RECOVER_LIMIT, maxLostRetries: DEFAULT_MAX_LOST_RETRIES }
  check(RecoverCheck, options, 'recoverExpired options')
  return {
    limit: options.limit ?? DEFAULT_RECOVER_LIMIT,
    maxLostRetries: options.maxLostRetries ?? DEFAULT_MAX_LOST_RETRIES,
  }
}

export function normalizePruneCriteria(criteria: unknown): NormalizedPruneCriteria {
  check(PruneCheck, criteria, 'prune criteria')
  const c = criteria as PruneCriteria
  if (c.finishedBefore === undefined && c.keepLast === undefined) {
    invalid('prune needs `finishedBefore`, `keepLast` or both: it never deletes everything', 'finishedBefore')
  }
  return {
    namespaces: [...new Set(typeof c.namespace === 'string' ? [c.namespace] : c.namespace)],
    ...(c.function === undefined ? {} : { function: c.function }),
    statuses: [...new Set(c.statuses ?? (['finished', 'failed', 'lost'] as const))],
    ...(c.finishedBefore === undefined ? {} : { finishedBefore: c.finishedBefore }),
    ...(c.keepLast === undefined ? {} : { keepLast: c.keepLast }),
    batchSize: c.batchSize ?? DEFAULT_PRUNE_BATCH,
  }
}

export function validateWorkerRegistration(
  info: unknown,
  ttlMs: unknown,
): asserts info is WorkerRegistration {
  check(WorkerCheck, info, 'worker registration')
  if (
    typeof ttlMs !== 'number' ||
    !Number.isInteger(ttlMs) ||
    ttlMs < LEASE_RANGE.min ||
    ttlMs > LEASE_RANGE.max
  ) {
    invalid(`ttlMs must be an integer from ${LEASE_RANGE.min} to ${LEASE_RANGE.max}`, 'ttlMs')
  }
}

/** Whether the runtime's time zone database knows `tz` (e.g. `Europe/Paris`, `UTC`). */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz })
    return true
  } catch {
    return false
  }
}

export function normalizeSchedule(input: unknown, now: number): NormalizedSchedule {
  check(ScheduleCheck, input, 'schedule')
  assertJsonTree(input.args, 'args')
  if ((input.cron === null) === (input.everyMs === null)) {
    invalid('a schedule has exactly one of `cron` and `everyMs`', 'cron')
  }
  const tz = input.tz ?? null
  if (tz !== null && input.cron === null) invalid('`tz` applies to a `cron` schedule only', 'tz')
  if (tz !== null && !isTimeZone(tz)) invalid(`tz ${JSON.stringify(tz)} is not an IANA time zone`, 'tz')
  assertNotTooFar(input.nextRunAt, 'nextRunAt', now)
  return { ...input, tz, priority: input.priority ?? 0, maxAttempts: input.maxAttempts ?? 1 }
}

export function validateAdvance(expected: unknown, next: unknown, now: number): void {
  for (const [field, value] of [
    ['expectedNextRunAt', expected],
    ['nextRunAt', next],
  ] as const) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      invalid(`${field} must be epoch milliseconds ≥ 0 (got ${describeType(value)})`, field)
    }
  }
  assertNotTooFar(next as number, 'nextRunAt', now)
}

export function normalizeNamespaceList(value: unknown, field: string): string[] {
  const list = typeof value === 'string' ? [value] : value
  if (!Array.isArray(list) || list.length === 0 || list.length > MAX_CLAIM_NAMESPACES) {
    invalid(`${field} must be a namespace or a list of 1 to ${MAX_CLAIM_NAMESPACES} namespaces`, field)
  }
  check(NamespacesCheck, list, field)
  return [...new Set(list as string[])]
}

export function normalizeListLimit(options: unknown, what: string): number {
  if (options === undefined) return DEFAULT_RECOVER_LIMIT
  check(LimitCheck, options, `${what} options`)
  return options.limit ?? DEFAULT_RECOVER_LIMIT
}
