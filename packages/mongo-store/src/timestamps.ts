import { cmError } from '@comp-manager/core'

/** The largest instant a JS Date (and so a BSON Date here) holds: ±8.64e15 ms. */
const MAX_DATE_MS = 8.64e15

/**
 * Epoch ms → Date. BSON Dates hold whole milliseconds up to year 275760: fractions are truncated
 * and later instants clamped to the last representable one (an "infinite" lease stays infinite).
 */
export function toDate(ms: number): Date {
  if (typeof ms !== 'number' || Number.isNaN(ms)) {
    throw cmError('CM_ERR_INVALID_ARGUMENT', 'a timestamp must be a number of epoch milliseconds')
  }
  return new Date(Math.max(-MAX_DATE_MS, Math.min(MAX_DATE_MS, ms)))
}

export function toNullableDate(ms: number | null | undefined): Date | null {
  return ms === null || ms === undefined ? null : toDate(ms)
}

/** Date (or a legacy number) → epoch ms; anything else → null. */
export function toMs(value: unknown): number | null {
  if (value instanceof Date) return value.getTime()
  if (typeof value === 'number' && Number.isFinite(value)) return value
  return null
}
