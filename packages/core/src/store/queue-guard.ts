import type { Computation } from '../domain/schemas.js'
import { cmError } from '../errors/index.js'
import type { QueueBackend } from './backend.js'
import type { CacheStore, Clock, ComputationStore } from './ports.js'
import { completeInSteps, validateCompleteJobs } from './queue-complete.js'
import type {
  ClaimNextInput,
  CompleteJob,
  EnqueueResult,
  NewJob,
  NewSchedule,
  PruneCriteria,
  QueueStore,
  RecoveredJob,
  RetryInput,
  Schedule,
  WorkerInfo,
  WorkerRegistration,
} from './queue-ports.js'
import {
  normalizeClaimNext,
  normalizeListLimit,
  normalizeNamespaceList,
  normalizeNewJob,
  normalizePruneCriteria,
  normalizeRecoverOptions,
  normalizeSchedule,
  validateAdvance,
  validateRequeueInput,
  validateRetryInput,
  validateWorkerRegistration,
} from './queue-validate.js'
import { assertKey, assertNamespace } from './validate.js'

export interface GuardedQueueOptions {
  /** Largest stored value `complete` accepts (`capabilities.maxValueBytes`). */
  maxValueBytes?: number
  /** The store's guarded ports: `complete` in two writes per job when the backend has no `complete`. */
  ports?: { cache: CacheStore; computations: ComputationStore }
}

/**
 * The queue half of the guard: each method of the queue port validates and normalises its input
 * once, here, for every backend (`CM_ERR_INVALID_ARGUMENT` naming the field, nothing written), then
 * calls the backend's raw operation. Times ahead are checked against the store's clock.
 */
export class GuardedQueueStore implements QueueStore {
  readonly #backend: QueueBackend
  readonly #clock: Clock
  readonly #options: GuardedQueueOptions
  /** Present when the backend has a change signal (see `QueueStore.watch`). */
  readonly watch?: (listener: () => void) => () => void

  constructor(backend: QueueBackend, clock: Clock, options: GuardedQueueOptions = {}) {
    this.#backend = backend
    this.#clock = clock
    this.#options = options
    const watch = backend.watch?.bind(backend)
    if (watch !== undefined) {
      this.watch = (listener) => {
        if (typeof listener !== 'function') {
          throw cmError('CM_ERR_INVALID_ARGUMENT', 'watch needs a listener function', {
            details: { field: 'listener' },
          })
        }
        return watch(listener)
      }
    }
  }

  async enqueue(input: NewJob): Promise<EnqueueResult> {
    this.#backend.assertOpen?.('queue.enqueue')
    return this.#backend.enqueue(normalizeNewJob(input, this.#clock()))
  }

  async claimNext(input: ClaimNextInput): Promise<Computation | null> {
    this.#backend.assertOpen?.('queue.claimNext')
    const [first] = await this.#backend.claimBatch({ ...normalizeClaimNext(input), max: 1 })
    return first ?? null
  }

  async claimBatch(input: ClaimNextInput): Promise<Computation[]> {
    this.#backend.assertOpen?.('queue.claimBatch')
    return this.#backend.claimBatch(normalizeClaimNext(input))
  }

  async retry(
    namespace: string,
    id: string,
    input: RetryInput,
  ): Promise<{ failed: Computation; next: Computation }> {
    this.#backend.assertOpen?.('queue.retry')
    assertNamespace(namespace)
    assertKey(id, 'id')
    validateRetryInput(input, this.#clock())
    return this.#backend.retry(namespace, id, input)
  }

  async complete(jobs: readonly CompleteJob[]): Promise<(Computation | null)[]> {
    this.#backend.assertOpen?.('queue.complete')
    validateCompleteJobs(jobs, this.#options.maxValueBytes ?? Number.POSITIVE_INFINITY)
    if (this.#backend.complete !== undefined) return this.#backend.complete(jobs)
    const ports = this.#options.ports
    if (ports === undefined) {
      throw cmError('CM_ERR_INVALID_ARGUMENT', 'this store cannot complete jobs: no complete operation', {
        details: { operation: 'queue.complete' },
      })
    }
    return completeInSteps({ ...ports, clock: this.#clock }, jobs)
  }

  async requeue(
    namespace: string,
    id: string,
    expectedStatus: 'started' | 'paused',
    input?: { runAt?: number | null; checkpoint?: unknown },
  ): Promise<Computation> {
    this.#backend.assertOpen?.('queue.requeue')
    assertNamespace(namespace)
    assertKey(id, 'id')
    validateRequeueInput(expectedStatus, input, this.#clock())
    return this.#backend.requeue(namespace, id, expectedStatus, input)
  }

  async recoverExpired(options?: { limit?: number; maxLostRetries?: number }): Promise<RecoveredJob[]> {
    this.#backend.assertOpen?.('queue.recoverExpired')
    const { limit, maxLostRetries } = normalizeRecoverOptions(options)
    return this.#backend.recoverExpired(limit, maxLostRetries)
  }

  async prune(criteria: PruneCriteria): Promise<number> {
    this.#backend.assertOpen?.('queue.prune')
    return this.#backend.prune(normalizePruneCriteria(criteria))
  }

  async registerWorker(info: WorkerRegistration, ttlMs: number): Promise<WorkerInfo> {
    this.#backend.assertOpen?.('queue.registerWorker')
    validateWorkerRegistration(info, ttlMs)
    return this.#backend.registerWorker(info, ttlMs)
  }

  async unregisterWorker(id: string): Promise<boolean> {
    this.#backend.assertOpen?.('queue.unregisterWorker')
    assertKey(id, 'id')
    return this.#backend.unregisterWorker(id)
  }

  async listWorkers(namespace?: string): Promise<WorkerInfo[]> {
    this.#backend.assertOpen?.('queue.listWorkers')
    if (namespace !== undefined) assertNamespace(namespace)
    return this.#backend.listWorkers(namespace)
  }

  async upsertSchedule(input: NewSchedule): Promise<Schedule> {
    this.#backend.assertOpen?.('queue.upsertSchedule')
    return this.#backend.upsertSchedule(normalizeSchedule(input, this.#clock()))
  }

  async deleteSchedule(namespace: string, name: string): Promise<boolean> {
    this.#backend.assertOpen?.('queue.deleteSchedule')
    assertNamespace(namespace)
    assertKey(name, 'name')
    return this.#backend.deleteSchedule(namespace, name)
  }

  async listSchedules(namespace: string | readonly string[]): Promise<Schedule[]> {
    this.#backend.assertOpen?.('queue.listSchedules')
    return this.#backend.listSchedules(normalizeNamespaceList(namespace, 'namespace'))
  }

  async advanceSchedule(
    namespace: string,
    name: string,
    expectedNextRunAt: number,
    nextRunAt: number,
  ): Promise<boolean> {
    this.#backend.assertOpen?.('queue.advanceSchedule')
    assertNamespace(namespace)
    assertKey(name, 'name')
    validateAdvance(expectedNextRunAt, nextRunAt, this.#clock())
    return this.#backend.advanceSchedule(namespace, name, expectedNextRunAt, nextRunAt)
  }

  async dueSchedules(namespaces: readonly string[], options?: { limit?: number }): Promise<Schedule[]> {
    this.#backend.assertOpen?.('queue.dueSchedules')
    const list = normalizeNamespaceList(namespaces, 'namespaces')
    return this.#backend.dueSchedules(list, normalizeListLimit(options, 'dueSchedules'))
  }
}
