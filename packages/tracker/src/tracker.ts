import {
  type Computation,
  type ComputationStore,
  cmError,
  isCompManagerError,
  type Page,
  type RunContext,
  type Store,
} from '@comp-manager/core'
import {
  cancelRun,
  type DrainOptions,
  type DrainResult,
  Emitter,
  LocalRuns,
  type RetryOptions,
  requestPause,
  resumeRun,
  runnerIdentity,
} from '@comp-manager/core/runs'
import { type AnyFunction, alreadyRunning, Calls, type Entry } from './calls.js'
import { currentRun } from './context.js'
import { type TrackedMethodDecorator, type TrackedOptions, trackedDecorator } from './decorator.js'
import {
  invalid,
  type ResolvedTrackerOptions,
  resolveTrackerOptions,
  resolveTrackOptions,
  type TrackerOptions,
  type TrackOptions,
} from './options.js'
import type {
  ErrorDuring,
  ListFilters,
  TrackedFunction,
  TrackerEventName,
  TrackerEvents,
  TrackerListener,
} from './types.js'

export type { TrackedOptions } from './decorator.js'

/**
 * Records every call of the functions it tracks: one computation record per run (who, when, with
 * which arguments, how it ended), duplicates handled by hash, leases kept alive by heartbeats,
 * progress, cooperative pause/resume/cancel and events. Every status change goes through core's run
 * lifecycle (`@comp-manager/core/runs`). Create it with {@link createTracker}.
 */
export class Tracker {
  /** The store runs are recorded in. */
  readonly store: Store
  /** The namespace of every record this tracker reads and writes. */
  readonly namespace: string
  readonly #o: ResolvedTrackerOptions
  readonly #computations: ComputationStore
  readonly #events: Emitter<TrackerEvents>
  /** The runs executing in this process (for `pause`/`cancel` at once, `resume`, `drain`). */
  readonly #runs: LocalRuns
  readonly #calls: Calls
  /** functionFull → the function, for `resume`. */
  readonly #registry = new Map<string, Entry>()
  #sweeper: ReturnType<typeof setInterval> | undefined
  #sweeping: Promise<unknown> | undefined

  constructor(options: TrackerOptions) {
    this.#o = resolveTrackerOptions(options)
    this.store = this.#o.store
    this.namespace = this.#o.namespace
    this.#computations = this.store.computations
    this.#events = new Emitter<TrackerEvents>((err, event) =>
      this.#o.logger.error({ err, event }, `a listener of '${String(event)}' threw`),
    )
    this.#runs = new LocalRuns(this.#computations)
    this.#calls = new Calls({
      options: this.#o,
      store: this.store,
      namespace: this.namespace,
      events: this.#events,
      runs: this.#runs,
      retry: this.#retryOptions(),
      reportError: (error, during, id) => this.#reportError(error, during, id),
    })
    if (this.#o.sweepIntervalMs !== undefined) this.#startSweeper(this.#o.sweepIntervalMs)
  }

  /**
   * Wraps `fn` so that every call is recorded. The result has the same parameters and `this` and
   * returns a promise of the same result. With `{ context: true }`, `fn` takes the run's
   * {@link RunContext} as its last parameter, which callers do not pass.
   *
   * Throws `CM_ERR_INVALID_ARGUMENT` at once for a non-function, an empty name or a bad option.
   */
  track<A extends unknown[], R, This = unknown>(
    name: string,
    fn: (this: This, ...args: [...A, RunContext]) => R,
    options: TrackOptions & { context: true },
  ): TrackedFunction<A, R, This>
  track<A extends unknown[], R, This = unknown>(
    name: string,
    fn: (this: This, ...args: A) => R,
    options?: TrackOptions & { context?: false },
  ): TrackedFunction<A, R, This>
  track(name: string, fn: Function, options?: TrackOptions): Function {
    if (typeof fn !== 'function') {
      throw cmError('CM_ERR_INVALID_ARGUMENT', `track: fn must be a function (got ${typeof fn})`, {
        details: { option: 'fn' },
      })
    }
    const entry: Entry = { fn: fn as AnyFunction, options: resolveTrackOptions(name, options, this.#o) }
    this.#registry.set(entry.options.functionFull, entry)
    const calls = this.#calls
    const tracked = function (this: unknown, ...args: unknown[]) {
      return calls.call(entry, this, args)
    }
    Object.defineProperties(tracked, {
      name: { value: entry.options.name, configurable: true },
      trackedName: { value: entry.options.name, enumerable: true },
      functionFull: { value: entry.options.functionFull, enumerable: true },
      hashOf: { value: (...args: unknown[]) => calls.hash(entry.options, args).key },
    })
    return tracked
  }

  /**
   * A TC39 (TypeScript 5 standard) method decorator: each call of the method is tracked, under
   * `functionFull` `ClassName.method` by default. Methods get their context from `tracker.current()`.
   * The instance (`this`) is not part of the hash.
   *
   * @example
   * class Reports {
   *   @tracker.tracked({ version: 2 })
   *   async build(month: string) { … }
   * }
   */
  tracked<This, A extends unknown[], R extends PromiseLike<unknown>>(
    options: TrackedOptions = {},
  ): TrackedMethodDecorator<This, A, R> {
    return trackedDecorator<This, A, R>(
      {
        check: (name, trackOptions) => void resolveTrackOptions(name, trackOptions, this.#o, 'tracked'),
        track: (name, fn, trackOptions) =>
          this.track(
            name,
            fn as (this: unknown, ...args: unknown[]) => unknown,
            trackOptions as never,
          ) as never,
      },
      options,
    )
  }

  /** The context of the tracked call running now (in this async flow), or `undefined`. */
  current(): RunContext | undefined {
    return currentRun()
  }

  /** One record of this tracker's namespace, or `null`. */
  get(id: string): Promise<Computation | null> {
    return this.#computations.get(this.namespace, id)
  }

  /** Records of this tracker's namespace, filtered, sorted and paginated (newest first by default). */
  list(filters: ListFilters = {}): Promise<Page<Computation>> {
    return this.#computations.list({ ...filters, namespace: this.namespace })
  }

  /**
   * Pauses a `started` run (in any process). The run's `ctx.signal` fires with `CM_ERR_PAUSED` — at
   * once in this process, at its next heartbeat in another — and the function is expected to save
   * `ctx.checkpoint(state)` and throw `ctx.signal.reason`; the record is `paused` once it has. For a
   * run of this process, `pause` waits (up to `heartbeatMs`) for the function to stop and returns the
   * record as it then is: `paused`, or `finished` if it completed anyway. For a run of another process
   * it returns at once with the run still `started` and `pauseRequestedAt` set: the pause is requested,
   * not done. Pausing a paused run returns it; other statuses are `CM_ERR_INVALID_TRANSITION`.
   */
  async pause(id: string): Promise<Computation> {
    const before = await this.#require(id)
    const requested = await requestPause(this.#computations, this.namespace, id, {
      current: before,
      clock: this.#o.clock,
    })
    if (before.status === 'paused') return requested
    const local = this.#runs.get(id)
    if (local === undefined) {
      // Nobody held a lease on it: paused at once. Otherwise its runner honours the request.
      if (requested.status === 'paused') this.#events.emit('paused', { record: requested })
      return requested
    }
    local.controller.abort(cmError('CM_ERR_PAUSED', `run ${id} was paused`, { details: { id } }))
    let timer: ReturnType<typeof setTimeout> | undefined
    await Promise.race([
      local.done,
      new Promise((resolve) => (timer = setTimeout(resolve, this.#o.heartbeatMs))),
    ])
    clearTimeout(timer)
    return this.#require(id)
  }

  /**
   * Runs a paused run again, on the same record, in this process: its function must be tracked by
   * this tracker (same `functionFull`). It gets the arguments of the original call and
   * `ctx.resumeState` (the last checkpoint). Returns a promise of the result. If the function of
   * the paused run is still stopping in this process, waits for it first.
   */
  async resume<T = unknown>(id: string): Promise<T> {
    let record = await this.#require(id)
    const stopping = this.#runs.get(id)
    if (stopping !== undefined && record.status === 'paused') {
      await stopping.done
      record = await this.#require(id)
    }
    const entry = this.#resumable(record)
    const args = this.#o.codec.decode(record.args)
    if (!Array.isArray(args)) {
      throw cmError('CM_ERR_MALFORMED', `run ${id} has no argument list to resume with`, { details: { id } })
    }
    const resumeState = record.checkpoint === null ? undefined : this.#o.codec.decode(record.checkpoint)
    const started = await resumeRun(this.#computations, this.namespace, id, {
      runner: { owner: this.#o.owner, ...runnerIdentity() },
      leaseMs: entry.options.leaseMs,
      clock: this.#o.clock,
    })
    const thisArg = this.#calls.pausedThis.get(id)
    this.#calls.pausedThis.delete(id)
    this.#events.emit('resumed', { record: started })
    return this.#calls.resume(entry, started, args, thisArg, resumeState) as Promise<T>
  }

  /** The entry that can resume `record`, or the error saying why it cannot be resumed here. */
  #resumable(record: Computation): Entry {
    const { id } = record
    if (record.status === 'started') throw alreadyRunning(record)
    if (record.status !== 'paused') {
      throw cmError(
        'CM_ERR_INVALID_TRANSITION',
        `run ${id} is '${record.status}': only a paused run can be resumed`,
        {
          details: { id, from: record.status, to: 'started' },
        },
      )
    }
    if (record.leaseUntil !== null && record.leaseUntil > this.#o.clock()) {
      throw alreadyRunning(record, ': the process running it has not stopped yet')
    }
    const entry = this.#registry.get(record.functionFull)
    if (entry === undefined) {
      throw cmError(
        'CM_ERR_NOT_FOUND',
        `no function '${record.functionFull}' is tracked by this tracker: track it in this process to resume its runs`,
        { details: { id, functionFull: record.functionFull } },
      )
    }
    return entry
  }

  /**
   * Cancels a run (queued, started or paused, in any process): the record becomes `failed` with the
   * error `{ name: 'CancelledError', code: 'CM_ERR_CANCELLED' }` and the run's `ctx.signal` fires;
   * its caller rejects with `CM_ERR_CANCELLED`. A finished run is `CM_ERR_INVALID_TRANSITION`.
   * `message`, when given, is also recorded as the run's message (in the same write).
   */
  async cancel(id: string, reason?: string, message?: string | null): Promise<Computation> {
    if (reason !== undefined && typeof reason !== 'string') invalid('cancel', 'reason', 'must be a string')
    const why = reason ?? 'cancelled with tracker.cancel()'
    const cancelled = await cancelRun(this.#computations, this.namespace, id, {
      reason: why,
      ...(message === undefined ? {} : { message }),
    })
    const error = cmError('CM_ERR_CANCELLED', `run ${id} was cancelled`, { details: { id, reason: why } })
    this.#runs.get(id)?.controller.abort(error)
    this.#calls.pausedThis.delete(id)
    this.#events.emit('failed', { record: cancelled, error, recorded: true })
    return cancelled
  }

  /**
   * Marks `lost` every live run (of any namespace) whose lease expired: its process stopped
   * renewing it. Returns the runs it marked; emits `lost` for each. Expired queue jobs (claimed by a
   * worker) are recovered through the store's queue port instead, which also queues their next
   * attempt: marking them lost here would end a job that has attempts left.
   */
  async sweep(): Promise<Computation[]> {
    const lost: Computation[] = []
    const limit = 100
    const queue = this.store.queue
    for (let round = 0; round < 10; round++) {
      const batch = await this.#computations.findExpired({ limit })
      if (queue !== undefined && batch.some((record) => record.worker !== null)) {
        for (const { lost: job } of await queue.recoverExpired({ limit })) {
          lost.push(job)
          this.#events.emit('lost', { record: job })
        }
      }
      for (const record of batch) {
        if (queue !== undefined && record.worker !== null) continue
        let expired: Computation | null
        try {
          expired = await this.#computations.expire(record.namespace, record.id)
        } catch (err) {
          if (isCompManagerError(err, 'CM_ERR_NOT_FOUND')) continue
          throw err
        }
        if (expired !== null) {
          lost.push(expired)
          this.#events.emit('lost', { record: expired })
        }
      }
      if (batch.length < limit) break
    }
    return lost
  }

  /** Listens to an event; returns a function that removes the listener. */
  on<E extends TrackerEventName>(event: E, listener: TrackerListener<E>): () => void {
    if (typeof listener !== 'function') invalid('on', 'listener', 'must be a function')
    return this.#events.on(event, listener)
  }

  /** Listens to the next occurrence of an event only; returns a function that removes the listener. */
  once<E extends TrackerEventName>(event: E, listener: TrackerListener<E>): () => void {
    if (typeof listener !== 'function') invalid('once', 'listener', 'must be a function')
    return this.#events.once(event, listener)
  }

  off<E extends TrackerEventName>(event: E, listener: TrackerListener<E>): void {
    this.#events.off(event, listener)
  }

  /**
   * This process's running calls (known without asking the store) get `timeoutMs` to end; the others
   * are then marked `lost` and their functions stopped with `CM_ERR_LOST`, so callers waiting for them
   * in other processes run them again instead of waiting for their leases to run out. For shutdown.
   */
  drain(options: DrainOptions = {}): Promise<DrainResult> {
    return this.#runs.drain(options)
  }

  /**
   * Stops the periodic sweeper (and waits for a sweep in progress). Running calls go on; the store
   * stays open (it is not the tracker's).
   */
  async close(): Promise<void> {
    clearInterval(this.#sweeper)
    this.#sweeper = undefined
    await this.#sweeping
  }

  #startSweeper(intervalMs: number): void {
    this.#sweeper = setInterval(() => {
      if (this.#sweeping !== undefined) return
      this.#sweeping = this.sweep()
        .catch((err: unknown) => this.#reportError(err, 'sweep'))
        .finally(() => {
          this.#sweeping = undefined
        })
    }, intervalMs)
    this.#sweeper.unref?.()
  }

  #retryOptions(): RetryOptions {
    const retry = this.#o.retry ?? {}
    return {
      ...retry,
      onRetry: (err, attempt, delayMs) => {
        this.#o.logger.warn({ err, attempt, delayMs }, 'writing the final status failed; retrying')
        retry.onRetry?.(err, attempt, delayMs)
      },
    }
  }

  async #require(id: string): Promise<Computation> {
    const record = await this.#computations.get(this.namespace, id)
    if (record === null) {
      throw cmError('CM_ERR_NOT_FOUND', `computation ${id} not found in namespace ${this.namespace}`, {
        details: { id },
      })
    }
    return record
  }

  #reportError(error: unknown, during: ErrorDuring, id?: string): void {
    const payload: TrackerEvents['error'] = id === undefined ? { error, during } : { error, during, id }
    this.#o.logger.error({ err: error, during, id }, `could not record (${during})${id ? ` run ${id}` : ''}`)
    this.#events.emit('error', payload)
  }
}

/** Creates a {@link Tracker}; options are validated now (`CM_ERR_INVALID_ARGUMENT` names the option). */
export function createTracker(options: TrackerOptions): Tracker {
  return new Tracker(options)
}
