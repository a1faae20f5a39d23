import {
  type CompManagerError,
  type Computation,
  cmError,
  isCompManagerError,
  type QueueStore,
  type ResultRef,
  type RunContext,
  type Store,
} from '@comp-manager/core'
import { type Emitter, executeRun, type RunOutcome, toErrorInfo, withRetry } from '@comp-manager/core/runs'
import { backoffDelay } from './backoff.js'
import type { Completer } from './completer.js'
import type { ResolvedFunction } from './function-options.js'
import type { ResolvedWorkerOptions } from './options.js'
import type { ErrorDuring, JobRecord, WorkerEvents } from './types.js'

/** What one job's execution needs from its worker. */
export interface JobDeps {
  store: Store
  queue: QueueStore
  options: ResolvedWorkerOptions
  events: Emitter<WorkerEvents>
  /** Ends finished jobs in shared writes (`queue.complete`). */
  completer: Completer
  report(error: unknown, during: ErrorDuring, id?: string): void
}

/** Errors that another attempt would not fix: the job itself is wrong, or someone stopped it. */
const PERMANENT = new Set([
  'CM_ERR_UNKNOWN_FUNCTION',
  'CM_ERR_INVALID_ARGUMENT',
  'CM_ERR_MALFORMED',
  'CM_ERR_UNKNOWN_TYPE',
  'CM_ERR_MAX_DEPTH',
  'CM_ERR_MAX_BYTES',
  'CM_ERR_CANCELLED',
  'CM_ERR_PAUSED',
])

export const isRetryableByDefault = (error: unknown): boolean =>
  !(isCompManagerError(error) && PERMANENT.has(error.code))

/** The reason a draining worker gives a job's signal before handing the job back to the queue. */
export const isShutdown = (error: unknown): error is CompManagerError =>
  isCompManagerError(error, 'CM_ERR_SHUTTING_DOWN')

/** Decodes the job's argument list; a record whose `args` is not a list fails with `CM_ERR_MALFORMED`. */
function decodeArgs(record: JobRecord, deps: JobDeps): unknown[] {
  const args = deps.options.codec.decode(record.args)
  if (!Array.isArray(args)) {
    throw cmError('CM_ERR_MALFORMED', `job ${record.id}: its args are not an argument list`, {
      details: { id: record.id },
    })
  }
  return args
}

/** Calls the function; past `timeoutMs` its signal aborts and the run fails with `CM_ERR_TIMEOUT`. */
async function invoke(fn: ResolvedFunction, args: unknown[], ctx: RunContext): Promise<unknown> {
  if (fn.timeoutMs === undefined) return fn.run(...args, ctx)
  const timeoutMs = fn.timeoutMs
  const controller = new AbortController()
  const signal = AbortSignal.any([ctx.signal, controller.signal])
  const timed: RunContext = Object.create(ctx, { signal: { value: signal } })
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = cmError('CM_ERR_TIMEOUT', `${fn.name} ran longer than its timeoutMs (${timeoutMs} ms)`, {
        details: { id: ctx.id, function: fn.name, timeoutMs },
      })
      controller.abort(error)
      reject(error)
    }, timeoutMs)
  })
  try {
    return await Promise.race([Promise.resolve().then(() => fn.run(...args, timed)), timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** Stores a returned value in the store's cache under the job's hash; the record keeps a reference. */
async function storeResult(value: unknown, record: Computation, fn: ResolvedFunction, deps: JobDeps) {
  const meta = await deps.store.cache.set({
    namespace: record.namespace,
    key: record.hash,
    function: record.function,
    functionFull: record.functionFull,
    version: null,
    algorithm: record.hashAlgorithm,
    args: record.args,
    value: deps.options.codec.stringify(value),
    ttlMs: fn.resultTtlMs,
  })
  return { cacheKey: meta.key, namespace: record.namespace, size: meta.size } satisfies ResultRef
}

/**
 * Runs one claimed job through core's `executeRun` (lease, heartbeats, progress, checkpoints, the
 * final status). A retryable failure with attempts left is recorded by `queue.retry` instead: the
 * attempt ends `failed` and the next one is queued after the backoff, in one atomic step.
 */
export async function runJob(
  claimed: JobRecord,
  fn: ResolvedFunction,
  deps: JobDeps,
  signal: AbortSignal,
): Promise<RunOutcome<unknown>> {
  const { options, events, queue } = deps
  const id = claimed.id
  let retried: { next: JobRecord; delayMs: number } | undefined
  const settleFailure = async (error: unknown, current: Computation): Promise<Computation | null> => {
    const record = current as JobRecord
    const retryable = (fn.retryable ?? isRetryableByDefault)(error)
    if (!retryable || record.attempt >= record.maxAttempts) return null
    const delayMs = backoffDelay(fn.backoff, record.attempt)
    const runAt = options.clock() + delayMs
    const { failed, next } = await queue.retry(record.namespace, id, {
      error: toErrorInfo(error),
      runAt,
      message: `attempt ${record.attempt} of ${record.maxAttempts} failed; attempt ${record.attempt + 1} at ${new Date(runAt).toISOString()}`,
    })
    retried = { next: next as JobRecord, delayMs }
    return failed
  }
  let lastProgress = ''
  return executeRun<unknown>((ctx) => invoke(fn, decodeArgs(claimed, deps), ctx), {
    store: deps.store.computations,
    record: claimed,
    leaseMs: fn.leaseMs,
    heartbeatMs: fn.heartbeatMs,
    clock: options.clock,
    codec: options.codec,
    resumeState: claimed.checkpoint === null ? undefined : options.codec.decode(claimed.checkpoint),
    // Several worker processes write one SQLite file: a busy store is retried, not a lost result.
    ...(fn.storeResult
      ? { storeResult: (value, record) => withRetry(() => storeResult(value, record, fn, deps)) }
      : {}),
    finishRun: (value, record) => finishTogether(value, record, fn, deps),
    onError: (err, during) => deps.report(err, during, id),
    onRenew: (record) => {
      const key = JSON.stringify([record.progress, record.message])
      if (key === lastProgress || !events.has('progress')) return
      lastProgress = key
      events.emit('progress', {
        record: record as JobRecord,
        progress: record.progress,
        message: record.message,
      })
    },
    signal,
    settleFailure,
  }).then((outcome) => {
    if (outcome.status === 'failed' && retried !== undefined) {
      events.emit('retrying', { record: outcome.record as JobRecord, ...retried, error: outcome.error })
    } else emitOutcome(outcome, events)
    return outcome
  })
}

/** The job's value stored and its record ended in a write shared with the worker's other jobs. */
async function finishTogether(value: unknown, record: Computation, fn: ResolvedFunction, deps: JobDeps) {
  let encoded: string | null = null
  try {
    if (fn.storeResult) encoded = deps.options.codec.stringify(value)
  } catch {
    return null // not encodable: the ordinary path reports it and ends the job without a stored result
  }
  return deps.completer.complete({
    namespace: record.namespace,
    id: record.id,
    worker: record.worker as string,
    value: encoded,
    ttlMs: fn.resultTtlMs,
  })
}

function emitOutcome(outcome: RunOutcome<unknown>, events: Emitter<WorkerEvents>): void {
  const record = outcome.record as JobRecord
  switch (outcome.status) {
    case 'finished':
      events.emit('finished', { record, value: outcome.value, recorded: outcome.recorded })
      return
    case 'failed':
      events.emit('failed', { record, error: outcome.error, recorded: outcome.recorded })
      return
    case 'paused':
      events.emit('paused', { record })
      return
    case 'lost':
      events.emit('lost', { record, next: null })
      return
    case 'cancelled':
      // A draining worker's own stop is reported by the worker once the job is handed back.
      if (!isShutdown(outcome.error)) events.emit('failed', { record, error: outcome.error, recorded: true })
      return
  }
}
