/**
 * Tokens that verified, by their text: an authenticated request costs a `Map` lookup instead of an HMAC
 * (and instead of fast-jwt's own cache, which hashes the token with SHA-256 on every request to key it).
 * Only tokens that passed every check are kept, so a flood of forged tokens cannot fill it; an entry
 * lives until its token expires or `ttlMs` after it was verified, whichever is first; the oldest entry
 * is dropped when `max` is reached.
 */
export class VerifiedTokenCache<V> {
  readonly #entries = new Map<string, { value: V; until: number }>()

  constructor(
    readonly max: number,
    readonly ttlMs: number,
  ) {}

  /** The value kept for `token`, if it is still valid at `now`. */
  get(token: string, now: number): V | undefined {
    const entry = this.#entries.get(token)
    if (entry === undefined) return undefined
    if (entry.until > now) return entry.value
    this.#entries.delete(token)
    return undefined
  }

  /** Keeps `value` for `token` until `expiresAtMs` (the token's `exp`) or `ttlMs` from `now`. */
  set(token: string, value: V, expiresAtMs: number, now: number): void {
    if (this.max === 0) return
    if (this.#entries.size >= this.max) {
      const oldest = this.#entries.keys().next().value
      if (oldest !== undefined) this.#entries.delete(oldest)
    }
    this.#entries.set(token, { value, until: Math.min(expiresAtMs, now + this.ttlMs) })
  }

  get size(): number {
    return this.#entries.size
  }
}
