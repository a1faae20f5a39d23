import { cmError, describeType } from '../errors/index.js'

/** The units a duration string may use. */
export type DurationUnit = 'ms' | 's' | 'm' | 'h' | 'd' | 'w'

/**
 * A length of time, the one format of every comp-manager option and setting: milliseconds as a
 * number, or a string such as `'250ms'`, `'30s'`, `'15m'`, `'1h'`, `'2d'`, `'1w'` or `'1.5h'` (one
 * number, one unit, nothing else).
 */
export type Duration = number | `${number}${DurationUnit}`

const unitMs: Readonly<Record<DurationUnit, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
}

/** Digits with an optional fraction, then a unit. No sign, no exponent, no spaces, no compound forms. */
export const DURATION_PATTERN = '^(\\d+(?:\\.\\d+)?)(ms|s|m|h|d|w)$'
const DURATION = new RegExp(DURATION_PATTERN)

/** Longest duration accepted: 100 years, far below the point where `now + ttl` loses precision. */
export const MAX_DURATION_MS = 100 * 365 * 86_400_000

/** Longest delay a timer takes (`setTimeout` fires at once beyond it). */
export const MAX_TIMER_MS = 2 ** 31 - 1

/** Milliseconds of a duration string (`'1.5h'` → 5 400 000), or `undefined` when it is not one. */
export function durationStringMs(text: string): number | undefined {
  const match = DURATION.exec(text)
  return match === null ? undefined : Number(match[1]) * unitMs[match[2] as DurationUnit]
}

/**
 * Parses a duration strictly (see {@link Duration}) into milliseconds. Anything else — a negative,
 * zero (unless `allowZero`), `NaN`, `Infinity`, `'1 h'`, `'1hour'`, `'-5s'`, `'1e3ms'`, `'10'` — is a
 * `CM_ERR_INVALID_ARGUMENT` that names `option`.
 */
export function parseDuration(value: unknown, option: string, allowZero = false): number {
  let ms: number
  if (typeof value === 'number') {
    ms = value
  } else if (typeof value === 'string') {
    const parsed = durationStringMs(value)
    if (parsed === undefined) {
      throw cmError(
        'CM_ERR_INVALID_ARGUMENT',
        `\`${option}\` must be milliseconds or a duration like '500ms', '30s', '15m', '1h', '2d' or '1w' (got ${JSON.stringify(value)})`,
        { details: { option, value } },
      )
    }
    ms = parsed
  } else {
    throw cmError(
      'CM_ERR_INVALID_ARGUMENT',
      `\`${option}\` must be a number of milliseconds or a duration string, got ${describeType(value)}`,
      { details: { option } },
    )
  }
  if (!Number.isFinite(ms) || ms < 0 || (ms === 0 && !allowZero) || ms > MAX_DURATION_MS) {
    throw cmError(
      'CM_ERR_INVALID_ARGUMENT',
      `\`${option}\` must be ${allowZero ? 'at least 0' : 'greater than 0'} and at most 100 years (got ${String(value)})`,
      { details: { option, value: typeof value === 'number' ? value : String(value) } },
    )
  }
  return ms
}
