import type { Computation } from '../domain/schemas.js'
import type { QueueBackend } from './backend.js'
import { cloneStored } from './clone.js'
import type { MemoryCacheStore } from './memory-cache-store.js'
import type { MemoryComputationStore } from './memory-computation-store.js'
import type { MemoryContext } from './memory-store.js'
import type {
  CompleteJob,
  EnqueueResult,
  RecoveredJob,
  RetryInput,
  Schedule,
  WorkerInfo,
  WorkerRegistration,
} from './queue-ports.js'
import {
  applyCompletion,
  applyRecovery,
  applyRequeue,
  applyRetry,
  buildJob,
  buildSchedule,
  buildWorkerInfo,
  claimJob,
  compareJobs,
  decideEnqueue,
  functionsWithFreeSlots,
  holdsSlot,
  isClaimable,
  isRecoverable,
  prunedResultEntry,
  selectPrunable,
} from './queue-records.js'
import type {
  NormalizedClaimNext,
  NormalizedNewJob,
  NormalizedPruneCriteria,
  NormalizedSchedule,
} from './queue-validate.js'
import { newId, notFound } from './records.js'

/**
 * The queue backend of `MemoryStore`, over the records of its computation backend. Like the rest of
 * the store, no method awaits between reading and writing, so each is atomic within the process.
 */
export class MemoryQueueStore implements QueueBackend {
  readonly #context: MemoryContext
  readonly #computations: MemoryComputationStore
  readonly #cache: MemoryCacheStore
  readonly #workers = new Map<string, WorkerInfo>()
  /** `namespace → name → schedule`. */
  readonly #schedules = new Map<string, Map<string, Schedule>>()

  constructor(context: MemoryContext, computations: MemoryComputationStore, cache: MemoryCacheStore) {
    this.#context = context
    this.#computations = computations
    this.#cache = cache
  }

  assertOpen(): void {
    this.#context.assertOpen()
  }

  async enqueue(input: NormalizedNewJob): Promise<EnqueueResult> {
    this.#context.assertOpen()
    const now = this.#context.clock()
    const decision = decideEnqueue(this.#computations.latestAttempt(input.namespace, input.hash), input.rerun)
    if (decision.action === 'join') return { record: cloneStored(decision.record), created: false }
    const record = buildJob(input, { id: newId(now), now, attempt: decision.attempt })
    return { record: this.#computations.insertRecord(record), created: true }
  }

  async claimBatch(input: NormalizedClaimNext): Promise<Computation[]> {
    this.#context.assertOpen()
    const claimed: Computation[] = []
    for (let i = 0; i < input.max; i++) {
      const next = this.#claimOne(input)
      if (next === null) break
      claimed.push(next)
    }
    return claimed
  }

  #claimOne(input: NormalizedClaimNext): Computation | null {
    const now = this.#context.clock()
    const running = new Map<string, number>()
    let best: Computation | null = null
    const candidates: Computation[] = []
    for (const record of this.#computations.records()) {
      if (holdsSlot(record, now) && input.namespaces.includes(record.namespace)) {
        running.set(record.function, (running.get(record.function) ?? 0) + 1)
      } else if (isClaimable(record, input, now)) candidates.push(record)
    }
    const open = new Set(functionsWithFreeSlots(input, running))
    for (const record of candidates) {
      if (open.has(record.function) && (best === null || compareJobs(record, best) < 0)) best = record
    }
    if (best === null) return null
    this.#computations.setLostRetries(best.id, input.maxLostRetries)
    return this.#computations.replaceRecord(claimJob(best, input, now))
  }

  async complete(jobs: readonly CompleteJob[]): Promise<(Computation | null)[]> {
    this.#context.assertOpen()
    const now = this.#context.clock()
    // The cache's set has no await inside: each entry is written before the next record is read.
    const writes: Promise<unknown>[] = []
    const out = jobs.map((job) => {
      const record = this.#computations.findRecord(job.namespace, job.id)
      const planned = record === null ? null : applyCompletion(record, job, now)
      if (planned === null) return null
      if (planned.entry !== null) writes.push(this.#cache.set(planned.entry))
      return this.#computations.replaceRecord(planned.finished)
    })
    await Promise.all(writes)
    return out
  }

  async retry(
    namespace: string,
    id: string,
    input: RetryInput,
  ): Promise<{ failed: Computation; next: Computation }> {
    this.#context.assertOpen()
    const now = this.#context.clock()
    const record = this.#computations.findRecord(namespace, id) ?? notFound('computation', id)
    const { failed, next } = applyRetry(record, input, { id: newId(now), now })
    return { failed: this.#computations.replaceRecord(failed), next: this.#computations.insertRecord(next) }
  }

  async requeue(
    namespace: string,
    id: string,
    expectedStatus: 'started' | 'paused',
    input: { runAt?: number | null; checkpoint?: unknown } | undefined,
  ): Promise<Computation> {
    this.#context.assertOpen()
    const record = this.#computations.findRecord(namespace, id) ?? notFound('computation', id)
    return this.#computations.replaceRecord(
      applyRequeue(record, expectedStatus, input, this.#context.clock()),
    )
  }

  async recoverExpired(limit: number, maxLostRetries: number): Promise<RecoveredJob[]> {
    this.#context.assertOpen()
    const now = this.#context.clock()
    const expired = [...this.#computations.records()]
      .filter((record) => isRecoverable(record, now))
      .sort((a, b) => (a.leaseUntil ?? 0) - (b.leaseUntil ?? 0) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .slice(0, limit)
    return expired.map((record) => {
      const retries = this.#computations.lostRetriesOf(record.id) ?? maxLostRetries
      const { lost, next } = applyRecovery(record, retries, { id: newId(now), now })
      return {
        lost: this.#computations.replaceRecord(lost),
        next: next === null ? null : this.#computations.insertRecord(next),
      }
    })
  }

  async prune(criteria: NormalizedPruneCriteria): Promise<number> {
    this.#context.assertOpen()
    const candidates = [...this.#computations.records()].filter(
      (r) =>
        criteria.namespaces.includes(r.namespace) &&
        (criteria.statuses as readonly string[]).includes(r.status) &&
        (criteria.function === undefined ||
          r.function === criteria.function ||
          r.functionFull === criteria.function),
    )
    const doomed = selectPrunable(candidates, criteria)
    for (const record of doomed) {
      await this.#computations.delete(record.namespace, record.id)
      const entry = prunedResultEntry(record)
      if (entry !== null) await this.#cache.delete(entry.namespace, entry.key)
    }
    return doomed.length
  }

  async registerWorker(info: WorkerRegistration, ttlMs: number): Promise<WorkerInfo> {
    this.#context.assertOpen()
    const now = this.#context.clock()
    for (const [id, worker] of this.#workers) if (worker.expiresAt <= now) this.#workers.delete(id)
    const entry = buildWorkerInfo(info, ttlMs, now)
    this.#workers.set(entry.id, entry)
    return cloneStored(entry)
  }

  async unregisterWorker(id: string): Promise<boolean> {
    this.#context.assertOpen()
    return this.#workers.delete(id)
  }

  async listWorkers(namespace: string | undefined): Promise<WorkerInfo[]> {
    this.#context.assertOpen()
    const now = this.#context.clock()
    return [...this.#workers.values()]
      .filter((w) => w.expiresAt > now && (namespace === undefined || w.namespaces.includes(namespace)))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map((w) => cloneStored(w))
  }

  async upsertSchedule(input: NormalizedSchedule): Promise<Schedule> {
    this.#context.assertOpen()
    let byName = this.#schedules.get(input.namespace)
    if (byName === undefined) this.#schedules.set(input.namespace, (byName = new Map()))
    const schedule = buildSchedule(input, byName.get(input.name) ?? null, this.#context.clock())
    byName.set(schedule.name, cloneStored(schedule))
    return schedule
  }

  async deleteSchedule(namespace: string, name: string): Promise<boolean> {
    this.#context.assertOpen()
    return this.#schedules.get(namespace)?.delete(name) ?? false
  }

  async listSchedules(namespaces: readonly string[]): Promise<Schedule[]> {
    this.#context.assertOpen()
    return this.#inNamespaces(namespaces).sort((a, b) =>
      a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : a.name < b.name ? -1 : 1,
    )
  }

  async advanceSchedule(
    namespace: string,
    name: string,
    expected: number,
    nextRunAt: number,
  ): Promise<boolean> {
    this.#context.assertOpen()
    const schedule = this.#schedules.get(namespace)?.get(name)
    if (schedule === undefined || schedule.nextRunAt !== expected) return false
    const now = this.#context.clock()
    Object.assign(schedule, { nextRunAt, lastRunAt: now, updatedAt: now })
    return true
  }

  async dueSchedules(namespaces: readonly string[], limit: number): Promise<Schedule[]> {
    this.#context.assertOpen()
    const now = this.#context.clock()
    return this.#inNamespaces(namespaces)
      .filter((s) => s.nextRunAt <= now)
      .sort((a, b) => a.nextRunAt - b.nextRunAt || (a.namespace + a.name < b.namespace + b.name ? -1 : 1))
      .slice(0, limit)
  }

  /** Forgets everything (on close). */
  clear(): void {
    this.#workers.clear()
    this.#schedules.clear()
  }

  #inNamespaces(namespaces: readonly string[]): Schedule[] {
    return namespaces.flatMap((ns) =>
      [...(this.#schedules.get(ns)?.values() ?? [])].map((s) => cloneStored(s)),
    )
  }
}
