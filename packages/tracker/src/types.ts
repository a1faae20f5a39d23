import type { Computation, ComputationQuery, Progress } from '@comp-manager/core'

/**
 * What `track()` returns: the function with the same parameters (less the context, when it takes
 * one) and `this`, always async, plus what identifies its runs.
 */
export type TrackedFunction<A extends unknown[], R, This = unknown> = ((
  this: This,
  ...args: A
) => Promise<Awaited<R>>) & {
  /** The display name (recorded as `name` and `function`). */
  readonly trackedName: string
  /** The qualified name (recorded as `functionFull`, part of the hash). */
  readonly functionFull: string
  /** The hash a call with these arguments is recorded under (to `get`/`list` its runs). */
  hashOf(...args: A): string
}

/** Filters of `tracker.list()`: the store's query without `namespace` (always the tracker's). */
export type ListFilters = Omit<ComputationQuery, 'namespace'>

/**
 * The tracker's events. They report what this tracker did or found: its own runs (`started`,
 * `progress`, `finished`, `failed`), the changes it made (`paused`, `resumed`, `failed` for
 * `cancel`), runs it found dead (`lost`) and what it could not record (`error`).
 */
export interface TrackerEvents {
  /** A call won its claim and started (`previous`: the run it replaced, if any). */
  started: { record: Computation; previous: Computation | null }
  /** A running call's stored progress or message changed (after the throttled write). */
  progress: { record: Computation; progress: Progress | null; message: string | null }
  /** A run of this tracker stopped for a pause (its function honoured `ctx.signal`), or `pause(id)` paused a run nobody was running. */
  paused: { record: Computation }
  /** `resume(id)` restarted a paused run. */
  resumed: { record: Computation }
  /** A call returned. `recorded` is false when the final status could not be written. */
  finished: { record: Computation; value: unknown; recorded: boolean }
  /** A call threw (`error` is what it threw), or `cancel(id)` ended a run (`error`: its `CM_ERR_CANCELLED`). */
  failed: { record: Computation; error: unknown; recorded: boolean }
  /** A run was found lost: by `sweep()`, by a waiter, or a call of this tracker whose lease ran out. */
  lost: { record: Computation }
  /** Something could not be recorded (the store failed); also logged. */
  error: { error: unknown; during: ErrorDuring; id?: string }
}

export type TrackerEventName = keyof TrackerEvents

/** When an `error` event happened. */
export type ErrorDuring = 'renew' | 'store-result' | 'finish' | 'checkpoint' | 'sweep'

export type TrackerListener<E extends TrackerEventName> = (payload: TrackerEvents[E]) => void
