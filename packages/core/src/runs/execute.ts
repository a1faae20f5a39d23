import type { Codec } from '../codec/codec.js'
import { defaultCodec } from '../codec/index.js'
import type { Computation, ResultRef } from '../domain/schemas.js'
import { CompManagerError, cmError, isCompManagerError } from '../errors/index.js'
import type { Clock, ComputationStore } from '../store/ports.js'
import { toErrorInfo } from './error-info.js'
import { RunLease } from './lease.js'
import { endRun, patchLiveRun, pauseRun, type RunEnding, releasePausedRun } from './lifecycle.js'
import { type RetryOptions, withRetry } from './retry.js'

/** What a running function sees: progress, messages, cancellation, checkpoints. */
export interface RunContext {
  /** The computation record's id. */
  readonly id: string
  /** The latest stored state of the run, as this process knows it. */
  readonly record: Computation
  /**
   * Fires when the run must stop: paused (`CM_ERR_PAUSED`), cancelled (`CM_ERR_CANCELLED`) or
   * declared lost (`CM_ERR_LOST`); `signal.reason` is that error. To pause cooperatively, save a
   * checkpoint and throw it: `await ctx.checkpoint(state); ctx.signal.throwIfAborted()`.
   */
  readonly signal: AbortSignal
  /** The state saved by `checkpoint` before a pause, when this run is a resumption. */
  readonly resumeState: unknown
  /** Progress from 0 to 1 with an optional note (throttled writes). */
  progress(fraction: number, note?: string): void
  /** A status message (throttled writes). */
  message(text: string): void
  /** Saves resumable state in the store now (codec-encoded). */
  checkpoint(state: unknown): Promise<void>
}

export interface ExecuteRunOptions<T> {
  store: ComputationStore
  /** The claimed record (status `started`, leased to this process). */
  record: Computation
  leaseMs: number
  heartbeatMs: number
  clock: Clock
  codec?: Codec
  resumeState?: unknown
  /** Persists the value (e.g. in the cache) and returns a reference to record, or `null`. */
  storeResult?: (value: T, record: Computation) => Promise<ResultRef | null>
  /** Called for every failure to record something (renewals, result storage, final status). */
  onError?: (err: unknown, during: 'renew' | 'store-result' | 'finish' | 'checkpoint') => void
  onRenew?: (record: Computation) => void
  /** Backoff for the final status write. */
  retry?: RetryOptions
  /**
   * Stops the run from this process at once (a local pause or cancel): its reason, a
   * `CompManagerError` (`CM_ERR_PAUSED`, `CM_ERR_CANCELLED`), is passed on to `ctx.signal`.
   * Change the stored status first; the signal only tells the function.
   */
  signal?: AbortSignal
}

export type RunOutcome<T> =
  /** The function returned. `recorded` is false when the final status could not be written. */
  | { status: 'finished'; value: T; record: Computation; recorded: boolean }
  /** The function threw; `error` is exactly what it threw. */
  | { status: 'failed'; error: unknown; record: Computation; recorded: boolean }
  /** The function stopped after a pause request; resume it later. */
  | { status: 'paused'; record: Computation }
  /** Someone else ended the run (cancel, or a sweeper declared it lost) while it ran. */
  | { status: 'cancelled' | 'lost'; error: CompManagerError; record: Computation; value?: T }

/**
 * Runs `fn` as the claimed run `record`: keeps its lease alive, lets it report progress, and writes
 * how it ended through the state machine (retrying transient store errors). Used by the tracker and
 * the cache alike. Never throws for the function's own failure: the outcome says what happened.
 */
export async function executeRun<T>(
  fn: (ctx: RunContext) => T | Promise<T>,
  options: ExecuteRunOptions<T>,
): Promise<RunOutcome<T>> {
  const { store, clock } = options
  const codec = options.codec ?? defaultCodec
  const report = options.onError ?? (() => {})
  const lease = new RunLease(store, options.record, {
    leaseMs: options.leaseMs,
    heartbeatMs: options.heartbeatMs,
    clock,
    onError: (err) => report(err, 'renew'),
    ...(options.onRenew ? { onRenew: options.onRenew } : {}),
  }).start()
  const { namespace, id } = options.record
  const external = options.signal
  const onExternalAbort = () => {
    const reason = external?.reason
    lease.abort(
      reason instanceof CompManagerError
        ? reason
        : cmError('CM_ERR_CANCELLED', `run ${id} was stopped`, { cause: reason }),
    )
  }
  if (external?.aborted) onExternalAbort()
  else external?.addEventListener('abort', onExternalAbort, { once: true })

  const ctx: RunContext = {
    id,
    get record() {
      return lease.record
    },
    signal: lease.signal,
    resumeState: options.resumeState,
    progress: (fraction, note) => lease.progress(fraction, note),
    message: (text) => lease.message(text),
    checkpoint: async (state) => {
      try {
        await patchLiveRun(
          store,
          namespace,
          id,
          { checkpoint: codec.encode(state) },
          { current: lease.record },
        )
      } catch (err) {
        report(err, 'checkpoint')
        throw err
      }
    },
  }

  let value: T
  try {
    value = await fn(ctx)
  } catch (error) {
    await lease.flush().catch(() => {})
    lease.stop()
    external?.removeEventListener('abort', onExternalAbort)
    return failed(error)
  }
  await lease.flush().catch(() => {})
  lease.stop()
  external?.removeEventListener('abort', onExternalAbort)
  return finished(value)

  type Ended = Extract<RunOutcome<T>, { status: 'cancelled' | 'lost' }>

  async function settle(ending: RunEnding): Promise<{ record: Computation; recorded: boolean } | Ended> {
    try {
      // What this process last saw: a pause written after the last heartbeat, or a half-done earlier
      // attempt of this very write, is found by the compare-and-set and re-read.
      const record = await withRetry(
        () => endRun(store, namespace, id, ending, { current: lease.record }),
        options.retry,
      )
      return { record, recorded: true }
    } catch (err) {
      if (
        isCompManagerError(err, 'CM_ERR_CONFLICT') ||
        isCompManagerError(err, 'CM_ERR_INVALID_TRANSITION')
      ) {
        const current = await store.get(namespace, id).catch(() => null)
        if (current?.status === 'paused' && lease.record.status !== 'paused') {
          lease.abort(cmError('CM_ERR_PAUSED', `run ${id} was paused`, { details: { id } }))
        }
        if (current && (current.status === 'lost' || current.status === 'failed')) {
          const reason =
            current.status === 'lost'
              ? cmError('CM_ERR_LOST', `run ${id} was declared lost before it could finish`, {
                  details: { id },
                })
              : cmError('CM_ERR_CANCELLED', `run ${id} was cancelled`, { details: { id } })
          return { status: current.status === 'lost' ? 'lost' : 'cancelled', error: reason, record: current }
        }
      }
      report(err, 'finish')
      return { record: lease.record, recorded: false }
    }
  }

  async function finished(result: T): Promise<RunOutcome<T>> {
    let ref: ResultRef | null = null
    if (options.storeResult) {
      try {
        ref = await options.storeResult(result, lease.record)
      } catch (err) {
        report(err, 'store-result')
      }
    }
    const settled = await settle({ status: 'finished', result: ref })
    if ('status' in settled) return { ...settled, value: result }
    return { status: 'finished', value: result, ...settled }
  }

  async function failed(error: unknown): Promise<RunOutcome<T>> {
    const reason = lease.signal.aborted ? lease.signal.reason : undefined
    if (reason instanceof CompManagerError && reason.code !== 'CM_ERR_PAUSED') {
      const record = (await store.get(namespace, id).catch(() => null)) ?? lease.record
      return { status: reason.code === 'CM_ERR_LOST' ? 'lost' : 'cancelled', error: reason, record }
    }
    const current = (await store.get(namespace, id).catch(() => null)) ?? lease.record
    const pausing =
      current.status === 'started' &&
      (current.pauseRequestedAt !== null || isCompManagerError(reason, 'CM_ERR_PAUSED'))
    if (current.status === 'paused' || pausing) {
      // Stopped for a pause: the run is paused and lease-free until someone resumes it.
      try {
        const record = await withRetry(
          () =>
            current.status === 'paused'
              ? releasePausedRun(store, namespace, id, { current })
              : pauseRun(store, namespace, id, { current }),
          options.retry,
        )
        return { status: 'paused', record }
      } catch (err) {
        report(err, 'finish')
        return { status: 'paused', record: current }
      }
    }
    if (current.status === 'lost' || current.status === 'failed') {
      const code = current.status === 'lost' ? 'CM_ERR_LOST' : 'CM_ERR_CANCELLED'
      return {
        status: current.status === 'lost' ? 'lost' : 'cancelled',
        error: cmError(code, `run ${id} ended elsewhere (${current.status})`, { details: { id } }),
        record: current,
      }
    }
    const settled = await settle({ status: 'failed', error: toErrorInfo(error) })
    if ('status' in settled) return settled
    return { status: 'failed', error, ...settled }
  }
}
