/**
 * Recovery of dead workers' jobs for a server without an in-process worker: every `intervalMs`,
 * `store.queue.recoverExpired` marks `lost` the job records whose lease ran out (an HTTP worker that
 * died or lost its network) and queues their next attempt while attempts are left.
 */
import type { QueueStore, RecoveredJob } from '@comp-manager/core'
import { notifyQueued } from '@comp-manager/core/runs'

export interface RecoveryOptions {
  queue: QueueStore
  /** Woken (`notifyQueued`) when a next attempt was queued. */
  store: object
  intervalMs: number
  maxLostRetries: number
  onError: (err: unknown) => void
  /** Called for each job found lost. */
  onLost?: (job: RecoveredJob) => void
}

export class Recovery {
  readonly #o: RecoveryOptions
  #timer: ReturnType<typeof setTimeout> | undefined
  #running: Promise<number> | undefined
  #stopped = false
  lastError: { at: number; message: string } | undefined

  constructor(options: RecoveryOptions) {
    this.#o = options
  }

  start(): this {
    if (this.#o.intervalMs > 0) this.#schedule()
    return this
  }

  /** One pass (at most 10 batches of 100); resolves to the number of jobs found lost. */
  recover(): Promise<number> {
    this.#running ??= this.#pass().finally(() => {
      this.#running = undefined
    })
    return this.#running
  }

  async stop(): Promise<void> {
    this.#stopped = true
    clearTimeout(this.#timer)
    await this.#running?.catch(() => undefined)
  }

  async #pass(): Promise<number> {
    let recovered = 0
    for (let round = 0; round < 10; round++) {
      const batch = await this.#o.queue.recoverExpired({ limit: 100, maxLostRetries: this.#o.maxLostRetries })
      recovered += batch.length
      for (const job of batch) this.#o.onLost?.(job)
      if (batch.some((job) => job.next !== null)) notifyQueued(this.#o.store)
      if (batch.length < 100) break
    }
    return recovered
  }

  #schedule(): void {
    if (this.#stopped) return
    this.#timer = setTimeout(() => {
      this.recover()
        .then(() => {
          this.lastError = undefined
        })
        .catch((err: unknown) => {
          this.lastError = { at: Date.now(), message: err instanceof Error ? err.message : String(err) }
          this.#o.onError(err)
        })
        .finally(() => this.#schedule())
    }, this.#o.intervalMs)
    this.#timer.unref?.()
  }
}
