import { AsyncLocalStorage } from 'node:async_hooks'
import type { RunContext } from '@comp-manager/core'

/** The context of the tracked call running now, across every tracker of this process. */
export const runStorage = new AsyncLocalStorage<RunContext>()

/**
 * The context of the tracked call that is running (in this async flow), or `undefined` outside one.
 * Same as `tracker.current()`.
 */
export function currentRun(): RunContext | undefined {
  return runStorage.getStore()
}
