import type { Computation } from '../domain/schemas.js'
import type { ComputationStatus } from '../domain/status.js'
import type { EventType, NewStoreEvent } from './event-ports.js'
import { PROGRESS_EVENT_INTERVAL_MS } from './event-ports.js'
import type { InvalidateCriteria } from './ports.js'
import type { WorkerRegistration } from './queue-ports.js'

/**
 * The event rules every store shares (SQLite's triggers in `sqlite-store/src/schema.ts` are the
 * same rules in SQL; the store-testkit's `events-*` groups check that they agree).
 *
 * The type of a status change, from the status before (`null`: the record was just inserted) to the
 * record after; `null` when the change is not an event of its own (no status change).
 */
export function lifecycleEventType(before: ComputationStatus | null, after: Computation): EventType | null {
  if (before === null) {
    if (after.status === 'queued') return after.attempt > 1 ? 'retrying' : 'queued'
    return after.status === 'started' ? 'started' : null
  }
  if (before === after.status) return null
  switch (after.status) {
    case 'started':
      return before === 'paused' ? 'resumed' : 'started'
    case 'queued':
      return before === 'paused' ? 'resumed' : 'queued'
    case 'paused':
      return 'paused'
    case 'finished':
      return 'finished'
    case 'failed':
      return after.error?.name === 'CancelledError' ? 'cancelled' : 'failed'
    case 'lost':
      return 'lost'
  }
}

/** The event of a computation record (its facts: attempt, progress, error name and message). */
export function computationEvent(type: EventType, record: Computation): NewStoreEvent {
  return {
    type,
    namespace: record.namespace,
    at: record.updatedAt,
    computationId: record.id,
    function: record.function,
    status: record.status,
    data: {
      attempt: record.attempt,
      progress: record.progress ?? null,
      error: record.error ? { name: record.error.name, message: record.error.message } : null,
    },
  }
}

/** The event of a change from `before` to `after`, or none. */
export function changeEvents(before: ComputationStatus | null, after: Computation): NewStoreEvent[] {
  const type = lifecycleEventType(before, after)
  return type === null ? [] : [computationEvent(type, after)]
}

export function cacheDeletedEvent(namespace: string, key: string, at: number): NewStoreEvent {
  return {
    type: 'cache.deleted',
    namespace,
    at,
    computationId: null,
    function: null,
    status: null,
    data: { key },
  }
}

export function cacheInvalidatedEvent(
  namespace: string,
  criteria: InvalidateCriteria,
  count: number,
  at: number,
): NewStoreEvent {
  const kept: Record<string, unknown> = {}
  if (criteria.all === true) kept.all = true
  if (criteria.function !== undefined) kept.function = criteria.function
  if (criteria.tag !== undefined) kept.tag = criteria.tag
  if (criteria.version !== undefined) kept.version = criteria.version
  return {
    type: 'cache.invalidated',
    namespace,
    at,
    computationId: null,
    function: criteria.function ?? null,
    status: null,
    data: { criteria: kept, count },
  }
}

/** One event per namespace the worker serves (so each namespace's readers see it). */
export function workerEvents(
  type: 'worker.joined' | 'worker.left',
  worker: Pick<WorkerRegistration, 'id' | 'namespaces' | 'host' | 'pid'>,
  at: number,
): NewStoreEvent[] {
  return worker.namespaces.map((namespace) => ({
    type,
    namespace,
    at,
    computationId: null,
    function: null,
    status: null,
    data: { worker: worker.id, host: worker.host, pid: worker.pid },
  }))
}

const MAX_TRACKED_PROGRESS = 10_000

/**
 * Coalesces progress events in one process: a record's progress is an event when it changed and
 * the record's last progress event is at least {@link PROGRESS_EVENT_INTERVAL_MS} old. (SQLite
 * decides the same in its trigger, from the log itself.)
 */
export class ProgressCoalescer {
  readonly #last = new Map<string, { at: number; progress: string }>()

  /** The `progress` event of `record`, or none. */
  eventOf(record: Computation): NewStoreEvent[] {
    if (record.progress === null || record.progress === undefined) return []
    const progress = JSON.stringify(record.progress)
    const last = this.#last.get(record.id)
    if (last !== undefined) {
      if (last.progress === progress) return []
      last.progress = progress
      if (record.updatedAt - last.at < PROGRESS_EVENT_INTERVAL_MS) return []
    }
    if (this.#last.size >= MAX_TRACKED_PROGRESS) this.#last.clear()
    this.#last.set(record.id, { at: record.updatedAt, progress })
    return [computationEvent('progress', record)]
  }

  /** Forgets a record that ended (its progress will not change again). */
  forget(id: string): void {
    this.#last.delete(id)
  }
}
