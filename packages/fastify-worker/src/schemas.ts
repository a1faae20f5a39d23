import { FunctionNameSchema, NamespaceSchema, ProgressSchema } from '@comp-manager/core'
import {
  CursorQueryProperty,
  described,
  IsoDateTimeSchema,
  NamespaceQueryProperty,
} from '@comp-manager/fastify-kit'
import { type Static, Type } from 'typebox'
import { MAX_CLAIM } from './options.js'

/**
 * The TypeBox schemas of the worker protocol (see `docs/WORKER-PROTOCOL.md`): one source of truth for
 * validation, serialization, the OpenAPI document and the generated client.
 */

export const WorkerIdSchema = Type.String({
  minLength: 1,
  maxLength: 128,
  pattern: '^[A-Za-z0-9._:@-]+$',
  description: 'Stable id of the worker process (keys the fleet registry)',
  examples: ['py-worker-1'],
})

const LeaseTokenSchema = Type.String({
  minLength: 1,
  maxLength: 2048,
  description: 'The `leaseToken` of the claim (opaque)',
  examples: ['v1.WyJkZWZhdWx0IiwiMDFhMiIsMSwicHktMSIsMTc2NDY5NjQwMDAwMF0.3q2-7w'],
})

const CodecJson = (description: string) => Type.Unknown({ description })

/** `POST /workers/claim` body. */
export const ClaimBodySchema = Type.Object(
  {
    workerId: WorkerIdSchema,
    functions: Type.Array(FunctionNameSchema, {
      minItems: 1,
      maxItems: 100,
      description: 'The function names this worker runs',
    }),
    max: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: MAX_CLAIM,
        description: `Most jobs in the answer (1..${MAX_CLAIM}); default 1`,
      }),
    ),
    waitMs: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 300_000,
        description:
          'Long-poll: wait up to this long for a job before answering 204 (capped by the server, 30 s by default); default 0',
      }),
    ),
    leaseMs: Type.Optional(
      Type.Integer({
        minimum: 1000,
        maximum: 3_600_000,
        description: 'Lease of each claimed job; default 30 s',
      }),
    ),
    namespace: Type.Optional(
      described(NamespaceSchema, "Claim in this namespace only (default: every one of the token's)"),
    ),
    host: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    pid: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 31 })),
    version: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    running: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, description: 'Jobs in progress' })),
  },
  {
    additionalProperties: false,
    description: 'Who claims, for which functions, how many, how long to wait',
    examples: [{ workerId: 'py-worker-1', functions: ['fib'], max: 2, waitMs: 10000 }],
  },
)
export type ClaimBody = Static<typeof ClaimBodySchema>

export const ClaimedJobSchema = Type.Object(
  {
    id: Type.String(),
    namespace: NamespaceSchema,
    function: Type.String(),
    functionFull: Type.String(),
    hash: Type.String(),
    args: CodecJson('The codec-encoded argument list'),
    checkpoint: CodecJson('The state saved by a previous runner (codec-encoded), or null: resume from it'),
    attempt: Type.Integer({ minimum: 1 }),
    maxAttempts: Type.Integer({ minimum: 1 }),
    leaseToken: LeaseTokenSchema,
    leaseExpiresAt: IsoDateTimeSchema,
    heartbeatMs: Type.Integer({ minimum: 1, description: 'Heartbeat at least this often' }),
  },
  { additionalProperties: false, title: 'ClaimedJob', description: 'A job leased to the claiming worker' },
)
export type ClaimedJob = Static<typeof ClaimedJobSchema>

export const ClaimResponseSchema = Type.Object(
  { jobs: Type.Array(ClaimedJobSchema, { minItems: 1, maxItems: MAX_CLAIM }) },
  { additionalProperties: false, description: 'The claimed jobs' },
)

/** `:id` of the lease routes. */
export const JobParamsSchema = Type.Object(
  {
    id: Type.String({
      minLength: 1,
      maxLength: 256,
      description: 'The computation id',
      examples: ['01a200cc-9fef-7000-86b9-17c8a4690c68'],
    }),
  },
  { additionalProperties: false },
)

/** `POST /computations/:id/heartbeat` body. */
export const HeartbeatBodySchema = Type.Object(
  {
    leaseToken: LeaseTokenSchema,
    progress: Type.Optional(
      Type.Union([Type.Number({ minimum: 0, maximum: 1 }), ProgressSchema], {
        description: 'A fraction 0..1, or `{ fraction, note }`',
      }),
    ),
    message: Type.Optional(Type.String({ maxLength: 65_536 })),
    checkpoint: Type.Optional(CodecJson('Resumable state (codec-encoded), saved with the heartbeat')),
  },
  {
    additionalProperties: false,
    description: 'The lease token, with progress, a message or a checkpoint to record',
    examples: [{ leaseToken: 'v1.…', progress: 0.42, message: 'step 42 of 100' }],
  },
)
export type HeartbeatBody = Static<typeof HeartbeatBodySchema>

export const HeartbeatResponseSchema = Type.Object(
  {
    leaseExpiresAt: Type.Union([IsoDateTimeSchema, Type.Null()], {
      description: 'The renewed lease; null when the job was cancelled',
    }),
    requested: Type.Union([Type.Null(), Type.Literal('pause'), Type.Literal('cancel')], {
      description: '`pause`: save state and release with reason pause; `cancel`: stop and forget the job',
    }),
  },
  {
    additionalProperties: false,
    description: 'The renewed lease and any pending request',
    examples: [{ leaseExpiresAt: '2026-12-03T09:00:40.000Z', requested: null }],
  },
)

/** `POST /computations/:id/complete` body. */
export const CompleteBodySchema = Type.Object(
  {
    leaseToken: LeaseTokenSchema,
    result: CodecJson('The result, codec-encoded (plain JSON needs no encoding)'),
  },
  {
    additionalProperties: false,
    description: 'The lease token and the result',
    required: ['leaseToken', 'result'],
    examples: [{ leaseToken: 'v1.…', result: { __type__: 'bigint', value: '2880067194370816120' } }],
  },
)
export type CompleteBody = Static<typeof CompleteBodySchema>

/** `POST /computations/:id/fail` body. */
export const FailBodySchema = Type.Object(
  {
    leaseToken: LeaseTokenSchema,
    error: Type.Object(
      {
        name: Type.String({ minLength: 1, maxLength: 256 }),
        message: Type.String({ maxLength: 65_536 }),
        stack: Type.Optional(Type.String({ maxLength: 65_536 })),
      },
      { additionalProperties: false },
    ),
    retryable: Type.Optional(
      Type.Boolean({
        description: 'Run it again after a backoff when the job has attempts left; default false',
      }),
    ),
  },
  {
    additionalProperties: false,
    description: 'The lease token and the error; whether another attempt may fix it',
    examples: [
      { leaseToken: 'v1.…', error: { name: 'ValueError', message: 'n must be ≥ 0' }, retryable: false },
    ],
  },
)
export type FailBody = Static<typeof FailBodySchema>

export const FailResponseSchema = Type.Object(
  {
    status: Type.Union([Type.Literal('queued'), Type.Literal('failed')]),
    next: Type.Union(
      [
        Type.Object(
          { id: Type.String(), attempt: Type.Integer({ minimum: 2 }), runAt: IsoDateTimeSchema },
          { additionalProperties: false },
        ),
        Type.Null(),
      ],
      { description: 'The next attempt, when one was queued' },
    ),
  },
  {
    additionalProperties: false,
    description: 'How the failure was recorded',
    examples: [{ status: 'failed', next: null }],
  },
)

/** `POST /computations/:id/release` body. */
export const ReleaseBodySchema = Type.Object(
  {
    leaseToken: LeaseTokenSchema,
    reason: Type.Union([Type.Literal('pause'), Type.Literal('cancel'), Type.Literal('shutdown')], {
      description:
        '`pause`: paused with the checkpoint; `cancel`: failed (cancelled); `shutdown`: back to the queue',
    }),
    checkpoint: Type.Optional(CodecJson('Resumable state (codec-encoded)')),
  },
  {
    additionalProperties: false,
    description: 'The lease token, why the job is given back, its checkpoint',
    examples: [{ leaseToken: 'v1.…', reason: 'shutdown' }],
  },
)
export type ReleaseBody = Static<typeof ReleaseBodySchema>

export const ReleaseResponseSchema = Type.Object(
  { status: Type.Union([Type.Literal('paused'), Type.Literal('failed'), Type.Literal('queued')]) },
  {
    additionalProperties: false,
    description: 'The status the job is in now',
    examples: [{ status: 'queued' }],
  },
)

export const WorkerDtoSchema = Type.Object(
  {
    id: Type.String(),
    namespaces: Type.Array(Type.String()),
    functions: Type.Array(Type.String()),
    host: Type.String(),
    pid: Type.Integer({ minimum: 0 }),
    concurrency: Type.Integer({ minimum: 0 }),
    running: Type.Integer({ minimum: 0 }),
    startedAt: IsoDateTimeSchema,
    lastSeenAt: IsoDateTimeSchema,
    expiresAt: IsoDateTimeSchema,
    version: Type.Union([Type.String(), Type.Null()]),
  },
  { additionalProperties: false, title: 'Worker', description: 'A live worker (HTTP or in-process)' },
)
export type WorkerDto = Static<typeof WorkerDtoSchema>

export const WorkerListQuerySchema = Type.Object(
  {
    per_page: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 100, description: 'Rows per page (default 20)', examples: [20] }),
    ),
    cursor: CursorQueryProperty,
    namespace: NamespaceQueryProperty,
  },
  { additionalProperties: false },
)
export type WorkerListQuery = Static<typeof WorkerListQuerySchema>

export const WorkerPageSchema = Type.Object(
  {
    data: Type.Array(WorkerDtoSchema),
    per_page: Type.Integer({ minimum: 1 }),
    total: Type.Integer({ minimum: 0, description: 'Live workers in all' }),
    next_cursor: Type.Union([Type.String(), Type.Null()], { description: 'The next page, or null' }),
  },
  { additionalProperties: false, description: 'A page of the fleet, by worker id' },
)
export type WorkerPage = Static<typeof WorkerPageSchema>
