import { DurationSchema, defineOptions, isPlainObject, NameSchema } from '@comp-manager/core/options'
import { Type } from 'typebox'
import type { Backoff } from './backoff.js'
import { PACKAGE } from './errors.js'
import type { BackoffOptions, FunctionSpec, JobFunction } from './types.js'

export const BackoffSchema = Type.Object(
  {
    type: Type.Optional(Type.Union([Type.Literal('exponential'), Type.Literal('fixed')])),
    delayMs: Type.Optional(DurationSchema({ min: 0 })),
    maxDelayMs: Type.Optional(DurationSchema({ min: 0, max: 365 * 86_400_000 })),
    jitter: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  },
  { additionalProperties: false },
)

export const RetentionSchema = Type.Object(
  {
    maxAgeMs: Type.Optional(DurationSchema({ max: 100 * 365 * 86_400_000 })),
    keepLast: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
    statuses: Type.Optional(
      Type.Array(Type.Union([Type.Literal('finished'), Type.Literal('failed'), Type.Literal('lost')]), {
        minItems: 1,
      }),
    ),
    intervalMs: Type.Optional(DurationSchema({ min: 10 })),
    batchSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
  },
  { additionalProperties: false },
)

const FunctionSpecSchema = Type.Object(
  {
    run: Type.Function([], Type.Unknown()),
    concurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    fleetConcurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
    timeoutMs: Type.Optional(DurationSchema()),
    leaseMs: Type.Optional(DurationSchema({ min: 50 })),
    retry: Type.Optional(
      Type.Object(
        {
          backoff: Type.Optional(BackoffSchema),
          retryable: Type.Optional(Type.Function([], Type.Unknown())),
        },
        { additionalProperties: false },
      ),
    ),
    storeResult: Type.Optional(Type.Boolean()),
    resultTtlMs: Type.Optional(Type.Union([DurationSchema({ max: 100 * 365 * 86_400_000 }), Type.Null()])),
  },
  { additionalProperties: false },
)

const NameParser = defineOptions(Type.Object({ name: NameSchema(512) }), {
  package: PACKAGE,
  what: 'createWorker `functions`',
})

const RESERVED = new Set(['__proto__', 'constructor', 'prototype'])

/** One registered function with every setting resolved. */
export interface ResolvedFunction {
  name: string
  run: JobFunction
  concurrency: number
  fleetConcurrency: number | undefined
  timeoutMs: number | undefined
  leaseMs: number
  heartbeatMs: number
  backoff: Backoff
  retryable: ((error: unknown) => boolean) | undefined
  storeResult: boolean
  resultTtlMs: number | null
}

interface Defaults {
  concurrency: number
  leaseMs: number
  heartbeatMs: number
  retry: { backoff: Backoff; retryable: ((error: unknown) => boolean) | undefined }
}

function resolveOne(name: string, value: unknown, d: Defaults, fail: (p: string, m: string) => never) {
  const spec = typeof value === 'function' ? { run: value } : value
  if (!isPlainObject(spec))
    fail(`functions.${name}`, 'must be a function or { run, concurrency, timeoutMs, … }')
  const parser = defineOptions(FunctionSpecSchema, {
    package: PACKAGE,
    what: `createWorker functions.${name}`,
  })
  const s = parser.parse(spec) as unknown as FunctionSpec
  const leaseMs = (s.leaseMs as number | undefined) ?? d.leaseMs
  const heartbeatMs =
    s.leaseMs === undefined ? d.heartbeatMs : Math.min(d.heartbeatMs, Math.floor(leaseMs / 3))
  const backoff = s.retry?.backoff as BackoffOptions | undefined
  return {
    name,
    run: s.run,
    concurrency: Math.min(s.concurrency ?? d.concurrency, d.concurrency),
    fleetConcurrency: s.fleetConcurrency,
    timeoutMs: s.timeoutMs as number | undefined,
    leaseMs,
    heartbeatMs: Math.max(1, heartbeatMs),
    backoff: {
      type: backoff?.type ?? d.retry.backoff.type,
      delayMs: (backoff?.delayMs as number | undefined) ?? d.retry.backoff.delayMs,
      maxDelayMs: (backoff?.maxDelayMs as number | undefined) ?? d.retry.backoff.maxDelayMs,
      jitter: backoff?.jitter ?? d.retry.backoff.jitter,
    },
    retryable: s.retry?.retryable ?? d.retry.retryable,
    storeResult: s.storeResult ?? true,
    resultTtlMs: (s.resultTtlMs as number | null | undefined) ?? null,
  }
}

/** Validates the `functions` option: 1..1000 named functions, each a function or a {@link FunctionSpec}. */
export function parseFunctions(
  functions: Record<string, unknown>,
  defaults: Defaults,
  fail: (path: string, problem: string) => never,
): Map<string, ResolvedFunction> {
  const names = Object.keys(functions)
  if (names.length === 0) fail('functions', 'must name at least one function')
  if (names.length > 1000) fail('functions', 'must name at most 1000 functions')
  const resolved = new Map<string, ResolvedFunction>()
  for (const name of names) {
    try {
      NameParser.parse({ name })
      if (RESERVED.has(name)) throw new Error('reserved')
    } catch {
      fail(
        `functions`,
        `has an invalid name ${JSON.stringify(name.slice(0, 40))}: names are 1..512 characters, not blank`,
      )
    }
    resolved.set(name, resolveOne(name, functions[name], defaults, fail))
  }
  return resolved
}
