/**
 * The idle wait of the claim loop: after a claim that found nothing the worker waits `minMs`, then
 * ×2 each empty claim up to `maxMs`; a claim that found work resets it. `wake()` ends the current wait
 * at once (an in-process submit, a slot freed). Its timer is not unref'd: a started worker keeps its
 * process alive, like a server, until `drain()`/`close()` ends the claim loop.
 */
export class IdleWait {
  readonly #minMs: number
  readonly #maxMs: number
  #currentMs: number
  #timer: ReturnType<typeof setTimeout> | undefined
  #resolve: (() => void) | undefined
  #woken = false

  constructor(minMs: number, maxMs: number) {
    this.#minMs = minMs
    this.#maxMs = Math.max(minMs, maxMs)
    this.#currentMs = minMs
  }

  /** The wait the next `sleep()` will do. */
  get nextMs(): number {
    return this.#currentMs
  }

  /** Work was found: the next idle wait starts short again. */
  reset(): void {
    this.#currentMs = this.#minMs
  }

  /** Waits the current interval (or until `wake()`), then doubles it for the next time. */
  sleep(): Promise<void> {
    if (this.#woken) {
      this.#woken = false
      this.reset()
      return Promise.resolve()
    }
    const ms = this.#currentMs
    this.#currentMs = Math.min(this.#maxMs, this.#currentMs * 2)
    return new Promise<void>((resolve) => {
      this.#resolve = resolve
      this.#timer = setTimeout(() => this.#finish(), ms)
    })
  }

  /** Ends the current wait now (or the next one, if none is in progress) and resets the interval. */
  wake(): void {
    this.reset()
    if (this.#resolve === undefined) this.#woken = true
    else this.#finish()
  }

  #finish(): void {
    clearTimeout(this.#timer)
    const resolve = this.#resolve
    this.#resolve = undefined
    resolve?.()
  }
}
