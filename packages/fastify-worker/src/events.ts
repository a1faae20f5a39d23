/**
 * The events of the runs that go through the protocol's routes in this process: what the in-process
 * worker (`@comp-manager/worker`) emits for its own runs, with the same names and payloads, so that
 * `fastify.compMetrics.observeWorker(fastify.workerProtocol)` counts and traces the runs of HTTP workers.
 */
import type { Computation } from '@comp-manager/core'

export interface WorkerProtocolEvents {
  /** A job was claimed (`resumed`: it has a checkpoint to start from). */
  started: { record: Computation; resumed: boolean }
  /** A worker reported the result: the run ended `finished`. */
  finished: { record: Computation }
  /** A worker reported a failure for good, or gave the job back with reason `cancel`. */
  failed: { record: Computation; error: Error }
  /** A worker reported a retryable failure: this attempt failed, `next` is queued. */
  retrying: { record: Computation; next: Computation; error: Error }
  /** A worker gave the job back for a pause. */
  paused: { record: Computation }
  /** A worker gave the job back at shutdown: the job is queued again. */
  released: { record: Computation }
  /** The recovery found the job's lease run out (`next`: its new attempt, `null` when none is left). */
  lost: { record: Computation; next: Computation | null }
}

export type WorkerProtocolEventName = keyof WorkerProtocolEvents

/** The error a worker reported, as an `Error` (its `name`, `message` and `stack`). */
export function reportedError(reported: { name: string; message: string; stack?: string }): Error {
  const error = new Error(reported.message)
  error.name = reported.name
  error.stack = reported.stack ?? `${reported.name}: ${reported.message}`
  return error
}
