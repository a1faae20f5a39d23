import type { EventLogStore, StoreEvent } from './event-ports.js'

export interface EventTailOptions {
  /** How often the log's last sequence is polled, in ms. Default 200. */
  pollMs?: number
  /** Start after this sequence; default the log's last sequence when `start()` runs (new events only). */
  from?: number
  /** Called when a poll fails (the next poll tries again). Default: ignored. */
  onError?: (err: unknown) => void
}

const TAIL_BATCH = 1000

/**
 * Follows an event log from one process and hands every new event, in order, to its listeners:
 * one cheap `lastSequence()` per `pollMs` while nothing happens, then `tail()` reads until caught
 * up. One tail serves any number of listeners (the SSE route's subscribers, a cache's L1), so the
 * store is polled once per process, not once per reader. Its timer does not keep the process alive.
 */
export class EventTail {
  readonly #log: EventLogStore
  readonly #pollMs: number
  readonly #onError: (err: unknown) => void
  readonly #listeners = new Set<(events: readonly StoreEvent[]) => void>()
  #position: number
  #timer: ReturnType<typeof setTimeout> | undefined
  #running: Promise<void> | undefined
  #started = false
  #stopped = false

  constructor(log: EventLogStore, options: EventTailOptions = {}) {
    this.#log = log
    this.#pollMs = options.pollMs ?? 200
    this.#onError = options.onError ?? (() => {})
    this.#position = options.from ?? -1
  }

  /** The sequence of the last event handed out (or the start position). */
  get position(): number {
    return this.#position
  }

  /** Adds a listener of event batches; returns its unsubscribe function. */
  subscribe(listener: (events: readonly StoreEvent[]) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** Learns the start position (when not given) and starts polling. Idempotent. */
  async start(): Promise<void> {
    if (this.#started) return
    this.#started = true
    if (this.#position < 0) this.#position = await this.#log.lastSequence()
    this.#schedule()
  }

  /** One poll now (also what the timer runs); concurrent calls share one round. */
  poll(): Promise<void> {
    this.#running ??= this.#round().finally(() => {
      this.#running = undefined
    })
    return this.#running
  }

  async #round(): Promise<void> {
    try {
      if (this.#position < 0) this.#position = await this.#log.lastSequence()
      if ((await this.#log.lastSequence()) <= this.#position) return
      for (;;) {
        const batch = await this.#log.tail(this.#position, { limit: TAIL_BATCH })
        if (batch.length === 0 || this.#stopped) return
        this.#position = batch[batch.length - 1]!.sequence
        for (const listener of this.#listeners) {
          try {
            listener(batch)
          } catch (err) {
            this.#onError(err)
          }
        }
        if (batch.length < TAIL_BATCH) return
      }
    } catch (err) {
      this.#onError(err)
    }
  }

  #schedule(): void {
    if (this.#stopped) return
    this.#timer = setTimeout(() => {
      void this.poll().finally(() => this.#schedule())
    }, this.#pollMs)
    this.#timer.unref?.()
  }

  /** Stops polling (listeners are kept, no more batches come). Waits for a round in progress. */
  async stop(): Promise<void> {
    this.#stopped = true
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    await this.#running
  }
}
