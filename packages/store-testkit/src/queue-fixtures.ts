import type { ClaimNextInput, Computation, NewJob, QueueStore, Store } from '@comp-manager/core'
import { NS_A, uniqueHash } from './fixtures.js'

/** Input for `queue.enqueue`; every call gets a new hash unless one is given. */
export function jobInput(overrides: Partial<NewJob> = {}): NewJob {
  return {
    namespace: NS_A,
    function: 'resize',
    functionFull: 'images/resize',
    args: { width: 640, source: 'a.png' },
    hash: uniqueHash('job'),
    hashAlgorithm: 'sha256',
    ...overrides,
  }
}

/** Input for `queue.claimNext` by worker `w1` for `resize` in tenant A. */
export function claimNextInput(overrides: Partial<ClaimNextInput> = {}): ClaimNextInput {
  return {
    namespaces: [NS_A],
    functions: ['resize'],
    worker: 'w1',
    pid: 4242,
    host: 'host-1',
    leaseMs: 30_000,
    ...overrides,
  }
}

/** The store's queue port; the queue groups only run on stores that have one. */
export function queueOf(store: Store): QueueStore {
  if (store.queue === undefined) throw new Error('the store has no queue port')
  return store.queue
}

/**
 * Enqueues a job, claims it and ends it `finished` (with `result`, if given). It is enqueued at the
 * top priority so that the claim takes it before any other queued job of the test.
 */
export async function finishedJob(
  store: Store,
  overrides: Partial<NewJob> = {},
  result: Computation['result'] = null,
): Promise<Computation> {
  const queue = queueOf(store)
  const { record } = await queue.enqueue(jobInput({ priority: 1000, ...overrides }))
  const claimed = await queue.claimNext(
    claimNextInput({ namespaces: [record.namespace], functions: [record.function] }),
  )
  if (claimed?.id !== record.id) throw new Error(`finishedJob: claimed ${claimed?.id}, not ${record.id}`)
  return store.computations.update(record.namespace, record.id, 'started', { status: 'finished', result })
}

/** Claims until `claimNext` answers `null`; the ids in claim order. */
export async function drain(queue: QueueStore, input: ClaimNextInput = claimNextInput()): Promise<string[]> {
  const ids: string[] = []
  for (;;) {
    const next = await queue.claimNext(input)
    if (next === null) return ids
    ids.push(next.id)
  }
}
