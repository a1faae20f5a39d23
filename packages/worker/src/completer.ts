import type { CompleteJob, Computation, QueueStore } from '@comp-manager/core'
import { withRetry } from '@comp-manager/core/runs'

/** The most jobs one `queue.complete` call ends (the queue port's bound). */
const MAX_BATCH = 100

interface Pending {
  job: CompleteJob
  resolve: (record: Computation | null) => void
}

/**
 * Group commit of a worker's finished jobs: the jobs that return while a completion is being written
 * (or within the same turn of the event loop) are ended together by the next `queue.complete` call
 * — on SQLite one write transaction for all of them instead of two per job. A job whose batch could
 * not be written (or whose record changed meanwhile) resolves to `null`: its runner then records it
 * the ordinary way, which reports the error or reconciles the change.
 */
export class Completer {
  readonly #queue: QueueStore
  #pending: Pending[] = []
  #flushing = false

  constructor(queue: QueueStore) {
    this.#queue = queue
  }

  complete(job: CompleteJob): Promise<Computation | null> {
    return new Promise((resolve) => {
      this.#pending.push({ job, resolve })
      if (this.#flushing) return
      this.#flushing = true
      setImmediate(() => void this.#flush())
    })
  }

  async #flush(): Promise<void> {
    while (this.#pending.length > 0) {
      const batch = this.#pending.splice(0, MAX_BATCH)
      // A busy store is retried; anything else falls back to the ordinary path, job by job.
      const records = await withRetry(() => this.#queue.complete(batch.map((p) => p.job))).catch(() => [])
      for (const [i, p] of batch.entries()) p.resolve(records[i] ?? null)
    }
    this.#flushing = false
  }
}
