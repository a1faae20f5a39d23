import {
  ComputationSchema,
  ComputationStatusSchema,
  computationStatuses,
  FunctionNameSchema,
  NamespaceSchema,
  ProgressSchema,
} from '@comp-manager/core'
import {
  CursorQueryProperty,
  described,
  IsoDateTimeSchema,
  NamespaceQueryProperty,
  PageResponseSchema,
  PaginationQueryProperties,
} from '@comp-manager/fastify-kit'
import { type Static, Type } from 'typebox'

/**
 * The TypeBox schemas of the `/computations` routes: one source of truth for validation, serialization,
 * the OpenAPI document and the generated client.
 */

const p = ComputationSchema.properties

const NullableIsoDateTime = Type.Union([IsoDateTimeSchema, Type.Null()], {
  description: 'ISO 8601 date-time, or null when unset',
})

/**
 * A computation record as the REST API returns it: the stored record with its timestamps as ISO 8601
 * strings (`null` when unset), the derived `runningTimeMs`, and `args`/`checkpoint` as the stored
 * codec-encoded JSON (decode them with `@comp-manager/core/codec`'s `decode`).
 */
export const ComputationDtoSchema = Type.Object(
  {
    id: p.id,
    namespace: p.namespace,
    name: p.name,
    function: p.function,
    functionFull: p.functionFull,
    args: Type.Unknown({ description: 'The codec-encoded argument list (decode with the codec)' }),
    hash: p.hash,
    hashAlgorithm: p.hashAlgorithm,
    attempt: p.attempt,
    status: p.status,
    pid: p.pid,
    host: p.host,
    owner: p.owner,
    message: p.message,
    error: p.error,
    progress: p.progress,
    result: p.result,
    checkpoint: Type.Unknown({ description: 'The codec-encoded checkpoint of a paused run, or null' }),
    createdAt: IsoDateTimeSchema,
    updatedAt: IsoDateTimeSchema,
    startedAt: NullableIsoDateTime,
    finishedAt: NullableIsoDateTime,
    pausedAt: NullableIsoDateTime,
    heartbeatAt: NullableIsoDateTime,
    leaseUntil: NullableIsoDateTime,
    pauseRequestedAt: Type.Union([IsoDateTimeSchema, Type.Null()], {
      description:
        'When a pause was requested and not yet honoured: the run is still `started` until its runner stops',
    }),
    priority: p.priority,
    runAt: Type.Union([IsoDateTimeSchema, Type.Null()], {
      description: 'A queued job is not claimed before this time; null = as soon as possible',
    }),
    maxAttempts: p.maxAttempts,
    worker: p.worker,
    runningTimeMs: Type.Union([Type.Number({ minimum: 0 }), Type.Null()], {
      description:
        'Time spent running: the running segments summed, paused time excluded; a lost run ends at its last heartbeat. Null before it started',
    }),
    schemaVersion: p.schemaVersion,
  },
  {
    additionalProperties: false,
    title: 'Computation',
    description: 'One tracked run of a function',
  },
)
export type ComputationDto = Static<typeof ComputationDtoSchema>

/**
 * A computation in a listing: the record without `args` and `checkpoint` (which may be megabytes)
 * unless the listing asked for them with `include`.
 */
export const ComputationSummaryDtoSchema = Type.Object(
  {
    ...ComputationDtoSchema.properties,
    args: Type.Optional(ComputationDtoSchema.properties.args),
    checkpoint: Type.Optional(ComputationDtoSchema.properties.checkpoint),
  },
  {
    additionalProperties: false,
    title: 'ComputationSummary',
    description: 'One tracked run of a function, as a listing returns it (args, checkpoint when included)',
  },
)
export type ComputationSummaryDto = Static<typeof ComputationSummaryDtoSchema>

/** `{ data: ComputationSummary[], page, per_page, total, pages, total_is_lower_bound, next_cursor }`. */
export const ComputationPageSchema = described(
  PageResponseSchema(ComputationSummaryDtoSchema),
  'A page of computations',
)
export type ComputationPage = Static<typeof ComputationPageSchema>

const statusAlternatives = computationStatuses.join('|')

/** One status or a comma-separated list of statuses (`started,paused`). */
const StatusListSchema = Type.String({
  pattern: `^(?:${statusAlternatives})(?:,(?:${statusAlternatives}))*$`,
  description: `One status or a comma-separated list of them: ${computationStatuses.join(', ')}`,
  examples: ['started,paused'],
})

export const SortSchema = Type.Union(
  [
    Type.Literal('createdAt'),
    Type.Literal('-createdAt'),
    Type.Literal('updatedAt'),
    Type.Literal('-updatedAt'),
  ],
  {
    description: 'Order; `-` for descending. Default `-createdAt` (newest first); ties by id.',
    examples: ['-createdAt'],
  },
)

/** `GET /computations` query. Unknown keys are refused (400). */
export const ListQuerySchema = Type.Object(
  {
    ...PaginationQueryProperties,
    status: Type.Optional(
      Type.Union([StatusListSchema, Type.Array(StatusListSchema, { minItems: 1, maxItems: 6 })], {
        description: 'Filter by status: `status=started,paused` (or the key repeated)',
        examples: ['started,paused'],
      }),
    ),
    function: Type.Optional(described(FunctionNameSchema, 'Exact `function` or `functionFull`')),
    hash: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 256,
        pattern: '^[A-Za-z0-9:._-]+$',
        description:
          'The attempts of one call (its `hash`): `hash=…&per_page=1` is its latest attempt (newest first)',
        examples: ['3f5c0e1d2b4a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0'],
      }),
    ),
    since: Type.Optional(described(IsoDateTimeSchema, 'Created at or after (ISO 8601 date-time)')),
    until: Type.Optional(described(IsoDateTimeSchema, 'Created before (ISO 8601 date-time)')),
    sort: Type.Optional(SortSchema),
    namespace: NamespaceQueryProperty,
    cursor: CursorQueryProperty,
    include: Type.Optional(
      Type.String({
        pattern: '^(args|checkpoint)(,(args|checkpoint))?$',
        description:
          'Big fields listed rows carry: `args`, `checkpoint` or `args,checkpoint` (default none: ' +
          'summaries). Combine with a small `per_page`: each may be up to the store limit',
        examples: ['args'],
      }),
    ),
  },
  { additionalProperties: false },
)
export type ListQuery = Static<typeof ListQuerySchema>

/** `:id` of the record routes. */
export const IdParamsSchema = Type.Object(
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

/** The query of the record routes: the namespace to look in, nothing else. */
export const RecordQuerySchema = Type.Object(
  { namespace: NamespaceQueryProperty },
  { additionalProperties: false },
)
export type RecordQuery = Static<typeof RecordQuerySchema>

/** `POST /computations` body. */
export const CreateBodySchema = Type.Object(
  {
    function: described(FunctionNameSchema, 'Short name of the function (`fib`)'),
    functionFull: Type.Optional(
      described(
        FunctionNameSchema,
        'Qualified name, part of the hash (`math/Series.fib`); default `function`',
      ),
    ),
    name: Type.Optional(
      Type.String({ minLength: 1, maxLength: 512, description: 'Display name; default `function`' }),
    ),
    version: Type.Optional(
      Type.Union([Type.String({ minLength: 1, maxLength: 128 }), Type.Number()], {
        description: 'Part of the hash, as `track(…, { version })`',
      }),
    ),
    args: Type.Optional(
      Type.Array(Type.Unknown(), {
        maxItems: 1000,
        description:
          'The argument list, codec-encoded (`encode([a, b])`); default `[]`. Hashed as `tracker.track` does.',
      }),
    ),
    namespace: Type.Optional(described(NamespaceSchema, 'Where to create it (default: see README)')),
    message: Type.Optional(Type.String({ maxLength: 4096 })),
    status: Type.Optional(
      Type.Union([Type.Literal('queued'), Type.Literal('started')], {
        description:
          'Absent or `queued`: queue a job for the workers (joined when the same call is queued or running). ' +
          '`started`: report a run executed by the caller, who keeps it alive with the lease token of the answer',
      }),
    ),
    priority: Type.Optional(
      Type.Integer({ minimum: -1000, maximum: 1000, description: 'Higher runs first; default 0' }),
    ),
    runAt: Type.Optional(described(IsoDateTimeSchema, 'Not claimed before this time (at most a year ahead)')),
    attempts: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 100,
        description: 'Attempts in all: a retryable failure with attempts left is run again; default 1',
      }),
    ),
    rerun: Type.Optional(
      Type.Boolean({
        description: 'Run again a call that already finished (a queued or running one is joined)',
      }),
    ),
  },
  {
    additionalProperties: false,
    description: 'The job to queue (or the run to report)',
    examples: [
      { function: 'fib', args: [{ __type__: 'bigint', value: '90' }], priority: 5, attempts: 3 },
      { function: 'external', args: [1], status: 'started' },
    ],
  },
)
export type CreateBody = Static<typeof CreateBodySchema>

/** `PUT /computations/:id` body: at least one field. */
export const UpdateBodySchema = Type.Object(
  {
    status: Type.Optional(ComputationStatusSchema),
    message: Type.Optional(Type.Union([Type.String({ maxLength: 4096 }), Type.Null()])),
    progress: Type.Optional(Type.Union([ProgressSchema, Type.Null()])),
  },
  {
    additionalProperties: false,
    minProperties: 1,
    description: 'The change: at least one field',
    examples: [{ status: 'paused' }, { progress: { fraction: 0.3, note: 'step 3 of 10' } }],
  },
)
export type UpdateBody = Static<typeof UpdateBodySchema>

/**
 * The answer of `POST /computations`: the record, whether an existing job was joined, and for a run
 * reported as `started` the lease token that keeps it alive (`POST /computations/:id/heartbeat`).
 */
export const SubmittedComputationSchema = Type.Object(
  {
    ...ComputationDtoSchema.properties,
    deduplicated: Type.Boolean({
      description:
        'True when the same call was already queued or running (or finished) and that record is returned',
    }),
    leaseToken: Type.Optional(
      Type.String({
        description: "A reported run's lease token: heartbeat before `leaseUntil`, or it is declared lost",
      }),
    ),
    heartbeatMs: Type.Optional(
      Type.Integer({ minimum: 1, description: 'How often to heartbeat a reported run' }),
    ),
  },
  {
    additionalProperties: false,
    title: 'SubmittedComputation',
    description: 'The queued job (or reported run) and how it was created',
  },
)
export type SubmittedComputation = Static<typeof SubmittedComputationSchema>

/** What a pause request did: the run is paused, or it is asked to pause and has not stopped yet. */
export const PAUSE_OUTCOMES = ['paused', 'pause_requested'] as const

/**
 * The answer of `POST /computations/:id/pause`: the record and `outcome`. `paused` (200): the run is
 * paused. `pause_requested` (202): the run is still `started` with `pauseRequestedAt` set; its runner
 * (another process, a worker) is told at its next heartbeat and only pauses if its function stops —
 * one that never looks at its context finishes instead (watch its events for `paused` or `finished`).
 */
export const PauseAnswerSchema = Type.Object(
  {
    ...ComputationDtoSchema.properties,
    outcome: Type.Union(
      PAUSE_OUTCOMES.map((o) => Type.Literal(o)),
      {
        description:
          '`paused`: done. `pause_requested`: asked of the run, which is still running; it may finish without pausing',
      },
    ),
  },
  {
    additionalProperties: false,
    title: 'PauseAnswer',
    description: 'The run after a pause request, and whether it is paused or only asked to pause',
  },
)
export type PauseAnswer = Static<typeof PauseAnswerSchema>

/** `POST /computations/:id/cancel` body (optional). */
export const CancelBodySchema = Type.Union(
  [
    Type.Object(
      {
        reason: Type.Optional(
          Type.String({ minLength: 1, maxLength: 4096, description: 'Recorded as the error message' }),
        ),
      },
      { additionalProperties: false },
    ),
    Type.Null(),
  ],
  { description: 'Why (optional)', examples: [{ reason: 'wrong input' }] },
)

/** The answer of `GET /computations/:id/result`: the codec-encoded result. */
export const ResultSchema = Type.Unknown({
  description:
    "The result in the codec's JSON form (decode with `@comp-manager/core/codec`); `null` when the function returned nothing to store",
  examples: [{ __type__: 'bigint', value: '2880067194370816120' }],
})
