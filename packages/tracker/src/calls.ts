import {
  type CompManagerError,
  type Computation,
  type ComputationStore,
  cmError,
  type HashKey,
  isCompManagerError,
  type ResultRef,
  type Store,
} from '@comp-manager/core'
import {
  callHash,
  type Emitter,
  executeRun,
  fromErrorInfo,
  type LocalRuns,
  type RetryOptions,
  type RunOutcome,
  runnerIdentity,
  waitForRun,
} from '@comp-manager/core/runs'
import { runStorage } from './context.js'
import type { ResolvedTrackerOptions, ResolvedTrackOptions } from './options.js'
import type { ErrorDuring, TrackerEvents } from './types.js'

// biome-ignore lint/suspicious/noExplicitAny: a tracked function of any `this` and arguments
export type AnyFunction = (this: any, ...args: any[]) => unknown

/** A tracked function as the tracker keeps it (for calls and for `resume`). */
export interface Entry {
  fn: AnyFunction
  options: ResolvedTrackOptions
}

/** A call of this process not settled yet, by hash: identical calls join it or are refused. */
interface InFlight {
  promise: Promise<unknown>
  /** The record it runs or waits for, once known. */
  id: string | undefined
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

export function alreadyRunning(
  record: Pick<Computation, 'id' | 'hash' | 'status'>,
  why = '',
): CompManagerError {
  return cmError(
    'CM_ERR_ALREADY_RUNNING',
    `a run with the same hash is in progress (${record.id}, ${record.status})${why}`,
    { details: { id: record.id, hash: record.hash, status: record.status } },
  )
}

function progressKey(record: Computation): string {
  return `${record.progress?.fraction ?? ''}\u0000${record.progress?.note ?? ''}\u0000${record.message ?? ''}`
}

/** What the call path shares with the tracker that owns it. */
export interface CallsContext {
  readonly options: ResolvedTrackerOptions
  readonly store: Store
  readonly namespace: string
  readonly events: Emitter<TrackerEvents>
  readonly runs: LocalRuns
  readonly retry: RetryOptions
  reportError(error: unknown, during: ErrorDuring, id?: string): void
}

/**
 * The call path of a tracker: hash the call, join an identical call of this process, claim the hash
 * (or handle the duplicate as `onDuplicate` says), execute the claimed run through core's
 * `executeRun`, and turn its outcome into the caller's result.
 */
export class Calls {
  readonly #c: CallsContext
  readonly #computations: ComputationStore
  readonly #inflight = new Map<string, InFlight>()
  /** `this` of runs paused in this process, handed back on `resume`. */
  readonly pausedThis = new Map<string, unknown>()

  constructor(context: CallsContext) {
    this.#c = context
    this.#computations = context.store.computations
  }

  hash(options: ResolvedTrackOptions, args: readonly unknown[]): HashKey {
    return callHash({
      functionFull: options.functionFull,
      version: options.version,
      args,
      codec: this.#c.options.codec,
    })
  }

  call(entry: Entry, thisArg: unknown, args: unknown[]): Promise<unknown> {
    let hash: HashKey
    try {
      hash = this.hash(entry.options, args)
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

  /** Runs a resumed record (already `started` again) as a call of this process. */
  resume(
    entry: Entry,
    record: Computation,
    args: unknown[],
    thisArg: unknown,
    resumeState: unknown,
  ): Promise<unknown> {
    const call: InFlight = { promise: Promise.resolve(), id: record.id }
    call.promise = this.execute(entry, record, args, thisArg, resumeState)
    this.#remember(record.hash, call)
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
    const tracker = this.#c.options
    const encodedArgs = tracker.codec.encode(args)
    const { pid, host } = runnerIdentity()
    let rerun = o.onDuplicate === 'rerun'
    for (;;) {
      const claim = await this.#computations.claim({
        namespace: this.#c.namespace,
        name: o.name,
        function: o.name,
        functionFull: o.functionFull,
        args: encodedArgs,
        hash: hash.key,
        hashAlgorithm: hash.algorithm,
        owner: tracker.owner,
        pid,
        host,
        leaseMs: o.leaseMs,
        onTerminal: rerun ? 'rerun' : 'rerun-failed',
      })
      if (claim.won) {
        call.id = claim.record.id
        this.#c.events.emit('started', { record: claim.record, previous: claim.previous })
        return this.execute(entry, claim.record, args, thisArg, undefined)
      }
      const record = claim.record
      call.id = record.id
      const stored = await this.#duplicate(o, record, deadline)
      if (stored !== undefined) return stored.value
      rerun = true
    }
  }

  /**
   * The hash has a run already: wait for a live one (`'wait'`) or refuse, then return the stored
   * result of a finished one, or `undefined` when none is stored (the caller runs it again).
   */
  async #duplicate(
    o: ResolvedTrackOptions,
    found: Computation,
    deadline: number,
  ): Promise<{ value: unknown } | undefined> {
    let record = found
    if (record.status === 'started' || record.status === 'paused' || record.status === 'queued') {
      if (o.onDuplicate !== 'wait') throw alreadyRunning(record)
      record = await this.#waitFor(record.id, deadline)
      if (record.status === 'failed') throw this.#remoteError(record)
      if (record.status === 'lost') {
        this.#c.events.emit('lost', { record })
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
    return this.#loadResult(record)
  }

  /** Runs a claimed (or resumed) record and turns the outcome into the caller's result. */
  async execute(
    entry: Entry,
    record: Computation,
    args: unknown[],
    thisArg: unknown,
    resumeState: unknown,
  ): Promise<unknown> {
    const { id } = record
    const local = this.#c.runs.start(record.namespace, id)
    let outcome: RunOutcome<unknown>
    try {
      outcome = await this.#run(entry, record, args, thisArg, resumeState, local.run.controller.signal)
    } finally {
      local.end()
    }
    const events = this.#c.events
    switch (outcome.status) {
      case 'finished':
        events.emit('finished', { record: outcome.record, value: outcome.value, recorded: outcome.recorded })
        return outcome.value
      case 'failed':
        events.emit('failed', { record: outcome.record, error: outcome.error, recorded: outcome.recorded })
        throw outcome.error
      case 'paused':
        if (thisArg !== undefined) this.pausedThis.set(id, thisArg)
        events.emit('paused', { record: outcome.record })
        throw cmError('CM_ERR_PAUSED', `run ${id} was paused; tracker.resume('${id}') runs it again`, {
          details: { id, hash: record.hash },
        })
      case 'cancelled':
        throw outcome.error
      case 'lost':
        events.emit('lost', { record: outcome.record })
        // The function did return: its caller gets the value even though the record says lost.
        if ('value' in outcome) return outcome.value
        throw outcome.error
    }
  }

  #run(
    entry: Entry,
    record: Computation,
    args: unknown[],
    thisArg: unknown,
    resumeState: unknown,
    signal: AbortSignal,
  ): Promise<RunOutcome<unknown>> {
    const o = entry.options
    const tracker = this.#c.options
    let seen = progressKey(record)
    return executeRun<unknown>(
      (ctx) =>
        runStorage.run(ctx, () =>
          o.context ? entry.fn.apply(thisArg, [...args, ctx]) : entry.fn.apply(thisArg, args),
        ),
      {
        store: this.#computations,
        record,
        leaseMs: o.leaseMs,
        heartbeatMs: o.heartbeatMs,
        clock: tracker.clock,
        codec: tracker.codec,
        resumeState,
        storeResult: o.storeResult ? (value, current) => this.#storeResult(o, value, current) : undefined,
        onError: (err, during) => this.#c.reportError(err, during, record.id),
        onRenew: (current) => {
          const key = progressKey(current)
          if (key === seen) return
          seen = key
          this.#c.events.emit('progress', {
            record: current,
            progress: current.progress,
            message: current.message,
          })
        },
        retry: this.#c.retry,
        signal,
      },
    )
  }

  /** Stores a returned value in the cache under the run's hash; the record keeps a reference. */
  async #storeResult(o: ResolvedTrackOptions, value: unknown, record: Computation): Promise<ResultRef> {
    const meta = await this.#c.store.cache.set({
      namespace: this.#c.namespace,
      key: record.hash,
      function: record.function,
      functionFull: record.functionFull,
      version: o.version === undefined ? null : String(o.version),
      algorithm: record.hashAlgorithm,
      args: record.args,
      value: this.#c.options.codec.stringify(value),
      ttlMs: o.resultTtlMs,
    })
    return { cacheKey: meta.key, namespace: this.#c.namespace, size: meta.size }
  }

  /** The stored result of a finished run, or `undefined` when none is stored (any more). */
  async #loadResult(record: Computation): Promise<{ value: unknown } | undefined> {
    const ref = record.result
    if (record.status !== 'finished' || ref === null) return undefined
    const entry = await this.#c.store.cache.get(ref.namespace ?? this.#c.namespace, ref.cacheKey)
    if (entry === null) return undefined
    return { value: this.#c.options.codec.parse(entry.value, { stored: true }) }
  }

  /** Waits for a run of another process (or call) to end, expiring its lease if it ran out. */
  #waitFor(id: string, deadline: number): Promise<Computation> {
    const { clock, pollMs } = this.#c.options
    return waitForRun(this.#computations, this.#c.namespace, id, {
      clock,
      pollMs,
      maxPollMs: Math.max(pollMs, 1000),
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
}
