/** Exponential backoff: `baseMs · 2^(attempt-1)`, at most `maxMs`, minus up to `jitter` of it (random). */
export interface RetryPolicy {
  baseMs: number
  maxMs: number
  /** 0..1: the share of the delay drawn at random (spreads the retries of many subscriptions). */
  jitter: number
}

export function retryDelay(policy: RetryPolicy, attempt: number): number {
  const exp = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(40, Math.max(0, attempt - 1)))
  return Math.round(exp * (1 - policy.jitter * Math.random()))
}
