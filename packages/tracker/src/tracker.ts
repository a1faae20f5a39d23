import {
  assertTransition,
  type CompManagerError,
  type Computation,
  type ComputationStore,
  cmError,
  type ErrorInfo,
  type HashKey,
  hashKey,
  isCompManagerError,
  type Page,
  type ResultRef,
  type RunContext,
  type Store,
} from '@comp-manager/core'
import {
  executeRun,
  fromErrorInfo,
  type RetryOptions,
  type RunOutcome,
  runnerIdentity,
  waitForRun,
} from '@comp-manager/core/runs'
import { currentRun, runStorage } from './context.js'
import { TrackerEmitter } from './events.js'
import {
  invalid,
  type ResolvedTrackerOptions,
  type ResolvedTrackOptions,
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

type AnyFunction = (this: unknown, ...args: unknown[]) => unknown

/** A tracked function as the tracker keeps it (for calls and for `resume`). */
interface Entry {
  fn: AnyFunction
  options: ResolvedTrackOptions
}

/** A call of this process not settled yet, by hash: identical calls join it or are refused. */
interface InFlight {
  promise: Promise<unknown>
  /** The record it runs or waits for, once known. */
  id: string | undefined
}

/** A run executing in this process, by id: `pause`/`cancel` stop it at once, `resume` waits for it. */
interface LocalRun {
  controller: AbortController
  done: Promise<void>
}

/** Options of the `@tracker.tracked()` decorator: those of `track()` without `context`, plus a name. */
export type TrackedOptions = Omit<TrackOptions, 'context'> & {
  /** Display name (recorded as `name`/`function`). Default: the method's name. */
  name?: string
}

const NO_DEADLINE = Number.POSITIVE_INFINITY

function deadlineOf(timeoutMs: number | undefined): number {
  return timeoutMs === undefined ? NO_DEADLINE : Date.now() + timeoutMs
}

/** `promise`, or `CM_ERR_TIMEOUT` at `deadline` (wall time). */
function withDeadline<T>(promise: Promise<T>, deadline: number, id: string | undefined): Promise<T> {
  if (deadline === NO_DEADLINE) return promise
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          cmError('CM_ERR_TIMEOUT', `run ${id ?? '(claiming)'} did not finish in time`, { details: { id } }),
        ),
      Math.max(0, deadline - Date.now()),
    )
    promise.then(
      (value) => {
        clearTimeout(timer)
        resolve(value)
      },
      (err: unknown) => {
        clearTimeout(timer)
        reject(err)
      },
    )
  })
}

function alreadyRunning(record: Pick<Computation, 'id' | 'hash' | 'status'>, why = ''): CompManagerError {
  return cmError(
    'CM_ERR_ALREADY_RUNNING',
    `a run with the same hash is in progress (${record.id}, ${record.status})${why}`,
    { details: { id: record.id, hash: record.hash, status: record.status } },
  )
}

/**
 * Records every call of the functions it tracks: one computation record per run (who, when, with
 * which arguments, how it ended), duplicates handled by hash, leases kept alive by heartbeats,
 * progress, cooperative pause/resume/cancel and events. Create it with {@link createTracker}.
 */
export class Tracker {
  /** The store runs are recorded in. */
  readonly store: Store
  /** The namespace of every record this tracker reads and writes. */
  readonly namespace: string
  readonly #o: ResolvedTrackerOptions
  readonly #computations: ComputationStore
  readonly #events: TrackerEmitter
  readonly #retry: RetryOptions
  /** functionFull → the function, for `resume`. */
  readonly #registry = new Map<string, Entry>()
  readonly #inflight = new Map<string, InFlight>()
  readonly #runs = new Map<string, LocalRun>()
  /** `this` of runs paused in this process, handed back on `resume`. */
  readonly #pausedThis = new Map<string, unknown>()
  #sweeper: ReturnType<typeof setInterval> | undefined
  #sweeping: Promise<unknown> | undefined

  constructor(options: TrackerOptions) {
    this.#o = resolveTrackerOptions(options)
    this.store = this.#o.store
    this.namespace = this.#o.namespace
    this.#computations = this.store.computations
    this.#events = new TrackerEmitter(this.#o.logger)
    const retry = this.#o.retry ?? {}
    this.#retry = {
      ...retry,
      onRetry: (err, attempt, delayMs) => {
        this.#o.logger.warn({ err, attempt, delayMs }, 'writing the final status failed; retrying')
        retry.onRetry?.(err, attempt, delayMs)
      },
    }
    if (this.#o.sweepIntervalMs !== undefined) {
      this.#sweeper = setInterval(() => {
        if (this.#sweeping !== undefined) return
        this.#sweeping = this.sweep()
          .catch((err: unknown) => this.#reportError(err, 'sweep'))
          .finally(() => {
            this.#sweeping = undefined
          })
      }, this.#o.sweepIntervalMs)
      this.#sweeper.unref?.()
    }
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
    const resolved = resolveTrackOptions(name, options, this.#o)
    return this.#wrap({ fn: fn as AnyFunction, options: resolved })
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
  ): (
    method: (this: This, ...args: A) => R,
    context: ClassMethodDecoratorContext<This, (this: This, ...args: A) => R>,
  ) => (this: This, ...args: A) => R {
    if (typeof options !== 'object' || options === null) invalid('tracked', 'options', 'must be an object')
    const { name: displayName, ...trackOptions } = options
    if ('context' in trackOptions) {
      invalid(
        'tracked',
        'context',
        'is not an option of the decorator: a method gets its context from tracker.current()',
      )
    }
    return (method, context) => {
      if (context?.kind !== 'method' || typeof method !== 'function') {
        throw cmError(
          'CM_ERR_INVALID_ARGUMENT',
          `@tracked decorates class methods (got a ${context?.kind ?? 'non-decorator'} use)`,
        )
      }
      const methodName =
        typeof context.name === 'symbol' ? (context.name.description ?? 'symbol') : context.name
      const name = displayName ?? methodName
      // Validate now (at class definition); the class name is known once the class exists.
      resolveTrackOptions(
        name,
        { ...trackOptions, functionFull: trackOptions.functionFull ?? `Class.${methodName}` },
        this.#o,
        'tracked',
      )
      let wrapped: TrackedFunction<A, Awaited<R>, This> | undefined
      const ensure = (self: unknown): TrackedFunction<A, Awaited<R>, This> => {
        if (wrapped !== undefined) return wrapped
        const functionFull =
          trackOptions.functionFull ??
          `${declaringClassName(self, context.static, context.name, replacement)}.${methodName}`
        wrapped = this.track<A, R, This>(name, method, { ...trackOptions, functionFull }) as TrackedFunction<
          A,
          Awaited<R>,
          This
        >
        return wrapped
      }
      function replacement(this: This, ...args: A): R {
        return ensure(this).apply(this, args) as unknown as R
      }
      // Registers the method (for `resume`) as soon as the class (static) or an instance exists.
      context.addInitializer(function (this: This) {
        ensure(this)
      })
      return replacement
    }
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
   * Pauses a `started` run (in any process): the record becomes `paused` and the run's `ctx.signal`
   * fires with `CM_ERR_PAUSED` — at once in this process, at its next heartbeat in another. The
   * function is expected to save `ctx.checkpoint(state)` and throw `ctx.signal.reason`. Pausing a
   * paused run returns it; other statuses are `CM_ERR_INVALID_TRANSITION`.
   */
  async pause(id: string): Promise<Computation> {
    for (let tries = 0; ; tries++) {
      const record = await this.#require(id)
      if (record.status === 'paused') return record
      assertTransition(record.status, 'paused')
      try {
        const paused = await this.#computations.update(this.namespace, id, record.status, {
          status: 'paused',
        })
        this.#runs
          .get(id)
          ?.controller.abort(cmError('CM_ERR_PAUSED', `run ${id} was paused`, { details: { id } }))
        this.#events.emit('paused', { record: paused })
        return paused
      } catch (err) {
        if (!isCompManagerError(err, 'CM_ERR_CONFLICT') || tries >= 3) throw err
      }
    }
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
    const now = this.#o.clock()
    if (record.leaseUntil !== null && record.leaseUntil > now) {
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
    const args = this.#o.codec.decode(record.args)
    if (!Array.isArray(args)) {
      throw cmError('CM_ERR_MALFORMED', `run ${id} has no argument list to resume with`, { details: { id } })
    }
    const resumeState = record.checkpoint === null ? undefined : this.#o.codec.decode(record.checkpoint)
    const { pid, host } = runnerIdentity()
    const started = await this.#computations.update(this.namespace, id, 'paused', {
      status: 'started',
      leaseUntil: now + entry.options.leaseMs,
      heartbeatAt: now,
      owner: this.#o.owner,
      pid,
      host,
    })
    const thisArg = this.#pausedThis.get(id)
    this.#pausedThis.delete(id)
    this.#events.emit('resumed', { record: started })
    const call: InFlight = { promise: Promise.resolve(), id }
    call.promise = this.#execute(entry, started, args, thisArg, resumeState)
    this.#remember(record.hash, call)
    return call.promise as Promise<T>
  }

  /**
   * Cancels a run (queued, started or paused, in any process): the record becomes `failed` with the
   * error `{ name: 'CancelledError', code: 'CM_ERR_CANCELLED' }` and the run's `ctx.signal` fires;
   * its caller rejects with `CM_ERR_CANCELLED`. A finished run is `CM_ERR_INVALID_TRANSITION`.
   */
  async cancel(id: string, reason?: string): Promise<Computation> {
    if (reason !== undefined && typeof reason !== 'string') invalid('cancel', 'reason', 'must be a string')
    const info: ErrorInfo = {
      name: 'CancelledError',
      message: reason ?? 'cancelled with tracker.cancel()',
      code: 'CM_ERR_CANCELLED',
    }
    for (let tries = 0; ; tries++) {
      const record = await this.#require(id)
      assertTransition(record.status, 'failed')
      try {
        const cancelled = await this.#computations.update(this.namespace, id, record.status, {
          status: 'failed',
          error: info,
        })
        const error = cmError('CM_ERR_CANCELLED', `run ${id} was cancelled`, {
          details: { id, reason: info.message },
        })
        this.#runs.get(id)?.controller.abort(error)
        this.#pausedThis.delete(id)
        this.#events.emit('failed', { record: cancelled, error, recorded: true })
        return cancelled
      } catch (err) {
        if (!isCompManagerError(err, 'CM_ERR_CONFLICT') || tries >= 3) throw err
      }
    }
  }

  /**
   * Marks `lost` every live run (of any namespace) whose lease expired: its process stopped
   * renewing it. Returns the runs it marked; emits `lost` for each.
   */
  async sweep(): Promise<Computation[]> {
    const lost: Computation[] = []
    const limit = 100
    for (let round = 0; round < 10; round++) {
      const batch = await this.#computations.findExpired({ limit })
      for (const record of batch) {
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

  off<E extends TrackerEventName>(event: E, listener: TrackerListener<E>): void {
    this.#events.off(event, listener)
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

  // ── calls ──────────────────────────────────────────────────────────────────────────────────────

  #wrap(entry: Entry): TrackedFunction<unknown[], unknown> {
    const { options } = entry
    this.#registry.set(options.functionFull, entry)
    const tracker = this
    const tracked = function (this: unknown, ...args: unknown[]) {
      return tracker.#call(entry, this, args)
    } as TrackedFunction<unknown[], unknown>
    Object.defineProperties(tracked, {
      name: { value: options.name, configurable: true },
      trackedName: { value: options.name, enumerable: true },
      functionFull: { value: options.functionFull, enumerable: true },
      hashOf: { value: (...args: unknown[]) => this.#hash(options, args).key },
    })
    return tracked
  }

  #hash(options: ResolvedTrackOptions, args: unknown[]): HashKey {
    return hashKey(
      {
        fn: options.functionFull,
        ...(options.version === undefined ? {} : { version: options.version }),
        args,
      },
      { codec: this.#o.codec },
    )
  }

  #call(entry: Entry, thisArg: unknown, args: unknown[]): Promise<unknown> {
    let hash: HashKey
    try {
      hash = this.#hash(entry.options, args)
    } catch (err) {
      return Promise.reject(err)
    }
    const deadline = deadlineOf(entry.options.timeoutMs)
    const existing = this.#inflight.get(hash.key)
    if (existing !== undefined) {
      if (entry.options.onDuplicate === 'wait')
        return this.#join(existing, entry, thisArg, args, hash, deadline)
      return Promise.reject(
        alreadyRunning(
          { id: existing.id ?? '(claiming)', hash: hash.key, status: 'started' },
          ' in this process',
        ),
      )
    }
    const call: InFlight = { promise: Promise.resolve(), id: undefined }
    call.promise = this.#start(entry, thisArg, args, hash, deadline, call)
    this.#remember(hash.key, call)
    return call.promise
  }

  /** Registers an in-flight call under its hash until it settles. */
  #remember(key: string, call: InFlight): void {
    if (this.#inflight.has(key)) return
    this.#inflight.set(key, call)
    const forget = () => {
      if (this.#inflight.get(key) === call) this.#inflight.delete(key)
    }
    call.promise.then(forget, forget)
  }

  /** A `'wait'` call joining an identical call of this process: same promise, same result or error. */
  async #join(
    call: InFlight,
    entry: Entry,
    thisArg: unknown,
    args: unknown[],
    hash: HashKey,
    deadline: number,
  ): Promise<unknown> {
    try {
      return await withDeadline(call.promise, deadline, call.id)
    } catch (err) {
      // The run was paused: it is still live, so keep waiting for it like any other waiter.
      if (isCompManagerError(err, 'CM_ERR_PAUSED')) {
        return this.#start(entry, thisArg, args, hash, deadline, {
          promise: Promise.resolve(),
          id: undefined,
        })
      }
      throw err
    }
  }

  /** Claims the hash and runs the call, or handles the duplicate as `onDuplicate` says. */
  async #start(
    entry: Entry,
    thisArg: unknown,
    args: unknown[],
    hash: HashKey,
    deadline: number,
    call: InFlight,
  ): Promise<unknown> {
    const o = entry.options
    const encodedArgs = this.#o.codec.encode(args)
    const { pid, host } = runnerIdentity()
    let rerun = o.onDuplicate === 'rerun'
    for (;;) {
      const claim = await this.#computations.claim({
        namespace: this.namespace,
        name: o.name,
        function: o.name,
        functionFull: o.functionFull,
        args: encodedArgs,
        hash: hash.key,
        hashAlgorithm: hash.algorithm,
        owner: this.#o.owner,
        pid,
        host,
        leaseMs: o.leaseMs,
        onTerminal: rerun ? 'rerun' : 'rerun-failed',
      })
      if (claim.won) {
        call.id = claim.record.id
        this.#events.emit('started', { record: claim.record, previous: claim.previous })
        return this.#execute(entry, claim.record, args, thisArg, undefined)
      }
      let record = claim.record
      call.id = record.id
      if (record.status === 'started' || record.status === 'paused' || record.status === 'queued') {
        if (o.onDuplicate !== 'wait') throw alreadyRunning(record)
        record = await this.#waitFor(record.id, deadline)
        if (record.status === 'failed') throw this.#remoteError(record)
        if (record.status === 'lost') {
          this.#events.emit('lost', { record })
          throw cmError('CM_ERR_LOST', `run ${record.id} was lost: its process stopped renewing its lease`, {
            details: { id: record.id, hash: record.hash },
          })
        }
      } else if (o.onDuplicate === 'throw') {
        throw cmError(
          'CM_ERR_ALREADY_FINISHED',
          `a run with the same hash has already finished (${record.id})`,
          {
            details: { id: record.id, hash: record.hash },
          },
        )
      }
      // A finished run: its stored result, or a new attempt when none is stored (any more).
      const stored = await this.#loadResult(record)
      if (stored !== undefined) return stored.value
      rerun = true
    }
  }

  /** Runs a claimed (or resumed) record and turns the outcome into the caller's result. */
  async #execute(
    entry: Entry,
    record: Computation,
    args: unknown[],
    thisArg: unknown,
    resumeState: unknown,
  ): Promise<unknown> {
    const o = entry.options
    const { id } = record
    const controller = new AbortController()
    let release!: () => void
    const local: LocalRun = { controller, done: new Promise<void>((resolve) => (release = resolve)) }
    this.#runs.set(id, local)
    let seen = progressKey(record)
    let outcome: RunOutcome<unknown>
    try {
      outcome = await executeRun<unknown>(
        (ctx) =>
          runStorage.run(ctx, () =>
            o.context ? entry.fn.apply(thisArg, [...args, ctx]) : entry.fn.apply(thisArg, args),
          ),
        {
          store: this.#computations,
          record,
          leaseMs: o.leaseMs,
          heartbeatMs: o.heartbeatMs,
          clock: this.#o.clock,
          codec: this.#o.codec,
          resumeState,
          storeResult: o.storeResult ? (value, current) => this.#storeResult(o, value, current) : undefined,
          onError: (err, during) => this.#reportError(err, during, id),
          onRenew: (current) => {
            const key = progressKey(current)
            if (key === seen) return
            seen = key
            this.#events.emit('progress', {
              record: current,
              progress: current.progress,
              message: current.message,
            })
          },
          retry: this.#retry,
          signal: controller.signal,
        },
      )
    } finally {
      if (this.#runs.get(id) === local) this.#runs.delete(id)
      release()
    }
    switch (outcome.status) {
      case 'finished':
        this.#events.emit('finished', {
          record: outcome.record,
          value: outcome.value,
          recorded: outcome.recorded,
        })
        return outcome.value
      case 'failed':
        this.#events.emit('failed', {
          record: outcome.record,
          error: outcome.error,
          recorded: outcome.recorded,
        })
        throw outcome.error
      case 'paused':
        if (thisArg !== undefined) this.#pausedThis.set(id, thisArg)
        throw cmError('CM_ERR_PAUSED', `run ${id} was paused; tracker.resume('${id}') runs it again`, {
          details: { id, hash: record.hash },
        })
      case 'cancelled':
        throw outcome.error
      case 'lost':
        this.#events.emit('lost', { record: outcome.record })
        // The function did return: its caller gets the value even though the record says lost.
        if ('value' in outcome) return outcome.value
        throw outcome.error
    }
  }

  /** Stores a returned value in the cache under the run's hash; the record keeps a reference. */
  async #storeResult(o: ResolvedTrackOptions, value: unknown, record: Computation): Promise<ResultRef> {
    const meta = await this.store.cache.set({
      namespace: this.namespace,
      key: record.hash,
      function: record.function,
      functionFull: record.functionFull,
      version: o.version === undefined ? null : String(o.version),
      algorithm: record.hashAlgorithm,
      args: record.args,
      value: this.#o.codec.stringify(value),
      ttlMs: o.resultTtlMs,
    })
    return { cacheKey: meta.key, namespace: this.namespace, size: meta.size }
  }

  /** The stored result of a finished run, or `undefined` when none is stored (any more). */
  async #loadResult(record: Computation): Promise<{ value: unknown } | undefined> {
    const ref = record.result
    if (record.status !== 'finished' || ref === null) return undefined
    const entry = await this.store.cache.get(ref.namespace ?? this.namespace, ref.cacheKey)
    if (entry === null) return undefined
    return { value: this.#o.codec.parse(entry.value) }
  }

  /** Waits for a run of another process (or call) to end, expiring its lease if it ran out. */
  #waitFor(id: string, deadline: number): Promise<Computation> {
    return waitForRun(this.#computations, this.namespace, id, {
      clock: this.#o.clock,
      pollMs: this.#o.pollMs,
      maxPollMs: Math.max(this.#o.pollMs, 1000),
      ...(deadline === NO_DEADLINE ? {} : { timeoutMs: Math.max(0, deadline - Date.now()) }),
    })
  }

  /** The error of a run that failed elsewhere, for its waiters. */
  #remoteError(record: Computation): Error {
    const info = record.error
    if (info?.code === 'CM_ERR_CANCELLED') {
      return cmError('CM_ERR_CANCELLED', `run ${record.id} was cancelled: ${info.message}`, {
        details: { id: record.id, hash: record.hash },
      })
    }
    return info === null ? new Error(`run ${record.id} failed`) : fromErrorInfo(info)
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

function progressKey(record: Computation): string {
  return `${record.progress?.fraction ?? ''}\u0000${record.progress?.note ?? ''}\u0000${record.message ?? ''}`
}

/** The name of the class that declares the decorated method (not of a subclass instance). */
function declaringClassName(
  self: unknown,
  isStatic: boolean,
  name: string | symbol,
  method: unknown,
): string {
  const start = isStatic
    ? self
    : self === null || self === undefined
      ? undefined
      : Object.getPrototypeOf(self)
  let holder: unknown = start
  while (holder !== null && holder !== undefined) {
    if (Object.getOwnPropertyDescriptor(holder, name)?.value === method) break
    holder = Object.getPrototypeOf(holder)
  }
  const owner = holder ?? start
  const ctor = isStatic ? owner : (owner as { constructor?: unknown } | undefined)?.constructor
  const className = typeof ctor === 'function' ? ctor.name : ''
  return className === '' ? 'anonymous' : className
}

/** Creates a {@link Tracker}; options are validated now (`CM_ERR_INVALID_ARGUMENT` names the option). */
export function createTracker(options: TrackerOptions): Tracker {
  return new Tracker(options)
}
