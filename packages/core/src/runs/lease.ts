import type { Computation, Progress } from '../domain/schemas.js'
import { type CompManagerError, cmError, isCompManagerError } from '../errors/index.js'
import type { Clock, ComputationStore } from '../store/ports.js'

export interface RunLeaseOptions {
  /** How long each renewal keeps the run alive. */
  leaseMs: number
  /** How often the lease is renewed (well below `leaseMs`). */
  heartbeatMs: number
  clock: Clock
  /** Minimum spacing of progress/message writes; the latest value wins. Default 200 ms. */
  progressIntervalMs?: number
  /** A renewal failed for a reason other than the run ending (e.g. the store is unreachable). */
  onError?: (err: unknown) => void
  /** After each successful renewal, with the stored record (progress events). */
  onRenew?: (record: Computation) => void
}

/**
 * Keeps a claimed run alive: renews its lease every `heartbeatMs`, writes progress and messages
 * (throttled), and notices when the run stops being ours — paused, cancelled (failed) or declared
 * lost by a sweeper, possibly from another process — by aborting `signal` with a typed reason
 * (`CM_ERR_PAUSED`, `CM_ERR_CANCELLED`, `CM_ERR_LOST`).
 *
 * Heartbeats run on the event loop: a function that blocks it (a CPU-bound loop) delays them, so
 * `leaseMs` must exceed the longest stretch such a function runs without yielding.
 */
export class RunLease {
  readonly #store: ComputationStore
  readonly #options: Required<Omit<RunLeaseOptions, 'onError' | 'onRenew'>> & RunLeaseOptions
  readonly #controller = new AbortController()
  #record: Computation
  #timer: ReturnType<typeof setTimeout> | undefined
  #flushTimer: ReturnType<typeof setTimeout> | undefined
  #pending: { progress?: Progress; message?: string } = {}
  #lastWrite = 0
  #inflight: Promise<void> | undefined
  #again = false
  #stopped = false

  constructor(store: ComputationStore, record: Computation, options: RunLeaseOptions) {
    this.#store = store
    this.#record = record
    this.#options = { progressIntervalMs: 200, ...options }
  }

  /** Fires when the run must stop: its `reason` is a `CompManagerError`. */
  get signal(): AbortSignal {
    return this.#controller.signal
  }

  /** The latest stored state of the run as this process knows it. */
  get record(): Computation {
    return this.#record
  }

  start(): this {
    this.#schedule()
    return this
  }

  /** Records progress (0..1, with an optional note); written at most every `progressIntervalMs`. */
  progress(fraction: number, note?: string): void {
    if (typeof fraction !== 'number' || !(fraction >= 0 && fraction <= 1)) {
      throw cmError(
        'CM_ERR_INVALID_ARGUMENT',
        `progress must be a number from 0 to 1, got ${String(fraction)}`,
      )
    }
    if (note !== undefined && typeof note !== 'string') {
      throw cmError('CM_ERR_INVALID_ARGUMENT', 'progress note must be a string')
    }
    this.#pending.progress = note === undefined ? { fraction } : { fraction, note: note.slice(0, 1024) }
    this.#flushSoon()
  }

  /** Records a status message; written like progress. */
  message(text: string): void {
    if (typeof text !== 'string') throw cmError('CM_ERR_INVALID_ARGUMENT', 'message must be a string')
    this.#pending.message = text.slice(0, 64 * 1024)
    this.#flushSoon()
  }

  /** Renews now (and writes pending progress). Concurrent calls are coalesced. */
  async renew(): Promise<void> {
    if (this.#inflight) {
      this.#again = true
      return this.#inflight
    }
    this.#inflight = this.#beat().finally(() => {
      this.#inflight = undefined
      if (this.#again && !this.#stopped) {
        this.#again = false
        void this.renew()
      }
    })
    return this.#inflight
  }

  /** Waits for an in-flight renewal and writes what is still pending (before the final status). */
  async flush(): Promise<void> {
    if (this.#inflight) await this.#inflight
    if (this.#pending.progress !== undefined || this.#pending.message !== undefined) await this.renew()
  }

  /** Stops renewing (the run ended or was handed over). */
  stop(): void {
    this.#stopped = true
    clearTimeout(this.#timer)
    clearTimeout(this.#flushTimer)
  }

  /** Aborts the run's signal from this process (local pause or cancel). */
  abort(reason: CompManagerError): void {
    if (!this.#controller.signal.aborted) this.#controller.abort(reason)
  }

  #schedule(): void {
    if (this.#stopped) return
    this.#timer = setTimeout(() => {
      void this.renew().finally(() => this.#schedule())
    }, this.#options.heartbeatMs)
    this.#timer.unref?.()
  }

  #flushSoon(): void {
    if (this.#stopped || this.#flushTimer !== undefined) return
    const wait = Math.max(0, this.#lastWrite + this.#options.progressIntervalMs - Date.now())
    this.#flushTimer = setTimeout(() => {
      this.#flushTimer = undefined
      void this.renew()
    }, wait)
    this.#flushTimer.unref?.()
  }

  async #beat(): Promise<void> {
    if (this.#stopped) return
    const { namespace, id } = this.#record
    const pending = this.#pending
    this.#pending = {}
    this.#lastWrite = Date.now()
    try {
      const record = await this.#store.heartbeat(namespace, id, {
        leaseUntil: this.#options.clock() + this.#options.leaseMs,
        ...pending,
      })
      this.#record = record
      this.#options.onRenew?.(record)
      if (record.status === 'paused' || record.pauseRequestedAt !== null)
        this.abort(cmError('CM_ERR_PAUSED', `run ${id} was paused`, { details: { id } }))
    } catch (err) {
      if (isCompManagerError(err, 'CM_ERR_CONFLICT') || isCompManagerError(err, 'CM_ERR_NOT_FOUND')) {
        await this.#ended()
        return
      }
      // Keep what was not written; the next renewal tries again.
      this.#pending = { ...pending, ...this.#pending }
      this.#options.onError?.(err)
    }
  }

  /** The run is no longer live: find out why and abort with that reason. */
  async #ended(): Promise<void> {
    const { namespace, id } = this.#record
    const current = await this.#store.get(namespace, id).catch(() => null)
    if (current) this.#record = current
    const status = current?.status
    if (status === 'lost')
      this.abort(cmError('CM_ERR_LOST', `run ${id} was declared lost`, { details: { id } }))
    else if (status === 'paused')
      this.abort(cmError('CM_ERR_PAUSED', `run ${id} was paused`, { details: { id } }))
    else
      this.abort(
        cmError('CM_ERR_CANCELLED', `run ${id} was cancelled or removed`, { details: { id, status } }),
      )
    this.stop()
  }
}
