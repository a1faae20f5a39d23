import { type Static, Type } from 'typebox'
import type { ComputationStatus } from './status.js'

/**
 * The domain model as TypeBox schemas: one source of truth for TypeScript types, store validation
 * and (later) the HTTP layer. Timestamps are epoch milliseconds; `null` means "not set".
 */

export const ComputationStatusSchema = Type.Union(
  [
    Type.Literal('queued'),
    Type.Literal('started'),
    Type.Literal('paused'),
    Type.Literal('finished'),
    Type.Literal('failed'),
    Type.Literal('lost'),
  ],
  {
    description:
      'queued → started → finished | failed; started ⇄ paused; started | paused → lost; started | paused → queued (requeue)',
  },
)

export const NamespaceSchema = Type.String({
  minLength: 1,
  maxLength: 128,
  pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]*$',
  description: 'Tenant scope of a record; letters, digits, `.`, `_`, `:`, `-`',
})

/** An identifier of a function: short (`fib`) or qualified (`math/Series.fib`). */
export const FunctionNameSchema = Type.String({ minLength: 1, maxLength: 512 })

export const TimestampSchema = Type.Number({ minimum: 0, description: 'epoch milliseconds' })
export const NullableTimestamp = Type.Union([TimestampSchema, Type.Null()])

export const ErrorInfoSchema = Type.Object(
  {
    name: Type.String(),
    message: Type.String(),
    stack: Type.Optional(Type.String()),
    code: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
)

export const ProgressSchema = Type.Object(
  {
    fraction: Type.Number({ minimum: 0, maximum: 1 }),
    note: Type.Optional(Type.String({ maxLength: 1024 })),
  },
  { additionalProperties: false },
)

export const ResultRefSchema = Type.Object(
  {
    cacheKey: Type.String({ minLength: 1 }),
    namespace: Type.Optional(NamespaceSchema),
    size: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
)

/** A codec-encoded JSON tree (see `@comp-manager/core` codec). */
export const EncodedSchema = Type.Unknown({ description: 'codec-encoded JSON value' })

export const ComputationSchema = Type.Object(
  {
    id: Type.String({ minLength: 1 }),
    namespace: NamespaceSchema,
    name: Type.String(),
    function: FunctionNameSchema,
    functionFull: FunctionNameSchema,
    args: EncodedSchema,
    hash: Type.String({ minLength: 1, maxLength: 256 }),
    hashAlgorithm: Type.String(),
    attempt: Type.Integer({ minimum: 1, description: 'Runs of the same hash are attempts 1, 2, …' }),
    status: ComputationStatusSchema,
    pid: Type.Union([Type.Integer(), Type.Null()]),
    host: Type.Union([Type.String(), Type.Null()]),
    owner: Type.Union([Type.String(), Type.Null()]),
    message: Type.Union([Type.String(), Type.Null()]),
    error: Type.Union([ErrorInfoSchema, Type.Null()]),
    progress: Type.Union([ProgressSchema, Type.Null()]),
    result: Type.Union([ResultRefSchema, Type.Null()]),
    checkpoint: Type.Union([EncodedSchema, Type.Null()]),
    createdAt: TimestampSchema,
    updatedAt: TimestampSchema,
    startedAt: NullableTimestamp,
    finishedAt: NullableTimestamp,
    pausedAt: NullableTimestamp,
    heartbeatAt: NullableTimestamp,
    leaseUntil: NullableTimestamp,
    activeMs: Type.Integer({
      minimum: 0,
      description: 'Running time of the closed running segments (paused time excluded)',
    }),
    activeSince: Type.Union([TimestampSchema, Type.Null()], {
      description: 'Start of the running segment in progress (status `started`), else null',
    }),
    pauseRequestedAt: Type.Union([TimestampSchema, Type.Null()], {
      description: 'When a pause was requested and not yet honoured by the run (it is still `started`)',
    }),
    priority: Type.Integer({
      minimum: -1000,
      maximum: 1000,
      description: 'Queue order: higher is claimed first (default 0)',
    }),
    runAt: Type.Union([TimestampSchema, Type.Null()], {
      description: 'A queued job is not claimed before this time; null = as soon as possible',
    }),
    maxAttempts: Type.Integer({
      minimum: 1,
      maximum: 100,
      description: 'Attempts a job may make before it fails for good (default 1)',
    }),
    worker: Type.Union([Type.String(), Type.Null()], {
      description: 'Id of the worker that claimed the job from the queue; null for a run tracked in-process',
    }),
    schemaVersion: Type.Integer({ minimum: 1 }),
  },
  { additionalProperties: false },
)
export type Computation = Static<typeof ComputationSchema>
export type ErrorInfo = Static<typeof ErrorInfoSchema>
export type Progress = Static<typeof ProgressSchema>
export type ResultRef = Static<typeof ResultRefSchema>

/**
 * The schema version written into every computation by this package (2: running time by segments,
 * pause requests; 3: the queue fields `priority`, `runAt`, `maxAttempts`, `worker`).
 */
export const SCHEMA_VERSION = 3

/** The queue fields of a record written before schema version 3 (what an upgrade on read fills in). */
export const QUEUE_FIELD_DEFAULTS: Readonly<
  Pick<Computation, 'priority' | 'runAt' | 'maxAttempts' | 'worker'>
> = Object.freeze({ priority: 0, runAt: null, maxAttempts: 1, worker: null })

/** The schema version written into every cache entry (unchanged since 1). */
export const CACHE_SCHEMA_VERSION = 1

export const CacheEntryMetaSchema = Type.Object(
  {
    key: Type.String({ minLength: 1, maxLength: 256 }),
    namespace: NamespaceSchema,
    function: FunctionNameSchema,
    functionFull: FunctionNameSchema,
    version: Type.Union([Type.String(), Type.Null()]),
    algorithm: Type.String(),
    args: Type.Union([EncodedSchema, Type.Null()]),
    size: Type.Integer({ minimum: 0, description: 'bytes of the encoded value (UTF-8)' }),
    tags: Type.Array(Type.String()),
    createdAt: TimestampSchema,
    expiresAt: NullableTimestamp,
    hits: Type.Integer({ minimum: 0 }),
    lastHitAt: NullableTimestamp,
    schemaVersion: Type.Integer({ minimum: 1 }),
  },
  { additionalProperties: false },
)
export type CacheEntryMeta = Static<typeof CacheEntryMetaSchema>

/** A cache entry with its value: the codec's JSON text (`stringify` output). */
export interface CacheEntry extends CacheEntryMeta {
  value: string
}

/**
 * Running time, derived the same way everywhere (stores, HTTP, client, CLI): the closed running
 * segments (`activeMs`, accumulated by the lifecycle) plus, for a run running now, the segment in
 * progress. Paused time never counts; a lost run ends at its last heartbeat. `null` before it started.
 */
export function runningTimeMs(
  c: Pick<Computation, 'startedAt' | 'activeMs' | 'activeSince'>,
  now: number,
): number | null {
  if (c.startedAt === null) return null
  return c.activeMs + (c.activeSince === null ? 0 : Math.max(0, now - c.activeSince))
}

// Keeps the schema and the status list in step: a status added to one but not the other fails here.
type _SameStatuses = [Static<typeof ComputationStatusSchema>] extends [ComputationStatus]
  ? [ComputationStatus] extends [Static<typeof ComputationStatusSchema>]
    ? true
    : never
  : never
const statusesInStep: _SameStatuses = true
void statusesInStep
