import { cmError, type Store } from '@comp-manager/core'
import { describeValue } from '@comp-manager/core/options'

export const PACKAGE = '@comp-manager/worker'

/** Throws the `CM_ERR_INVALID_ARGUMENT` of a bad argument of a worker or queue method, naming it. */
export function invalid(where: string, option: string, problem: string): never {
  throw cmError('CM_ERR_INVALID_ARGUMENT', `${PACKAGE} ${where}: \`${option}\` ${problem}`, {
    details: { option, package: PACKAGE },
  })
}

const queueMethods = [
  'enqueue',
  'claimNext',
  'claimBatch',
  'complete',
  'retry',
  'requeue',
  'recoverExpired',
  'registerWorker',
] as const

/** What keeps `value` from being a Store the worker can use (one with a queue port), or `undefined`. */
export function storeProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return `is required (got ${describeValue(value)})`
  const { computations, cache, queue } = value as Partial<Store>
  if (typeof computations?.get !== 'function' || typeof cache?.get !== 'function') {
    return 'must be a comp-manager Store (MemoryStore, SqliteStore, MongoStore…)'
  }
  if (typeof queue !== 'object' || queue === null) {
    return 'has no queue port (`store.queue`): use a store that implements it (MemoryStore, SqliteStore, MongoStore)'
  }
  const lacking = queueMethods.find(
    (m) => typeof (queue as unknown as Record<string, unknown>)[m] !== 'function',
  )
  return lacking === undefined ? undefined : `has a queue port without ${lacking}()`
}
