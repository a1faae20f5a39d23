import { durationStringMs, MAX_TIMER_MS } from '@comp-manager/core/options'
import { UsageError } from './errors.js'

/** A positive integer flag (`--page 2`). */
export function positiveInt(
  value: string | undefined,
  flag: string,
  command: string,
  max?: number,
): number | undefined {
  if (value === undefined) return undefined
  if (!/^\d+$/.test(value) || Number(value) < 1 || (max !== undefined && Number(value) > max)) {
    throw new UsageError(
      `--${flag} must be an integer from 1${max === undefined ? '' : ` to ${max}`} (got "${value}")`,
      command,
    )
  }
  return Number(value)
}

/**
 * A point in time for `--since`/`--until`: an ISO 8601 date or date-time (`2026-01-31`,
 * `2026-01-31T12:00:00Z`), or an age (`30m`, `12h`, `7d`: that long ago). Returns an ISO date-time.
 */
export function timeFlag(
  value: string | undefined,
  flag: string,
  command: string,
  now = Date.now(),
): string | undefined {
  if (value === undefined) return undefined
  const age = durationStringMs(value)
  if (age !== undefined) return new Date(now - age).toISOString()
  if (/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value)) {
    const ms = Date.parse(value)
    if (!Number.isNaN(ms)) return new Date(ms).toISOString()
  }
  throw new UsageError(
    `--${flag} must be an ISO date (2026-01-31, 2026-01-31T12:00:00Z) or an age (30m, 12h, 7d); got "${value}"`,
    command,
  )
}

/**
 * A duration given as text (`--timeout`, `COMP_MANAGER_TIMEOUT_MS`): whole milliseconds (`5000`) or a
 * duration such as `'30s'` or `'2m'` (core's one duration format), from 1 ms to a timer's limit.
 */
export function durationValue(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined
  const ms = /^\d+$/.test(value) ? Number(value) : durationStringMs(value)
  if (ms === undefined || !Number.isInteger(ms) || ms < 1 || ms > MAX_TIMER_MS) {
    throw new UsageError(
      `${name} must be a positive number of milliseconds or a duration such as '30s' (got ${JSON.stringify(value)})`,
    )
  }
  return ms
}

/** `--timeout <duration>`. */
export const timeoutFlag = (value: string | undefined): number | undefined =>
  durationValue(value, '--timeout')

/** One of a fixed set of words. */
export function oneOf<T extends string>(
  value: string | undefined,
  allowed: readonly T[],
  flag: string,
  command: string,
): T | undefined {
  if (value === undefined) return undefined
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`--${flag} must be one of ${allowed.join(', ')} (got "${value}")`, command)
  }
  return value as T
}
