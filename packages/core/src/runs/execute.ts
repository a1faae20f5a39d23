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
  /**
   * Records a failure instead of `endRun(… 'failed')`, e.g. the worker ending the attempt and queueing
   * the next one in one atomic step (`store.queue.retry`). Resolves to the failed record, or `null`
   * to record the failure the ordinary way. Retried and reconciled like the ordinary write.
   */
  settleFailure?: (error: unknown, record: Computation) => Promise<Computation | null>
  /**
   * Records the success instead of `storeResult` + the ordinary final write, e.g. a worker storing
   * the value and ending the run in one write shared with its other runs (`store.queue.complete`).
   * Resolves to the finished record, or `null` to record it the ordinary way (which reconciles a run
   * paused, cancelled or lost meanwhile). Should not throw.
   */
  finishRun?: (value: T, record: Computation) => Promise<Computation | null>
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
export function executeRun<T>(
  fn: (ctx: RunContext) => T | Promise<T>,
  options: ExecuteRunOptions<T>,
): Promise<RunOutcome<T>> {
  return new Execution(options).run(fn)
}

type Ended<T> = Extract<RunOutcome<T>, { status: 'cancelled' | 'lost' }>

/** One execution of a claimed run: the phases of `executeRun`. */
class Execution<T> {
  readonly #o: ExecuteRunOptions<T>
  readonly #lease: RunLease
  readonly #namespace: string
  readonly #id: string
  readonly #report: NonNullable<ExecuteRunOptions<T>['onError']>

  constructor(options: ExecuteRunOptions<T>) {
    this.#o = options
    this.#report = options.onError ?? (() => {})
    this.#namespace = options.record.namespace
    this.#id = options.record.id
    this.#lease = new RunLease(options.store, options.record, {
      leaseMs: options.leaseMs,
      heartbeatMs: options.heartbeatMs,
      clock: options.clock,
      onError: (err) => this.#report(err, 'renew'),
      ...(options.onRenew ? { onRenew: options.onRenew } : {}),
    })
  }

  async run(fn: (ctx: RunContext) => T | Promise<T>): Promise<RunOutcome<T>> {
    const lease = this.#lease.start()
    const external = this.#o.signal
    const onExternalAbort = () => {
      const reason = external?.reason
      lease.abort(
        reason instanceof CompManagerError
          ? reason
          : cmError('CM_ERR_CANCELLED', `run ${this.#id} was stopped`, { cause: reason }),
      )
    }
    if (external?.aborted) onExternalAbort()
    else external?.addEventListener('abort', onExternalAbort, { once: true })
    const stop = async () => {
      await lease.flush().catch(() => {})
      lease.stop()
      external?.removeEventListener('abort', onExternalAbort)
    }
    let value: T
    try {
      value = await fn(this.#context())
    } catch (error) {
      await stop()
      return this.#failed(error)
    }
    await stop()
    return this.#finished(value)
  }

  /** What the running function sees. */
  #context(): RunContext {
    const lease = this.#lease
    const { store } = this.#o
    const codec = this.#o.codec ?? defaultCodec
    return {
      id: this.#id,
      get record() {
        return lease.record
      },
      signal: lease.signal,
      resumeState: this.#o.resumeState,
      progress: (fraction, note) => lease.progress(fraction, note),
      message: (text) => lease.message(text),
      checkpoint: async (state) => {
        try {
          const patch = { checkpoint: codec.encode(state) }
          await patchLiveRun(store, this.#namespace, this.#id, patch, { current: lease.record })
        } catch (err) {
          this.#report(err, 'checkpoint')
          throw err
        }
      },
    }
  }

  /** Writes how the run ended; a run ended elsewhere meanwhile (lost, cancelled) says so instead. */
  async #settle(
    ending: RunEnding,
    write?: () => Promise<Computation | null>,
  ): Promise<{ record: Computation; recorded: boolean } | Ended<T>> {
    const { store } = this.#o
    const lease = this.#lease
    const [namespace, id] = [this.#namespace, this.#id]
    try {
      // What this process last saw: a pause written after the last heartbeat, or a half-done earlier
      // attempt of this very write, is found by the compare-and-set and re-read.
      const record = await withRetry(
        async () =>
          (await write?.()) ?? (await endRun(store, namespace, id, ending, { current: lease.record })),
        this.#o.retry,
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
      this.#report(err, 'finish')
      return { record: lease.record, recorded: false }
    }
  }

  async #finished(result: T): Promise<RunOutcome<T>> {
    const finished = await this.#o.finishRun?.(result, this.#lease.record)
    if (finished) return { status: 'finished', value: result, record: finished, recorded: true }
    let ref: ResultRef | null = null
    if (this.#o.storeResult) {
      try {
        ref = await this.#o.storeResult(result, this.#lease.record)
      } catch (err) {
        this.#report(err, 'store-result')
      }
    }
    const settled = await this.#settle({ status: 'finished', result: ref })
    if ('status' in settled) return { ...settled, value: result }
    return { status: 'finished', value: result, ...settled }
  }

  async #failed(error: unknown): Promise<RunOutcome<T>> {
    const { store } = this.#o
    const lease = this.#lease
    const [namespace, id] = [this.#namespace, this.#id]
    const reason = lease.signal.aborted ? lease.signal.reason : undefined
    if (reason instanceof CompManagerError && reason.code !== 'CM_ERR_PAUSED') {
      const record = (await store.get(namespace, id).catch(() => null)) ?? lease.record
      return { status: reason.code === 'CM_ERR_LOST' ? 'lost' : 'cancelled', error: reason, record }
    }
    const current = (await store.get(namespace, id).catch(() => null)) ?? lease.record
    const pausing =
      current.status === 'started' &&
      (current.pauseRequestedAt !== null || isCompManagerError(reason, 'CM_ERR_PAUSED'))
    if (current.status === 'paused' || pausing) return this.#stoppedForPause(current)
    if (current.status === 'lost' || current.status === 'failed') {
      const code = current.status === 'lost' ? 'CM_ERR_LOST' : 'CM_ERR_CANCELLED'
      return {
        status: current.status === 'lost' ? 'lost' : 'cancelled',
        error: cmError(code, `run ${id} ended elsewhere (${current.status})`, { details: { id } }),
        record: current,
      }
    }
    const settle = this.#o.settleFailure
    const settled = await this.#settle(
      { status: 'failed', error: toErrorInfo(error) },
      settle === undefined ? undefined : () => settle(error, lease.record),
    )
    if ('status' in settled) return settled
    return { status: 'failed', error, ...settled }
  }

  /** Stopped for a pause: the run is paused and lease-free until someone resumes it. */
  async #stoppedForPause(current: Computation): Promise<RunOutcome<T>> {
    const { store } = this.#o
    const [namespace, id] = [this.#namespace, this.#id]
    try {
      const record = await withRetry(
        () =>
          current.status === 'paused'
            ? releasePausedRun(store, namespace, id, { current })
            : pauseRun(store, namespace, id, { current }),
        this.#o.retry,
      )
      return { status: 'paused', record }
    } catch (err) {
      this.#report(err, 'finish')
      return { status: 'paused', record: current }
    }
  }
}
