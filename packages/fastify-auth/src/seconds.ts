/**
 * Token lifetimes and clock skew are counted in seconds, the unit of JWT claims: a number of seconds,
 * or a duration string in comp-manager's one format (`'30s'`, `'15m'`, `'2h'`, `'1d'`, `'1w'`).
 */
import { DURATION_PATTERN, durationStringMs, MAX_DURATION_MS } from '@comp-manager/core/options'
import { type TSchemaOptions, Type } from 'typebox'

/** Longest lifetime accepted, in seconds (core's longest duration). */
export const MAX_SECONDS = MAX_DURATION_MS / 1000

/** Seconds of a number of seconds or a duration string; `NaN` for anything else. */
function toSeconds(value: unknown): number {
  if (typeof value === 'number') return value
  if (typeof value !== 'string') return Number.NaN
  const ms = durationStringMs(value)
  return ms === undefined ? Number.NaN : ms / 1000
}

/** The seconds of `value` when it is within `[min, max]`, else `undefined`. */
export function secondsOf(value: unknown, min: number, max = MAX_SECONDS): number | undefined {
  const seconds = toSeconds(value)
  return Number.isFinite(seconds) && seconds >= min && seconds <= max ? seconds : undefined
}

/** An option in seconds (`expected` words it for messages), decoded to seconds. */
export function SecondsSchema(min: number, max: number, expected: string) {
  const base = Type.Union([Type.Number(), Type.String({ pattern: DURATION_PATTERN })], {
    expected,
  } as TSchemaOptions)
  return Type.Decode(
    Type.Refine(
      base,
      (value) => secondsOf(value, min, max) !== undefined,
      () => `must be ${expected}`,
    ),
    toSeconds,
  )
}
