import type { ComputationStatus } from '../domain/status.js'

/**
 * The event log port: a durable, append-only log of what changed in the store, read after a
 * sequence. It feeds `GET /events`, the fleet-wide L1 invalidation of `@comp-manager/cache` and
 * (later) webhooks. A store that implements it exposes it as `store.events` (optional, as
 * `store.queue`).
 *
 * - **Sequence**: a positive integer, strictly increasing in append order, per store (per SQLite
 *   file, per MongoDB database). A reader keeps the last sequence it saw and reads after it; any
 *   process (any instance) can resume any reader.
 * - **Written with the change** where the store allows it: SQLite appends in the change's own
 *   transaction; MemoryStore in the same synchronous step; MongoDB (no transactions) right after the
 *   change is acknowledged (see the mongo-store README for what that guarantees).
 * - **Progress is coalesced**: at most one `progress` event per computation per
 *   {@link PROGRESS_EVENT_INTERVAL_MS} (the status events are never coalesced).
 * - **Bounded**: `prune` drops events by age and by count, in batches.
 */
export interface EventLogStore {
  /**
   * Events of the given namespace(s) with `sequence > after`, oldest first, matching every filter
   * given; at most `limit` (1..1000, default 100).
   */
  read(query: EventQuery): Promise<StoreEvent[]>
  /** Events of every namespace after `after` (for fan-out to many readers), oldest first. */
  tail(after: number, options?: { limit?: number }): Promise<StoreEvent[]>
  /** The sequence of the newest event (0 for an empty log): a cheap poll for "anything new?". */
  lastSequence(): Promise<number>
  /** Deletes events older than `maxAgeMs` and beyond the newest `maxCount`, in batches; returns how many. */
  prune(retention: EventRetention): Promise<number>
}

/** Every event type, in the order of a run's life, then the cache's and the fleet's. */
export const eventTypes = [
  'queued',
  'started',
  'progress',
  'paused',
  'resumed',
  'finished',
  'failed',
  'retrying',
  'lost',
  'cancelled',
  'cache.deleted',
  'cache.invalidated',
  'worker.joined',
  'worker.left',
] as const
export type EventType = (typeof eventTypes)[number]

/** The types that describe a computation (they carry `computationId`, `function` and `status`). */
export const computationEventTypes: readonly EventType[] = eventTypes.filter(
  (t) => !t.startsWith('cache.') && !t.startsWith('worker.'),
)

export function isEventType(value: unknown): value is EventType {
  return typeof value === 'string' && (eventTypes as readonly string[]).includes(value)
}

/** At most one `progress` event per computation in this many milliseconds. */
export const PROGRESS_EVENT_INTERVAL_MS = 1000

/** One entry of the log. */
export interface StoreEvent {
  /** Monotonic per store; the SSE `id` of `GET /events`. */
  sequence: number
  type: EventType
  namespace: string
  /** Epoch ms (the store's clock) of the change. */
  at: number
  /** The computation the event is about (`null` for cache and worker events). */
  computationId: string | null
  /** The computation's or cache entry's `function` (`null` when not about one function). */
  function: string | null
  /** The computation's status after the change (`null` for cache and worker events). */
  status: ComputationStatus | null
  /**
   * Small, type-specific facts: `attempt`, `progress`, `error` (`{ name, message }`) for
   * computations; `key` (`cache.deleted`); `criteria` and `count` (`cache.invalidated`); `worker`,
   * `host`, `pid` (`worker.*`). Never args, results or values.
   */
  data: Record<string, unknown>
}

/** An event before the store gave it its sequence. */
export type NewStoreEvent = Omit<StoreEvent, 'sequence'>

export interface EventQuery {
  /** One namespace or several (a token's list). Required. */
  namespace: string | readonly string[]
  /** Read events with a larger sequence (default 0: from the oldest kept). */
  after?: number
  /** 1..1000, default 100. */
  limit?: number
  types?: readonly EventType[]
  /** Matches the event's `function` exactly. */
  function?: string
  status?: readonly ComputationStatus[]
  computationId?: string
}

export interface EventRetention {
  /** Drop events older than this (ms before now). */
  maxAgeMs?: number
  /** Keep at most this many of the newest events. */
  maxCount?: number
  /** Events deleted per transaction/batch; 1..10,000, default 1000. */
  batchSize?: number
}

/**
 * What a store implements (behind `GuardedEventLog`, which validates and normalises the query).
 * `journaled` says which changes the backend itself appends **in the write** (SQLite: computations
 * by triggers, cache deletes and invalidations in their transaction); the others are appended by
 * core's journal (`event-journal.ts`) right after the change returns.
 */
export interface EventLogBackend {
  readonly journaled: { readonly computations: boolean; readonly cache: boolean; readonly workers: boolean }
  assertOpen?(operation: string): void
  append(events: readonly NewStoreEvent[]): Promise<void>
  read(query: NormalizedEventQuery): Promise<StoreEvent[]>
  tail(after: number, limit: number): Promise<StoreEvent[]>
  lastSequence(): Promise<number>
  prune(retention: NormalizedEventRetention): Promise<number>
}

export interface NormalizedEventQuery {
  namespaces: readonly string[]
  after: number
  limit: number
  types: readonly EventType[] | null
  function: string | null
  statuses: readonly ComputationStatus[] | null
  computationId: string | null
}

export interface NormalizedEventRetention {
  /** Events with `at < olderThan` go (`null`: no age bound). */
  olderThan: number | null
  maxCount: number | null
  batchSize: number
}
