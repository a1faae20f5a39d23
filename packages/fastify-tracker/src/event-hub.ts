import type { EventLogStore, StoreEvent } from '@comp-manager/core'
import { EventTail } from '@comp-manager/core'
import type { Tracker, TrackerEventName } from '@comp-manager/tracker'

/** Tracker events after which the log has news: the hub polls at once instead of at the next tick. */
const WAKE_EVENTS: readonly TrackerEventName[] = [
  'started',
  'paused',
  'resumed',
  'finished',
  'failed',
  'lost',
]

/**
 * One {@link EventTail} per plugin instance, shared by every open `GET /events` stream: the store is
 * polled once per `pollMs` whatever the number of readers, and each batch is fanned out in memory.
 * Started by the first stream, stopped when the server closes.
 */
export class EventHub {
  readonly log: EventLogStore
  readonly #tail: EventTail
  readonly #tracker: Tracker
  readonly #unsubscribe: Array<() => void> = []
  #starting: Promise<void> | undefined

  constructor(log: EventLogStore, tracker: Tracker, pollMs: number, onError: (err: unknown) => void) {
    this.log = log
    this.#tracker = tracker
    this.#tail = new EventTail(log, { pollMs, onError })
  }

  /** The sequence up to which the hub has handed events out. */
  get position(): number {
    return this.#tail.position
  }

  start(): Promise<void> {
    this.#starting ??= (async () => {
      for (const event of WAKE_EVENTS)
        this.#unsubscribe.push(this.#tracker.on(event, () => void this.#tail.poll()))
      await this.#tail.start()
    })()
    return this.#starting
  }

  subscribe(listener: (events: readonly StoreEvent[]) => void): () => void {
    return this.#tail.subscribe(listener)
  }

  async close(): Promise<void> {
    for (const off of this.#unsubscribe.splice(0)) off()
    await this.#tail.stop()
  }
}
