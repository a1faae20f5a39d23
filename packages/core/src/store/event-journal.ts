import type { Computation } from '../domain/schemas.js'
import {
  type CacheBackend,
  type ComputationBackend,
  composeQueueBackend,
  type QueueBackend,
} from './backend.js'
import type { EventLogBackend, NewStoreEvent } from './event-ports.js'
import {
  cacheDeletedEvent,
  cacheInvalidatedEvent,
  changeEvents,
  ProgressCoalescer,
  workerEvents,
} from './event-records.js'
import type { Clock } from './ports.js'
import type { WorkerRegistration } from './queue-ports.js'

/**
 * Appends the events of changes a backend does not journal itself (`EventLogBackend.journaled`),
 * right after each change returns: the MemoryStore (same synchronous step, nothing to lose) and
 * MongoDB (no transactions: see its README), and the worker registry of every store.
 *
 * An append that fails does not fail the change (it is done, and a caller's compare-and-set retry
 * would only meet a conflict): it is counted and reported once as a process warning.
 */
export class EventJournal {
  readonly #log: EventLogBackend
  readonly #clock: Clock
  readonly #progress = new ProgressCoalescer()
  /** Workers registered through this process, for their `worker.left` (namespaces, host, pid). */
  readonly #workers = new Map<string, Pick<WorkerRegistration, 'id' | 'namespaces' | 'host' | 'pid'>>()
  #failures = 0

  constructor(log: EventLogBackend, clock: Clock) {
    this.#log = log
    this.#clock = clock
  }

  /** Appends that failed since the store opened. */
  get failures(): number {
    return this.#failures
  }

  async #append(events: readonly NewStoreEvent[]): Promise<void> {
    if (events.length === 0) return
    try {
      await this.#log.append(events)
    } catch (err) {
      if (this.#failures++ === 0) {
        process.emitWarning(`comp-manager event log: an append failed (${(err as Error).message})`, {
          code: 'CM_EVENT_APPEND_FAILED',
        })
      }
    }
  }

  #statusOrProgress(before: Computation['status'], after: Computation): NewStoreEvent[] {
    const events = changeEvents(before, after)
    if (events.length > 0) {
      if (after.status !== 'started' && after.status !== 'paused') this.#progress.forget(after.id)
      return events
    }
    return this.#progress.eventOf(after)
  }

  /** The computation backend with its changes journaled. */
  computations(b: ComputationBackend): ComputationBackend {
    return {
      ...(b.assertOpen === undefined ? {} : { assertOpen: (op: string) => b.assertOpen!(op) }),
      create: async (input) => {
        const record = await b.create(input)
        await this.#append(changeEvents(null, record))
        return record
      },
      get: (namespace, id) => b.get(namespace, id),
      getByHash: (namespace, hash) => b.getByHash(namespace, hash),
      claim: async (input) => {
        const result = await b.claim(input)
        if (!result.won) return result
        const events: NewStoreEvent[] = []
        const { previous, record } = result
        // A previous run the claim itself marked lost (an older terminal one is not news).
        if (previous?.status === 'lost' && previous.updatedAt === record.updatedAt)
          events.push(...changeEvents('started', previous))
        events.push(...changeEvents(null, record))
        await this.#append(events)
        return result
      },
      update: async (namespace, id, expected, patch) => {
        const next = await b.update(namespace, id, expected, patch)
        await this.#append(this.#statusOrProgress(expected, next))
        return next
      },
      heartbeat: async (namespace, id, input) => {
        const next = await b.heartbeat(namespace, id, input)
        await this.#append(this.#progress.eventOf(next))
        return next
      },
      expire: async (namespace, id) => {
        const lost = await b.expire(namespace, id)
        if (lost !== null) await this.#append(changeEvents('started', lost))
        return lost
      },
      findExpired: (limit) => b.findExpired(limit),
      list: (query) => b.list(query),
      delete: (namespace, id) => b.delete(namespace, id),
    }
  }

  /** The cache backend with its deletes and invalidations journaled. */
  cache(b: CacheBackend): CacheBackend {
    return {
      ...(b.assertOpen === undefined ? {} : { assertOpen: (op: string) => b.assertOpen!(op) }),
      get: (namespace, key) => b.get(namespace, key),
      set: (input) => b.set(input),
      delete: async (namespace, key) => {
        const deleted = await b.delete(namespace, key)
        if (deleted) await this.#append([cacheDeletedEvent(namespace, key, this.#clock())])
        return deleted
      },
      invalidate: async (namespace, criteria) => {
        const count = await b.invalidate(namespace, criteria)
        if (count > 0) await this.#append([cacheInvalidatedEvent(namespace, criteria, count, this.#clock())])
        return count
      },
      list: (query) => b.list(query),
      stats: (namespace) => b.stats(namespace),
      purgeExpired: () => b.purgeExpired(),
      addHits: (hits) => b.addHits(hits),
      ...(b.setAndFinish === undefined
        ? {}
        : {
            setAndFinish: async (entry, runId) => {
              const done = (await b.setAndFinish?.(entry, runId)) ?? null
              if (done !== null) await this.#append(changeEvents('started', done.record))
              return done
            },
          }),
    }
  }

  /** The queue backend with its job changes journaled (when `jobs`) and its worker registry (always). */
  queue(backend: QueueBackend, jobs: boolean): QueueBackend {
    // A plain object of bound methods (a class's methods are not own properties to spread).
    const b = composeQueueBackend(backend, backend, backend.assertOpen?.bind(backend))
    const journaled: QueueBackend = {
      ...b,
      registerWorker: async (info, ttlMs) => {
        const entry = await b.registerWorker(info, ttlMs)
        if (!this.#workers.has(info.id)) {
          this.#workers.set(info.id, {
            id: info.id,
            namespaces: [...info.namespaces],
            host: info.host,
            pid: info.pid,
          })
          await this.#append(workerEvents('worker.joined', info, entry.lastSeenAt))
        }
        return entry
      },
      unregisterWorker: async (id) => {
        const removed = await b.unregisterWorker(id)
        const known = this.#workers.get(id)
        this.#workers.delete(id)
        if (removed && known !== undefined)
          await this.#append(workerEvents('worker.left', known, this.#clock()))
        return removed
      },
    }
    return jobs ? this.#jobs(journaled) : journaled
  }

  #jobs(b: QueueBackend): QueueBackend {
    return {
      ...b,
      enqueue: async (input) => {
        const result = await b.enqueue(input)
        if (result.created) await this.#append(changeEvents(null, result.record))
        return result
      },
      claimBatch: async (input) => {
        const records = await b.claimBatch(input)
        await this.#append(records.flatMap((record) => changeEvents('queued', record)))
        return records
      },
      ...(b.complete === undefined
        ? {}
        : {
            complete: async (list) => {
              const records = (await b.complete?.(list)) ?? []
              await this.#append(
                records.flatMap((record) => (record === null ? [] : changeEvents('started', record))),
              )
              return records
            },
          }),
      retry: async (namespace, id, input) => {
        const result = await b.retry(namespace, id, input)
        await this.#append([...changeEvents('started', result.failed), ...changeEvents(null, result.next)])
        return result
      },
      requeue: async (namespace, id, expected, input) => {
        const record = await b.requeue(namespace, id, expected, input)
        await this.#append(changeEvents(expected, record))
        return record
      },
      recoverExpired: async (limit, maxLostRetries) => {
        const recovered = await b.recoverExpired(limit, maxLostRetries)
        const events = recovered.flatMap(({ lost, next }) => [
          ...changeEvents('started', lost),
          ...(next === null ? [] : changeEvents(null, next)),
        ])
        await this.#append(events)
        return recovered
      },
    }
  }
}
