import { Type } from 'typebox'
import { Compile } from 'typebox/compile'
import { ComputationStatusSchema, FunctionNameSchema } from '../domain/schemas.js'
import { cmError } from '../errors/index.js'
import {
  type EventLogBackend,
  type EventLogStore,
  type EventQuery,
  type EventRetention,
  eventTypes,
  type NormalizedEventQuery,
  type NormalizedEventRetention,
  type StoreEvent,
} from './event-ports.js'
import type { Clock } from './ports.js'
import { namespacesOf } from './queries.js'
import { check } from './validate.js'

export const DEFAULT_EVENT_LIMIT = 100
export const MAX_EVENT_LIMIT = 1000
export const DEFAULT_EVENT_PRUNE_BATCH = 1000

const Sequence = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })
const Limit = Type.Integer({ minimum: 1, maximum: MAX_EVENT_LIMIT })
const EventTypeSchema = Type.Union(eventTypes.map((t) => Type.Literal(t)))

const EventQueryCheck = Compile(
  Type.Object(
    {
      namespace: Type.Unknown(),
      after: Type.Optional(Sequence),
      limit: Type.Optional(Limit),
      types: Type.Optional(Type.Array(EventTypeSchema, { minItems: 1, maxItems: eventTypes.length })),
      function: Type.Optional(FunctionNameSchema),
      status: Type.Optional(Type.Array(ComputationStatusSchema, { minItems: 1, maxItems: 6 })),
      computationId: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    },
    { additionalProperties: false },
  ),
)

const RetentionCheck = Compile(
  Type.Object(
    {
      maxAgeMs: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })),
      maxCount: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })),
      batchSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
    },
    { additionalProperties: false },
  ),
)

/** Validates and normalises an event query (`CM_ERR_INVALID_ARGUMENT` naming the field). */
export function normalizeEventQuery(query: unknown): NormalizedEventQuery {
  check(EventQueryCheck, query, 'event query')
  const q = query as EventQuery
  return {
    namespaces: namespacesOf(q.namespace),
    after: q.after ?? 0,
    limit: q.limit ?? DEFAULT_EVENT_LIMIT,
    types: q.types === undefined ? null : [...new Set(q.types)],
    function: q.function ?? null,
    statuses: q.status === undefined ? null : [...new Set(q.status)],
    computationId: q.computationId ?? null,
  }
}

export function normalizeEventRetention(retention: unknown, now: number): NormalizedEventRetention {
  check(RetentionCheck, retention, 'event retention')
  const r = retention as EventRetention
  if (r.maxAgeMs === undefined && r.maxCount === undefined) {
    throw cmError('CM_ERR_INVALID_ARGUMENT', 'event retention needs `maxAgeMs` or `maxCount`', {
      details: { field: 'maxAgeMs' },
    })
  }
  return {
    olderThan: r.maxAgeMs === undefined ? null : now - r.maxAgeMs,
    maxCount: r.maxCount ?? null,
    batchSize: r.batchSize ?? DEFAULT_EVENT_PRUNE_BATCH,
  }
}

const TailCheck = Compile(Type.Object({ after: Sequence }))
const TailOptionsCheck = Compile(
  Type.Object({ limit: Type.Optional(Limit) }, { additionalProperties: false }),
)

function normalizeTail(after: unknown, options: unknown): { after: number; limit: number } {
  check(TailCheck, { after }, 'tail')
  if (options === undefined) return { after: after as number, limit: DEFAULT_EVENT_LIMIT }
  check(TailOptionsCheck, options, 'tail options')
  return { after: after as number, limit: (options as { limit?: number }).limit ?? DEFAULT_EVENT_LIMIT }
}

/** The guard in front of an event log backend: every input validated once, as for the other ports. */
export class GuardedEventLog implements EventLogStore {
  readonly #backend: EventLogBackend
  readonly #clock: Clock

  constructor(backend: EventLogBackend, clock: Clock) {
    this.#backend = backend
    this.#clock = clock
  }

  async read(query: EventQuery): Promise<StoreEvent[]> {
    this.#backend.assertOpen?.('events.read')
    return this.#backend.read(normalizeEventQuery(query))
  }

  async tail(after: number, options?: { limit?: number }): Promise<StoreEvent[]> {
    this.#backend.assertOpen?.('events.tail')
    const t = normalizeTail(after, options)
    return this.#backend.tail(t.after, t.limit)
  }

  async lastSequence(): Promise<number> {
    this.#backend.assertOpen?.('events.lastSequence')
    return this.#backend.lastSequence()
  }

  async prune(retention: EventRetention): Promise<number> {
    this.#backend.assertOpen?.('events.prune')
    return this.#backend.prune(normalizeEventRetention(retention, this.#clock()))
  }
}
