import type { Computation } from '../domain/schemas.js'
import { cmError, isCompManagerError } from '../errors/index.js'
import type { ComputationPatch, ComputationStore } from '../store/ports.js'

/**
 * The one compare-and-set policy of the run lifecycle: how many times a read-decide-write of a run
 * is tried, in all, before its `CM_ERR_CONFLICT` (the record kept changing under it) is thrown.
 */
export const CAS_ATTEMPTS = 4

/**
 * What a compare-and-set step decides, given the record as it is now: the patch to apply (checked
 * against that record's status by the store), or `null` for "nothing to change" (the record is
 * returned as it is). It may throw, e.g. `assertTransition` for a change the state machine refuses.
 */
export type Decide = (current: Computation) => ComputationPatch | null

export interface CompareAndSetOptions {
  /** The record as the caller last read it (saves a read); re-read when it turns out to be stale. */
  current?: Computation | null
  /** Attempts in all; default {@link CAS_ATTEMPTS}. */
  attempts?: number
}

/**
 * Reads the run, decides, and writes the patch only if the run's status is still the one decided on
 * (`store.update`'s compare-and-set); when another writer got there first, reads again and decides
 * again. `CM_ERR_NOT_FOUND` when the run is absent (or deleted meanwhile).
 */
export async function compareAndSet(
  store: ComputationStore,
  namespace: string,
  id: string,
  decide: Decide,
  options: CompareAndSetOptions = {},
): Promise<Computation> {
  const attempts = options.attempts ?? CAS_ATTEMPTS
  let current = options.current ?? (await store.get(namespace, id))
  for (let attempt = 1; ; attempt++) {
    if (current === null) {
      throw cmError('CM_ERR_NOT_FOUND', `computation ${id} not found in namespace ${namespace}`, {
        details: { id },
      })
    }
    const patch = decide(current)
    if (patch === null) return current
    try {
      return await store.update(namespace, id, current.status, patch)
    } catch (err) {
      if (!isCompManagerError(err, 'CM_ERR_CONFLICT') || attempt >= attempts) throw err
      current = await store.get(namespace, id)
    }
  }
}
