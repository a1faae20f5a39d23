import type { Computation, Progress, RunContext, WorkerInfo } from '@comp-manager/core'
import type { Duration } from '@comp-manager/core/options'

/**
 * A job record as the worker reads it: a computation with the queue fields of schema version 3
 * (`priority`, `runAt`, `maxAttempts`, `worker`; see core's `queue-ports.ts`).
 */
export type JobRecord = Computation & {
  priority: number
  runAt: number | null
  maxAttempts: number
  worker: string | null
}

/** A function the worker runs: the decoded arguments of the job, then the run's context. */
// biome-ignore lint/suspicious/noExplicitAny: a registered function takes any argument list
export type JobFunction = (...args: any[]) => unknown

/** Backoff between attempts: `delayMs × 2^(n-1)` (exponential) or `delayMs` (fixed), capped, with jitter. */
export interface BackoffOptions {
  /** Default `'exponential'`. */
  type?: 'exponential' | 'fixed'
  /** Delay before the 2nd attempt. Default 1000 ms. */
  delayMs?: Duration
  /** Longest delay. Default 1 h. */
  maxDelayMs?: Duration
  /**
   * Fraction of the delay drawn at random (0..1): the delay is `d × (1 - jitter × random)`, so that
   * jobs that failed together do not retry together. Default 0.5.
   */
  jitter?: number
}

/** Which failures get another attempt (up to the job's `attempts`) and after how long. */
export interface RetryPolicy {
  backoff?: BackoffOptions
  /**
   * Whether an error is worth another attempt. Default: every error except
   * `CM_ERR_UNKNOWN_FUNCTION`, `CM_ERR_INVALID_ARGUMENT`, decoding errors of the arguments and
   * `CM_ERR_CANCELLED`.
   */
  retryable?: (error: unknown) => boolean
}

/** A function with its own settings. */
export interface FunctionSpec {
  run: JobFunction
  /** At most this many runs of the function at once in this worker. Default: the worker's concurrency. */
  concurrency?: number
  /** At most this many runs at once across the fleet (enforced by the store's claim). */
  fleetConcurrency?: number
  /** A run taking longer fails with `CM_ERR_TIMEOUT` (then is retried per policy). Default: none. */
  timeoutMs?: Duration
  /** Lease of this function's runs. Default: the worker's `leaseMs`. */
  leaseMs?: Duration
  /** Overrides the worker's retry policy for this function. */
  retry?: RetryPolicy
  /** Store the return value so that `handle.result()` gets it (in any process). Default true. */
  storeResult?: boolean
  /** Time to live of the stored result. Default: no expiry. */
  resultTtlMs?: Duration | null
}

/** Retention: what the worker prunes periodically (bounded batches; the write lock is never held long). */
export interface RetentionOptions {
  /** Delete terminal records (and their stored results) that ended longer ago than this. */
  maxAgeMs?: Duration
  /** Keep the newest n terminal records per function; delete the rest. */
  keepLast?: number
  /** Which terminal statuses are pruned. Default all: finished, failed, lost. */
  statuses?: readonly ('finished' | 'failed' | 'lost')[]
  /** How often to prune. Default 1 min. */
  intervalMs?: Duration
  /** Records deleted per batch. Default 500. */
  batchSize?: number
}

/** A job the worker is running now. */
export interface RunningJob {
  readonly record: JobRecord
  readonly startedAt: number
}

/**
 * The worker's events (same API as the tracker's: `on()` returns a function that removes the
 * listener). `error` reports what could not be recorded (the store failed); it is also logged.
 */
export interface WorkerEvents {
  /** A job was claimed and its function started (`resumed`: it runs from a checkpoint). */
  started: { record: JobRecord; resumed: boolean }
  /** A running job's stored progress or message changed. */
  progress: { record: JobRecord; progress: Progress | null; message: string | null }
  /** A job's function returned and its result is recorded. */
  finished: { record: JobRecord; value: unknown; recorded: boolean }
  /** A job failed for good (last attempt, non-retryable error, timeout without retries, cancelled). */
  failed: { record: JobRecord; error: unknown; recorded: boolean }
  /** A job failed and its next attempt is queued (`next.runAt`: when it may run). */
  retrying: { record: JobRecord; next: JobRecord; error: unknown; delayMs: number }
  /** A job stopped for a pause (resumable by any worker with `queue.resume(id)`). */
  paused: { record: JobRecord }
  /**
   * A job was found lost: one of this worker's (its lease ran out) or one this worker recovered
   * from a dead worker (`next`: its new queued attempt, `null` when no attempt is left).
   */
  lost: { record: JobRecord; next: JobRecord | null }
  /** A job was handed back to the queue (drain timeout): another worker runs it. */
  released: { record: JobRecord }
  error: { error: unknown; during: ErrorDuring; id?: string }
}

export type WorkerEventName = keyof WorkerEvents
export type WorkerListener<E extends WorkerEventName> = (payload: WorkerEvents[E]) => void

export type ErrorDuring =
  | 'claim'
  | 'renew'
  | 'store-result'
  | 'finish'
  | 'checkpoint'
  | 'recover'
  | 'schedule'
  | 'prune'
  | 'register'
  | 'release'

export type { RunContext, WorkerInfo }
