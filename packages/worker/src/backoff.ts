/** A resolved backoff policy (durations in milliseconds). */
export interface Backoff {
  type: 'exponential' | 'fixed'
  delayMs: number
  maxDelayMs: number
  jitter: number
}

export const defaultBackoff: Backoff = {
  type: 'exponential',
  delayMs: 1000,
  maxDelayMs: 3_600_000,
  jitter: 0.5,
}

/**
 * The delay before attempt `failedAttempt + 1`: `delayMs × 2^(failedAttempt - 1)` (or `delayMs` when
 * fixed), capped at `maxDelayMs`, then reduced by up to `jitter` of itself at random ("equal jitter":
 * never more than the nominal delay, never less than `1 - jitter` of it).
 */
export function backoffDelay(
  backoff: Backoff,
  failedAttempt: number,
  random: () => number = Math.random,
): number {
  const exponent = backoff.type === 'fixed' ? 0 : Math.max(0, failedAttempt - 1)
  // 2^exponent overflows to Infinity long after the cap applies; Math.min keeps it finite.
  const nominal = Math.min(backoff.maxDelayMs, backoff.delayMs * 2 ** Math.min(exponent, 1024))
  return Math.round(nominal * (1 - backoff.jitter * random()))
}
