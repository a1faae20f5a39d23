/**
 * Workers of this process, by the queue port they claim from: an in-process `submit` wakes them at
 * once instead of waiting for their next poll. Other processes learn of it through `queue.watch` where
 * the store has one (SQLite), else by their adaptive poll.
 */
const sleepers = new WeakMap<object, Set<() => void>>()

export function onSubmit(queue: object, wake: () => void): () => void {
  let set = sleepers.get(queue)
  if (set === undefined) sleepers.set(queue, (set = new Set()))
  set.add(wake)
  return () => set.delete(wake)
}

export function notifySubmit(queue: object): void {
  for (const wake of sleepers.get(queue) ?? []) wake()
}
