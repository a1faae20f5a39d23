import type { Computation, ErrorInfo } from '../domain/index.js'

/**
 * The queue port: what `@comp-manager/worker` needs from a store to execute queued computations on a
 * fleet. A store that implements it exposes it as `store.queue` (`Store.queue` is optional, so a
 * third-party store without it still works for tracking and caching; the worker refuses it with
 * `CM_ERR_INVALID_ARGUMENT`).
 *
 * A job is an ordinary computation record (status `queued`), so `POST /computations`, the tracker's
 * routes and the CLI see and steer it. The record carries four queue fields (schema version 3):
 * `priority` (integer, higher first, default 0), `runAt` (epoch ms before which it is not claimed;
 * `null` = as soon as possible), `maxAttempts` (≥ 1, default 1) and `worker` (id of the worker that
 * claimed it through `claimNext`, `null` for a run tracked in-process).
 *
 * Every operation is atomic on its database (SQLite: one write transaction; MongoDB: one
 * `findOneAndUpdate` on an index, or a conditional write that another writer may win) and scoped by
 * namespace. Errors as in `ports.ts`.
 */
export interface QueueStore {
  /**
   * Creates a `queued` record for the call, or joins the call's latest attempt: a live one
   * (`queued`/`started`/`paused`) is returned with `created: false`; a `finished` one too unless
   * `rerun`; a `failed` or `lost` one gets a new attempt (attempt + 1).
   */
  enqueue(input: NewJob): Promise<EnqueueResult>
  /**
   * Claims the next runnable job: status `queued`, `runAt <= now` (or null), `function` among
   * `functions`, in one of `namespaces`; order `priority` desc, then `runAt ?? createdAt` asc, then
   * `createdAt` asc, then `id` asc. The winner's record is `started`, leased for `leaseMs`, with
   * `worker`/`owner`/`pid`/`host` set. Honours `limits` (fleet-wide: at most n live `started` job
   * records of that function). Exactly one of many concurrent claimers gets each job; `null` when
   * nothing is runnable.
   */
  claimNext(input: ClaimNextInput): Promise<Computation | null>
  /**
   * Claims up to `input.max` (1..100, default 1) runnable jobs in one atomic step (SQLite: one write
   * transaction), in claim order, each as `claimNext` would claim it (limits honoured across the
   * batch); `[]` when nothing is runnable. A worker with n free slots claims n jobs at once.
   */
  claimBatch(input: ClaimNextInput): Promise<Computation[]>
  /**
   * Ends a `started` attempt as `failed` with `error` and, in the same atomic step, inserts the next
   * attempt (attempt + 1, `queued`, `runAt`, same args/priority/maxAttempts, checkpoint kept).
   * `CM_ERR_CONFLICT` if the record is no longer `started`; `CM_ERR_INVALID_ARGUMENT` if
   * `attempt >= maxAttempts`.
   */
  retry(namespace: string, id: string, input: RetryInput): Promise<{ failed: Computation; next: Computation }>
  /**
   * Ends claimed jobs `finished`, each with its returned value stored in the cache under the job's
   * hash (`value`: codec text; `null` = nothing stored, `result` null), all in one atomic step where
   * the database allows (SQLite: one write transaction): what a worker does when several of its
   * jobs return at about the same time. 1..100 jobs. Per job, `null` when its record is no longer
   * `started` under `worker` (cancelled, lost, recovered): nothing is written for it, and the caller
   * records it the ordinary way. `CM_ERR_VALUE_TOO_LARGE` for a value over the store's limit.
   */
  complete(jobs: readonly CompleteJob[]): Promise<(Computation | null)[]>
  /**
   * Puts a `started` or `paused` job back to `queued` (same attempt, lease cleared, running segment
   * closed, checkpoint kept), e.g. a draining worker releasing it or a paused run resumed by any
   * worker. `CM_ERR_CONFLICT` if its status is not `expectedStatus`.
   */
  requeue(
    namespace: string,
    id: string,
    expectedStatus: 'started' | 'paused',
    input?: { runAt?: number | null; checkpoint?: unknown },
  ): Promise<Computation>
  /**
   * Live job records (`worker` not null) whose lease expired, across namespaces, oldest lease first:
   * each becomes `lost` and, while `attempt < maxAttempts + maxLostRetries`, gets a new `queued`
   * attempt (checkpoint kept). Bounded by `limit` (1..1000, default 100). `maxLostRetries` is the one
   * the job's claim recorded (`ClaimNextInput.maxLostRetries`, the claiming worker's), as
   * `computations.expire` uses; the option given here (default 3) only applies to a job whose claim
   * recorded none (claimed before stores kept it).
   */
  recoverExpired(options?: { limit?: number; maxLostRetries?: number }): Promise<RecoveredJob[]>
  /**
   * Deletes terminal records (`finished`/`failed`/`lost`) and the cache entries their `result` points
   * to, in bounded batches (`batchSize`, default 500: no write lock held long). Returns how many
   * records were deleted. Cache-fill runs (hash `cache:<key>`) are deleted like any record, but their
   * cache entry stays: it is the cache's data (its TTL, invalidation), rewritten by each refresh.
   */
  prune(criteria: PruneCriteria): Promise<number>

  /**
   * Optional: calls `listener` soon after another process commits a change to the store (SQLite:
   * `PRAGMA data_version`, read every 5 ms while anyone listens); returns the unsubscribe. An idle
   * worker wakes on it instead of waiting for its next poll. Absent where the database has no cheap
   * signal (MongoDB without change streams: the worker's adaptive poll).
   */
  watch?(listener: () => void): () => void

  /** Inserts or replaces a worker's entry (keyed by `id`); `expiresAt = now + ttlMs`. */
  registerWorker(info: WorkerRegistration, ttlMs: number): Promise<WorkerInfo>
  /** Removes a worker's entry; `false` if absent. */
  unregisterWorker(id: string): Promise<boolean>
  /** Live worker entries (not expired), optionally those serving a namespace. */
  listWorkers(namespace?: string): Promise<WorkerInfo[]>

  /** Creates or replaces a repeat schedule (keyed by namespace + name). */
  upsertSchedule(input: NewSchedule): Promise<Schedule>
  deleteSchedule(namespace: string, name: string): Promise<boolean>
  listSchedules(namespace: string | readonly string[]): Promise<Schedule[]>
  /**
   * Fires a due schedule at most once across the fleet: compare-and-set of `nextRunAt` from
   * `expectedNextRunAt` to `nextRunAt`; `true` for the one caller that won.
   */
  advanceSchedule(
    namespace: string,
    name: string,
    expectedNextRunAt: number,
    nextRunAt: number,
  ): Promise<boolean>
  /** Schedules with `nextRunAt <= now` among `namespaces`, soonest first (limit 1..1000, default 100). */
  dueSchedules(namespaces: readonly string[], options?: { limit?: number }): Promise<Schedule[]>
}

export interface NewJob {
  namespace: string
  name?: string
  function: string
  functionFull: string
  /** Codec-encoded arguments (a JSON tree). */
  args: unknown
  hash: string
  hashAlgorithm: string
  /** Integer in -1000..1000, default 0; higher runs first. */
  priority?: number
  /** Epoch ms; `null`/absent = now. At most a year ahead. */
  runAt?: number | null
  /** 1..100, default 1. */
  maxAttempts?: number
  /** Start a new attempt even when the latest one `finished` (a live one is still joined). */
  rerun?: boolean
  owner?: string | null
  message?: string | null
}

export interface EnqueueResult {
  record: Computation
  /** `false` when an existing attempt was joined or returned. */
  created: boolean
}

export interface ClaimNextInput {
  /** 1..100 namespaces. */
  namespaces: readonly string[]
  /** 1..1000 function names (matched against `function`). */
  functions: readonly string[]
  /** The claiming worker's id (also written to `owner` unless `owner` is given). */
  worker: string
  owner?: string | null
  pid: number | null
  host: string | null
  leaseMs: number
  /** Fleet-wide concurrency per function name (≥ 1). */
  limits?: Readonly<Record<string, number>>
  /**
   * The claiming worker's lost retries (0..100, default 3), kept with the job: when its lease runs
   * out and whoever notices calls `computations.expire`, the job gets a next attempt while
   * `attempt < maxAttempts + maxLostRetries`, as the worker's own recovery would give it.
   */
  maxLostRetries?: number
  /** `claimBatch` only: how many jobs to claim at most, 1..100 (default 1). */
  max?: number
}

export interface CompleteJob {
  namespace: string
  id: string
  /** The worker that claimed the job (its `worker` field). */
  worker: string
  /** The returned value, codec-encoded text, stored under the job's hash; `null` stores nothing. */
  value: string | null
  /** Time to live of the stored value in ms; `null`/absent = no expiry. */
  ttlMs?: number | null
}

export interface RetryInput {
  error: ErrorInfo
  /** When the next attempt may run (backoff already applied by the caller). */
  runAt: number
  message?: string | null
}

export interface RecoveredJob {
  lost: Computation
  /** The new queued attempt, or `null` when the job has no attempts left. */
  next: Computation | null
}

export interface PruneCriteria {
  /** One namespace or several; required. */
  namespace: string | readonly string[]
  /** Only records of this function (matches `function` or `functionFull`). */
  function?: string
  /** Default every terminal status. */
  statuses?: readonly ('finished' | 'failed' | 'lost')[]
  /** Records that ended before this epoch ms. */
  finishedBefore?: number
  /** Keep the newest n terminal records per function (and namespace); the rest go. */
  keepLast?: number
  /** Records deleted per transaction/batch; 1..10,000, default 500. */
  batchSize?: number
}

export interface WorkerRegistration {
  id: string
  namespaces: readonly string[]
  functions: readonly string[]
  host: string
  pid: number
  concurrency: number
  running: number
  startedAt: number
  /** Free-form, e.g. the package version; ≤ 256 chars. */
  version?: string | null
}

export interface WorkerInfo extends WorkerRegistration {
  lastSeenAt: number
  expiresAt: number
}

export interface NewSchedule {
  namespace: string
  /** Unique within the namespace; 1..256 chars. */
  name: string
  function: string
  functionFull: string
  /** Codec-encoded arguments. */
  args: unknown
  /** A cron expression (validated by the worker) or `null` when `everyMs` is used. */
  cron: string | null
  /** Fixed interval (≥ 1000 ms) or `null` when `cron` is used. */
  everyMs: number | null
  /** The IANA time zone `cron` is read in (e.g. `Europe/Paris`); `null`/absent = UTC. Only with `cron`. */
  tz?: string | null
  nextRunAt: number
  priority?: number
  maxAttempts?: number
}

export interface Schedule extends Required<NewSchedule> {
  createdAt: number
  updatedAt: number
  lastRunAt: number | null
}
