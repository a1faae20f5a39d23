import type { Computation } from '../domain/schemas.js'
import { isTerminalStatus } from '../domain/status.js'
import { cmError } from '../errors/index.js'
import type { Clock, ComputationStore } from '../store/ports.js'
import { isLeaseExpired } from '../store/records.js'
import { sleep } from './retry.js'

export interface WaitForRunOptions {
  /** Clock of the store (for lease expiry). Default `Date.now`. */
  clock?: Clock
  /** First polling interval; grows ×1.5 up to `maxPollMs`. Default 25 ms. */
  pollMs?: number
  /** Default 1000 ms. */
  maxPollMs?: number
  /** Give up with `CM_ERR_TIMEOUT` after this long (wall time). Default: wait as long as it takes. */
  timeoutMs?: number
  signal?: AbortSignal
  /** Expire the run's lease ourselves when it ran out (no separate sweeper needed). Default true. */
  expireLeases?: boolean
}

/**
 * Waits until a run (of this or another process) is over, by watching the store, and returns its
 * final record (`finished`, `failed` or `lost`). A run whose lease runs out is marked `lost` by the
 * waiter itself, so waiters never hang on a dead process.
 */
export async function waitForRun(
  store: ComputationStore,
  namespace: string,
  id: string,
  options: WaitForRunOptions = {},
): Promise<Computation> {
  const clock = options.clock ?? Date.now
  const maxPoll = options.maxPollMs ?? 1000
  const deadline = options.timeoutMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + options.timeoutMs
  let poll = options.pollMs ?? 25
  for (;;) {
    options.signal?.throwIfAborted()
    const record = await store.get(namespace, id)
    if (record === null) {
      throw cmError('CM_ERR_NOT_FOUND', `run ${id} disappeared while being waited for`, { details: { id } })
    }
    if (isTerminalStatus(record.status)) return record
    if (options.expireLeases !== false && isLeaseExpired(record, clock())) {
      const expired = await store.expire(namespace, id)
      if (expired) return expired
      continue
    }
    const left = deadline - Date.now()
    if (left <= 0) {
      throw cmError('CM_ERR_TIMEOUT', `run ${id} did not finish within ${options.timeoutMs} ms`, {
        details: { id, timeoutMs: options.timeoutMs },
      })
    }
    await sleep(Math.min(poll, left))
    poll = Math.min(maxPoll, poll * 1.5)
  }
}
