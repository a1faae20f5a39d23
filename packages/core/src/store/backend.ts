import type { CacheEntry, CacheEntryMeta, Computation } from '../domain/schemas.js'
import type { ComputationStatus } from '../domain/status.js'
import type {
  CacheStats,
  ClaimInput,
  ClaimResult,
  Clock,
  ComputationPatch,
  FillFinished,
  HeartbeatInput,
  InvalidateCriteria,
  NewCacheEntry,
  NewComputation,
  PingResult,
  StoreCapabilities,
} from './ports.js'
import type { NormalizedCacheQuery, NormalizedComputationQuery } from './queries.js'
import type {
  CompleteJob,
  EnqueueResult,
  RecoveredJob,
  RetryInput,
  Schedule,
  WorkerInfo,
  WorkerRegistration,
} from './queue-ports.js'
import type {
  NormalizedClaimNext,
  NormalizedNewJob,
  NormalizedPruneCriteria,
  NormalizedSchedule,
} from './queue-validate.js'

/**
 * The raw operations a store author implements (keyv's "storage adapter"). `guardStore` puts the
 * guard in front of them: every input is validated and every query normalised **before** a backend
 * method is called, and cache hits are counted and batched by the guard. A backend therefore trusts
 * its arguments and only has to make each operation atomic on its database. Semantics (what a claim
 * decides, how a patch applies) come from the record logic of `@comp-manager/core/store-kit`.
 */
export interface ComputationBackend {
  /**
   * Throws `CM_ERR_STORE_UNAVAILABLE` once the store is closed. When present, the guard calls it
   * first, so a closed store says so before it looks at the input.
   */
  assertOpen?(operation: string): void
  create(input: NewComputation): Promise<Computation>
  get(namespace: string, id: string): Promise<Computation | null>
  getByHash(namespace: string, hash: string): Promise<Computation | null>
  claim(input: ClaimInput): Promise<ClaimResult>
  update(
    namespace: string,
    id: string,
    expectedStatus: ComputationStatus,
    patch: ComputationPatch,
  ): Promise<Computation>
  heartbeat(namespace: string, id: string, input: HeartbeatInput): Promise<Computation>
  expire(namespace: string, id: string): Promise<Computation | null>
  /** `limit` is already checked (1..1000). */
  findExpired(limit: number): Promise<Computation[]>
  list(query: NormalizedComputationQuery): Promise<ListSlice<Computation>>
  delete(namespace: string, id: string): Promise<boolean>
}

/**
 * What a backend's `list` returns; the guard makes the `Page` of it. `rows`: in sort order, from
 * `offset` or after the cursor key `after`, **at most `perPage + 1`** (one more than the page tells
 * that there is a next one). `total`: the number of matches, which may stop at `countLimit + 1`
 * (count with a `LIMIT`, never the whole table).
 */
export interface ListSlice<T> {
  rows: T[]
  total: number
}

/** Hits of one entry, summed by the guard between two flushes. */
export interface HitCount {
  namespace: string
  key: string
  /** `createdAt` of the entry that was hit: hits never count for an entry set after them. */
  createdAt: number
  count: number
  lastHitAt: number
}

export interface CacheBackend {
  /** As {@link ComputationBackend.assertOpen}. */
  assertOpen?(operation: string): void
  /** The live entry (expired ones are absent), as stored: the guard adds the hits it has not written yet. */
  get(namespace: string, key: string): Promise<CacheEntry | null>
  /** Inserts or replaces the entry (hits reset to 0); its size is already checked against the store's limit. */
  set(input: NewCacheEntry): Promise<CacheEntryMeta>
  delete(namespace: string, key: string): Promise<boolean>
  /** `criteria` is checked: `all: true` alone, or at least one of function/tag/version. */
  invalidate(namespace: string, criteria: InvalidateCriteria): Promise<number>
  list(query: NormalizedCacheQuery): Promise<ListSlice<CacheEntryMeta>>
  stats(namespace: string): Promise<CacheStats>
  purgeExpired(): Promise<number>
  /**
   * Adds batched hit counts (`hits += count`, `lastHitAt = max(lastHitAt, lastHitAt of the batch)`)
   * to the entries that still have the `createdAt` the hits were counted against. Additive, so the
   * batches of several processes add up. Should be one write (one transaction, one bulk write).
   */
  addHits(hits: readonly HitCount[]): Promise<void>
  /**
   * Optional: `CacheStore.setAndFinish` (entry validated, size checked): the upsert and the run's
   * `started → finished` in one atomic step, or `null` with nothing written when it is not `started`.
   */
  setAndFinish?(entry: NewCacheEntry, runId: string): Promise<FillFinished | null>
}

/**
 * The raw operations of the queue port (`QueueStore` in `queue-ports.ts`), behind the guard
 * (`GuardedQueueStore`): inputs are validated and normalised (defaults filled in, lists deduplicated,
 * `limits` a prototype-free map), so a backend only makes each operation atomic, with the record logic
 * of `queue-records.ts` (`decideEnqueue`, `compareJobs`, `claimJob`, `applyRetry`, `applyRequeue`,
 * `applyRecovery`, `selectPrunable`).
 */
export interface QueueBackend {
  /** As {@link ComputationBackend.assertOpen}. */
  assertOpen?(operation: string): void
  enqueue(input: NormalizedNewJob): Promise<EnqueueResult>
  /** Up to `input.max` jobs in claim order, in one atomic step where the database allows. */
  claimBatch(input: NormalizedClaimNext): Promise<Computation[]>
  /**
   * Optional: the atomic `queue.complete` (inputs validated). Without it the guard stores each value
   * and ends each record in two writes (`GuardedQueueOptions.ports`).
   */
  complete?(jobs: readonly CompleteJob[]): Promise<(Computation | null)[]>
  /** Optional: `QueueStore.watch` (another process changed the store). */
  watch?(listener: () => void): () => void
  retry(namespace: string, id: string, input: RetryInput): Promise<{ failed: Computation; next: Computation }>
  requeue(
    namespace: string,
    id: string,
    expectedStatus: 'started' | 'paused',
    input: { runAt?: number | null; checkpoint?: unknown } | undefined,
  ): Promise<Computation>
  recoverExpired(limit: number, maxLostRetries: number): Promise<RecoveredJob[]>
  prune(criteria: NormalizedPruneCriteria): Promise<number>
  registerWorker(info: WorkerRegistration, ttlMs: number): Promise<WorkerInfo>
  unregisterWorker(id: string): Promise<boolean>
  listWorkers(namespace: string | undefined): Promise<WorkerInfo[]>
  upsertSchedule(input: NormalizedSchedule): Promise<Schedule>
  deleteSchedule(namespace: string, name: string): Promise<boolean>
  listSchedules(namespaces: readonly string[]): Promise<Schedule[]>
  advanceSchedule(
    namespace: string,
    name: string,
    expectedNextRunAt: number,
    nextRunAt: number,
  ): Promise<boolean>
  dueSchedules(namespaces: readonly string[], limit: number): Promise<Schedule[]>
}

/** What `guardStore` needs besides the two halves: the store's clock and capabilities. */
export interface StoreBackend {
  readonly kind: string
  readonly capabilities: StoreCapabilities
  readonly clock: Clock
  readonly computations: ComputationBackend
  readonly cache: CacheBackend
  /** The queue port's backend, when the store has one. */
  readonly queue?: QueueBackend
  ping(): Promise<PingResult>
  close(): Promise<void>
}

/** The job half of a {@link QueueBackend}: the operations on computation records. */
export type QueueJobsBackend = Pick<
  QueueBackend,
  'enqueue' | 'claimBatch' | 'complete' | 'watch' | 'retry' | 'requeue' | 'recoverExpired' | 'prune'
>
/** The registry half of a {@link QueueBackend}: workers and repeat schedules. */
export type QueueRegistryBackend = Omit<QueueBackend, keyof QueueJobsBackend | 'assertOpen'>

/** A {@link QueueBackend} from its two halves (objects whose methods are called on them). */
export function composeQueueBackend(
  jobs: QueueJobsBackend,
  registry: QueueRegistryBackend,
  assertOpen?: (operation: string) => void,
): QueueBackend {
  return {
    ...(assertOpen === undefined ? {} : { assertOpen }),
    enqueue: (input) => jobs.enqueue(input),
    claimBatch: (input) => jobs.claimBatch(input),
    ...(jobs.complete === undefined
      ? {}
      : { complete: (list) => jobs.complete?.(list) ?? Promise.resolve([]) }),
    ...(jobs.watch === undefined ? {} : { watch: (listener) => jobs.watch?.(listener) ?? (() => {}) }),
    retry: (namespace, id, input) => jobs.retry(namespace, id, input),
    requeue: (namespace, id, expected, input) => jobs.requeue(namespace, id, expected, input),
    recoverExpired: (limit, maxLostRetries) => jobs.recoverExpired(limit, maxLostRetries),
    prune: (criteria) => jobs.prune(criteria),
    registerWorker: (info, ttlMs) => registry.registerWorker(info, ttlMs),
    unregisterWorker: (id) => registry.unregisterWorker(id),
    listWorkers: (namespace) => registry.listWorkers(namespace),
    upsertSchedule: (input) => registry.upsertSchedule(input),
    deleteSchedule: (namespace, name) => registry.deleteSchedule(namespace, name),
    listSchedules: (namespaces) => registry.listSchedules(namespaces),
    advanceSchedule: (namespace, name, expected, next) =>
      registry.advanceSchedule(namespace, name, expected, next),
    dueSchedules: (namespaces, limit) => registry.dueSchedules(namespaces, limit),
  }
}
