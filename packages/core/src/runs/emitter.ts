/**
 * The event API of every comp-manager library (tracker, cache, worker): `on(event, listener)` returns
 * a function that removes the listener; `once` likewise; `off` removes it too. Unlike Node's
 * `EventEmitter`, an `error` event without a listener does not throw, and a listener that throws is
 * reported to `onListenerError`, never allowed to break the operation that emitted the event.
 */
export class Emitter<Events extends object> {
  readonly #listeners = new Map<keyof Events, Set<(payload: never) => void>>()
  readonly #onListenerError: (error: unknown, event: keyof Events) => void

  constructor(onListenerError: (error: unknown, event: keyof Events) => void) {
    this.#onListenerError = onListenerError
  }

  on<E extends keyof Events>(event: E, listener: (payload: Events[E]) => void): () => void {
    let set = this.#listeners.get(event)
    if (set === undefined) this.#listeners.set(event, (set = new Set()))
    set.add(listener as (payload: never) => void)
    return () => this.off(event, listener)
  }

  once<E extends keyof Events>(event: E, listener: (payload: Events[E]) => void): () => void {
    const off = this.on(event, (payload) => {
      off()
      listener(payload)
    })
    return off
  }

  off<E extends keyof Events>(event: E, listener: (payload: Events[E]) => void): void {
    this.#listeners.get(event)?.delete(listener as (payload: never) => void)
  }

  /** True when `event` has a listener (skip building a payload nobody reads). */
  has(event: keyof Events): boolean {
    return (this.#listeners.get(event)?.size ?? 0) > 0
  }

  emit<E extends keyof Events>(event: E, payload: Events[E]): void {
    const set = this.#listeners.get(event)
    if (set === undefined || set.size === 0) return
    for (const listener of [...set]) {
      try {
        ;(listener as (payload: Events[E]) => void)(payload)
      } catch (err) {
        this.#onListenerError(err, event)
      }
    }
  }
}
