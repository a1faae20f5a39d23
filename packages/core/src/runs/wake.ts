/**
 * Claimers of this process waiting for queued jobs, keyed by the Store they claim from: whoever queues
 * a job in this process (`queue.submit`, `POST /computations`) wakes them at once instead of letting
 * them wait for their next poll. Claimers in other processes find the job by polling.
 */
const sleepers = new WeakMap<object, Set<() => void>>()

/** Calls `wake` whenever a job is queued on `store` in this process; returns the unsubscribe function. */
export function onQueued(store: object, wake: () => void): () => void {
  let set = sleepers.get(store)
  if (set === undefined) sleepers.set(store, (set = new Set()))
  set.add(wake)
  return () => {
    set.delete(wake)
  }
}

/** Tells this process's waiting claimers of `store` that a job was queued. */
export function notifyQueued(store: object): void {
  for (const wake of sleepers.get(store) ?? []) wake()
}
