import type { TrackerLogger } from './options.js'
import type { TrackerEventName, TrackerEvents, TrackerListener } from './types.js'

/**
 * A small typed emitter. Unlike Node's `EventEmitter`, an `error` event without a listener does not
 * throw (the tracker logs every error anyway), and a listener that throws is logged, never allowed
 * to break the run that emitted the event.
 */
export class TrackerEmitter {
  readonly #listeners = new Map<TrackerEventName, Set<(payload: never) => void>>()
  readonly #logger: TrackerLogger

  constructor(logger: TrackerLogger) {
    this.#logger = logger
  }

  on<E extends TrackerEventName>(event: E, listener: TrackerListener<E>): () => void {
    let set = this.#listeners.get(event)
    if (set === undefined) this.#listeners.set(event, (set = new Set()))
    set.add(listener as (payload: never) => void)
    return () => this.off(event, listener)
  }

  off<E extends TrackerEventName>(event: E, listener: TrackerListener<E>): void {
    this.#listeners.get(event)?.delete(listener as (payload: never) => void)
  }

  has(event: TrackerEventName): boolean {
    return (this.#listeners.get(event)?.size ?? 0) > 0
  }

  emit<E extends TrackerEventName>(event: E, payload: TrackerEvents[E]): void {
    const set = this.#listeners.get(event)
    if (set === undefined) return
    for (const listener of [...set]) {
      try {
        ;(listener as TrackerListener<E>)(payload)
      } catch (err) {
        this.#logger.error({ err, event }, `a listener of '${event}' threw`)
      }
    }
  }
}
