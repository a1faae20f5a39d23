import type { CacheEventName, CacheEvents } from './types.js'

type Listener<E extends CacheEventName> = (payload: CacheEvents[E]) => void

/**
 * A small typed emitter, the same shape as the tracker's: `on` and `once` return a function that
 * removes the listener. Unlike `node:events`, an `error` event without a listener does not throw (a
 * cache must not crash its host over a failed background write), and a listener that throws is
 * reported to `onListenerError` instead of breaking the call that emitted.
 */
export class CacheEmitter {
  readonly #listeners = new Map<CacheEventName, Set<Listener<never>>>()
  readonly #onListenerError: (err: unknown, event: CacheEventName) => void

  constructor(onListenerError: (err: unknown, event: CacheEventName) => void) {
    this.#onListenerError = onListenerError
  }

  on<E extends CacheEventName>(event: E, listener: Listener<E>): () => void {
    let set = this.#listeners.get(event)
    if (set === undefined) this.#listeners.set(event, (set = new Set()))
    set.add(listener as Listener<never>)
    return () => this.off(event, listener)
  }

  off<E extends CacheEventName>(event: E, listener: Listener<E>): void {
    const set = this.#listeners.get(event)
    set?.delete(listener as Listener<never>)
    if (set?.size === 0) this.#listeners.delete(event)
  }

  once<E extends CacheEventName>(event: E, listener: Listener<E>): () => void {
    const wrapper: Listener<E> = (payload) => {
      this.off(event, wrapper)
      listener(payload)
    }
    return this.on(event, wrapper)
  }

  /** True when someone listens (lets hot paths skip building a payload). */
  has(event: CacheEventName): boolean {
    return this.#listeners.has(event)
  }

  emit<E extends CacheEventName>(event: E, payload: CacheEvents[E]): void {
    const set = this.#listeners.get(event)
    if (set === undefined) return
    for (const listener of [...set]) {
      try {
        ;(listener as Listener<E>)(payload)
      } catch (err) {
        this.#onListenerError(err, event)
      }
    }
  }
}
