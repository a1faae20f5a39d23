import type { Codec } from '../codec/codec.js'
import { defaultCodec } from '../codec/index.js'
import type { Computation, ErrorInfo, Progress, ResultRef } from '../domain/schemas.js'
import { assertTransition, type ComputationStatus } from '../domain/status.js'
import { cmError } from '../errors/index.js'
import { type HashKey, hashKey } from '../hash/index.js'
import type { Clock, ComputationPatch, ComputationStore } from '../store/ports.js'
import { isLiveStatus } from '../store/records.js'
import { CAS_ATTEMPTS, compareAndSet } from './cas.js'

/**
 * The run lifecycle, one operation per status change, each a compare-and-set through the state
 * machine with the one retry policy of {@link compareAndSet}. The tracker, the cache, the HTTP routes
 * and the server's shutdown all change a run's status through these functions, never by writing the
 * store themselves. Every operation is scoped to one namespace (the guard validates it) and rejects
 * with `CM_ERR_NOT_FOUND` for a run that is absent there, `CM_ERR_INVALID_TRANSITION` for a change the
 * state machine refuses, `CM_ERR_CONFLICT` when the run kept changing under it.
 */

/** Who runs a computation. */
export interface Runner {
  owner: string | null
  pid: number | null
  host: string | null
}

/** The record as the caller last read it: saves a read, and is re-read when stale. */
export interface Known {
  current?: Computation | null
}

/** The call a record is for: its function, version and (decoded) argument list. */
export interface CallSpec {
  functionFull: string
  version?: string | number | undefined
  args: readonly unknown[]
  codec?: Codec
}

/** The key of a call, exactly as `tracker.track` computes it: `hashKey({ fn: functionFull, version, args })`. */
export function callHash(call: CallSpec): HashKey {
  return hashKey(
    {
      fn: call.functionFull,
      ...(call.version === undefined ? {} : { version: call.version }),
      args: call.args,
    },
    { codec: call.codec ?? defaultCodec },
  )
}

export interface CreateRunInput extends CallSpec {
  namespace: string
  /** Display name; default `function`. */
  name?: string
  function: string
  /** Default `queued`. */
  status?: 'queued' | 'started'
  owner?: string | null
  message?: string | null
  /** The lease of a `started` run (epoch ms): past it, a sweeper declares the run lost. Default none. */
  leaseUntil?: number | null
}

/**
 * Records a run of a call (default `queued`), hashed as a tracked call of the same function and
 * arguments is, so that call takes it over. `CM_ERR_DUPLICATE` when the hash already has a run.
 */
export function createRun(store: ComputationStore, input: CreateRunInput): Promise<Computation> {
  const codec = input.codec ?? defaultCodec
  const hash = callHash(input)
  return store.create({
    namespace: input.namespace,
    name: input.name ?? input.function,
    function: input.function,
    functionFull: input.functionFull,
    args: codec.encode([...input.args]),
    hash: hash.key,
    hashAlgorithm: hash.algorithm,
    status: input.status ?? 'queued',
    owner: input.owner ?? null,
    message: input.message ?? null,
    ...(input.leaseUntil == null ? {} : { leaseUntil: input.leaseUntil }),
  })
}

/**
 * Asks a running run to pause. The run stays `started`, with `pauseRequestedAt` set, until its runner
 * honours the request (its `ctx.signal` fires with `CM_ERR_PAUSED` at its next heartbeat, or at once in
 * the process running it): only then is it `paused`. A run that nobody holds a lease on (recorded as
 * `started` over REST without a runner) is paused at once; a paused run is returned as it is.
 * Callers tell the two answers apart with {@link isPauseRequested}.
 */
export function requestPause(
  store: ComputationStore,
  namespace: string,
  id: string,
  known: Known & { clock?: Clock } = {},
): Promise<Computation> {
  const now = (known.clock ?? Date.now)()
  return compareAndSet(
    store,
    namespace,
    id,
    (current) => {
      if (current.status === 'paused') return null
      assertTransition(current.status, 'paused')
      if (current.leaseUntil === null) return { status: 'paused' }
      return current.pauseRequestedAt === null ? { pauseRequestedAt: now } : null
    },
    known,
  )
}

/** True when a pause was asked of the run and it is still running (not honoured yet). */
export function isPauseRequested(record: Computation): boolean {
  return record.status === 'started' && record.pauseRequestedAt !== null
}

/**
 * `started → paused`, by the run's runner: its function stopped for a pause (it holds no lease until
 * someone resumes it). A paused run is returned as it is.
 */
export function pauseRun(
  store: ComputationStore,
  namespace: string,
  id: string,
  known: Known = {},
): Promise<Computation> {
  return compareAndSet(
    store,
    namespace,
    id,
    (current) => {
      if (current.status === 'paused') return current.leaseUntil === null ? null : { leaseUntil: null }
      assertTransition(current.status, 'paused')
      return { status: 'paused', leaseUntil: null }
    },
    known,
  )
}

/** The error a cancelled run records. */
export function cancelledError(reason: string): ErrorInfo {
  return { name: 'CancelledError', message: reason, code: 'CM_ERR_CANCELLED' }
}

export interface CancelRunOptions extends Known {
  /** Recorded as the error's message. Default `'cancelled'`. */
  reason?: string
  /** Also sets the record's `message`, in the same write. */
  message?: string | null
}

/** `queued | started | paused → failed`, with the error `{ name: 'CancelledError', code: 'CM_ERR_CANCELLED' }`. */
export function cancelRun(
  store: ComputationStore,
  namespace: string,
  id: string,
  options: CancelRunOptions = {},
): Promise<Computation> {
  const error = cancelledError(options.reason ?? 'cancelled')
  return compareAndSet(
    store,
    namespace,
    id,
    (current) => {
      assertTransition(current.status, 'failed')
      return {
        status: 'failed',
        error,
        ...(options.message === undefined ? {} : { message: options.message }),
      }
    },
    options,
  )
}

export interface ResumeRunOptions {
  runner: Runner
  leaseMs: number
  clock: Clock
}

/** `paused → started`, leased to `runner` (the process that runs it again). */
export function resumeRun(
  store: ComputationStore,
  namespace: string,
  id: string,
  options: ResumeRunOptions,
): Promise<Computation> {
  const now = options.clock()
  return store.update(namespace, id, 'paused', {
    status: 'started',
    leaseUntil: now + options.leaseMs,
    heartbeatAt: now,
    ...options.runner,
  })
}

/**
 * Any other edge of the state machine (`queued → started`, `started → finished`, `started → lost`…),
 * with nothing else changed. A run already in `to` is returned as it is.
 */
export function transitionRun(
  store: ComputationStore,
  namespace: string,
  id: string,
  to: ComputationStatus,
  known: Known = {},
): Promise<Computation> {
  return compareAndSet(
    store,
    namespace,
    id,
    (current) => {
      if (current.status === to) return null
      assertTransition(current.status, to)
      return { status: to }
    },
    known,
  )
}

export interface RunNotes {
  message?: string | null
  progress?: Progress | null
}

/** Sets a run's message and/or progress, whatever its status. */
export function noteRun(
  store: ComputationStore,
  namespace: string,
  id: string,
  notes: RunNotes,
  known: Known = {},
): Promise<Computation> {
  const patch: ComputationPatch = {}
  if (notes.message !== undefined) patch.message = notes.message
  if (notes.progress !== undefined) patch.progress = notes.progress
  return compareAndSet(store, namespace, id, () => (Object.keys(patch).length === 0 ? null : patch), known)
}

/** `started → lost`: the run's process gave it up (it shut down before the run ended). `null` if it was not running. */
export async function loseRun(
  store: ComputationStore,
  namespace: string,
  id: string,
  message: string,
  known: Known = {},
): Promise<Computation | null> {
  let lost = false
  const record = await compareAndSet(
    store,
    namespace,
    id,
    (current) => {
      if (current.status !== 'started') return null
      lost = true
      return { status: 'lost', leaseUntil: null, message }
    },
    known,
  )
  return lost ? record : null
}

/** A patch for a run that is still live (`started` or `paused`), e.g. a checkpoint. `CM_ERR_CONFLICT` once it ended. */
export function patchLiveRun(
  store: ComputationStore,
  namespace: string,
  id: string,
  patch: ComputationPatch,
  known: Known = {},
): Promise<Computation> {
  return compareAndSet(
    store,
    namespace,
    id,
    (current) => {
      if (!isLiveStatus(current.status)) {
        throw cmError(
          'CM_ERR_CONFLICT',
          `computation ${id} is '${current.status}': it is no longer running`,
          {
            details: { id, actual: current.status },
          },
        )
      }
      return patch
    },
    known,
  )
}

/** The runner of a paused run has stopped: the run keeps no lease until someone resumes it. */
export function releasePausedRun(
  store: ComputationStore,
  namespace: string,
  id: string,
  known: Known = {},
): Promise<Computation> {
  return compareAndSet(
    store,
    namespace,
    id,
    (current) => {
      if (current.status !== 'paused') {
        throw cmError('CM_ERR_CONFLICT', `computation ${id} is '${current.status}', no longer paused`, {
          details: { id, expected: 'paused', actual: current.status },
        })
      }
      return current.leaseUntil === null ? null : { leaseUntil: null }
    },
    known,
  )
}

/** How a run ended, as its runner records it. */
export type RunEnding =
  | { status: 'finished'; result: ResultRef | null }
  | { status: 'failed'; error: ErrorInfo }

/**
 * Records how a run ended (`started → finished | failed`). A run paused meanwhile whose function
 * finished anyway is resumed first (`paused → started → …`): the outcome is what happened. Throws
 * `CM_ERR_INVALID_TRANSITION` (or `CM_ERR_CONFLICT`) when the run was ended elsewhere.
 */
export async function endRun(
  store: ComputationStore,
  namespace: string,
  id: string,
  ending: RunEnding,
  known: Known = {},
): Promise<Computation> {
  const patch: ComputationPatch =
    ending.status === 'finished'
      ? { status: 'finished', result: ending.result }
      : { status: 'failed', error: ending.error }
  let current = known.current ?? null
  for (let attempt = 1; ; attempt++) {
    const live = await compareAndSet(
      store,
      namespace,
      id,
      (run) => (run.status === 'paused' ? { status: 'started' } : null),
      { current },
    )
    try {
      return await compareAndSet(
        store,
        namespace,
        id,
        (run) => {
          if (run.status === 'paused') throw PAUSED_AGAIN
          assertTransition(run.status, ending.status)
          return patch
        },
        { current: live },
      )
    } catch (err) {
      if (err !== PAUSED_AGAIN) throw err
      if (attempt >= CAS_ATTEMPTS) {
        throw cmError('CM_ERR_CONFLICT', `computation ${id} kept being paused while its end was recorded`, {
          details: { id },
        })
      }
      current = null
    }
  }
}

/** Thrown inside `endRun`'s decision when the run was paused again after it was resumed. */
const PAUSED_AGAIN = Symbol('paused again')
