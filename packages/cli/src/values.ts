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

const units: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }

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
  const age = /^(\d+)([smhdw])$/.exec(value)
  if (age) return new Date(now - Number(age[1]) * units[age[2]!]!).toISOString()
  if (/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value)) {
    const ms = Date.parse(value)
    if (!Number.isNaN(ms)) return new Date(ms).toISOString()
  }
  throw new UsageError(
    `--${flag} must be an ISO date (2026-01-31, 2026-01-31T12:00:00Z) or an age (30m, 12h, 7d); got "${value}"`,
    command,
  )
}

/** `--timeout <ms>`. */
export function timeoutFlag(value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  if (!/^\d+$/.test(value) || Number(value) < 1) {
    throw new UsageError(`--timeout must be a positive number of milliseconds (got "${value}")`)
  }
  return Number(value)
}

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
