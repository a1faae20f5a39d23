import { isCompManagerError } from '../errors/index.js'

export interface RetryOptions {
  /** Attempts in all (≥ 1). Default 8. */
  attempts?: number
  /** First delay; doubles each time, with jitter. Default 50 ms. */
  baseDelayMs?: number
  /** Longest delay. Default 5 s. */
  maxDelayMs?: number
  /** Which errors are worth another attempt. Default: `CM_ERR_STORE_UNAVAILABLE` only. */
  retryable?: (err: unknown) => boolean
  /** Called before each new attempt (for logging). */
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void
}

export const isTransientStoreError = (err: unknown): boolean =>
  isCompManagerError(err, 'CM_ERR_STORE_UNAVAILABLE')

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Runs `fn` until it succeeds or a non-retryable error occurs, with exponential backoff and jitter.
 * Used for the writes that must not be lost (a run's final status).
 */
export async function withRetry<T>(fn: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attempts = Math.max(1, options.attempts ?? 8)
  const base = options.baseDelayMs ?? 50
  const max = options.maxDelayMs ?? 5000
  const retryable = options.retryable ?? isTransientStoreError
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn()
    } catch (err) {
      if (attempt >= attempts || !retryable(err)) throw err
      const delay = Math.min(max, base * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2)
      options.onRetry?.(err, attempt, delay)
      await sleep(delay)
    }
  }
}
