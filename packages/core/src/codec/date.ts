// Date ⇄ ISO text without Date.prototype.toISOString / the Date string parser, which cost a microsecond
// or more per call on Node 20. The output is exactly toISOString's (tests compare them over the whole
// Date range); parsing falls back to `new Date(text)` for anything that is not in that exact form.

const TWO_DIGITS: string[] = Array.from({ length: 100 }, (_, i) => (i < 10 ? '0' + i : '' + i))
const MS_PER_DAY = 86_400_000

function pad3(n: number): string {
  return n < 10 ? '00' + n : n < 100 ? '0' + n : '' + n
}

function yearText(y: number): string {
  if (y >= 0 && y <= 9999) return TWO_DIGITS[(y / 100) | 0]! + TWO_DIGITS[y % 100]!
  const abs = y < 0 ? -y : y
  return (y < 0 ? '-' : '+') + ('00000' + abs).slice(-6)
}

/** `new Date(time).toISOString()` for a finite time value (ms since the epoch, |time| ≤ 8.64e15). */
export function isoString(time: number): string {
  const days = Math.floor(time / MS_PER_DAY)
  let ms = time - days * MS_PER_DAY
  const hours = (ms / 3_600_000) | 0
  ms -= hours * 3_600_000
  const minutes = (ms / 60_000) | 0
  ms -= minutes * 60_000
  const seconds = (ms / 1000) | 0
  ms -= seconds * 1000
  // Civil date from days since 1970-01-01 (H. Hinnant's algorithm; proleptic Gregorian, year 0 exists).
  const z = days + 719_468
  const era = Math.floor(z / 146_097)
  const doe = z - era * 146_097
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  )
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100))
  const mp = Math.floor((5 * doy + 2) / 153)
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1
  const month = mp < 10 ? mp + 3 : mp - 9
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0)
  return (
    yearText(year) +
    '-' +
    TWO_DIGITS[month]! +
    '-' +
    TWO_DIGITS[day]! +
    'T' +
    TWO_DIGITS[hours]! +
    ':' +
    TWO_DIGITS[minutes]! +
    ':' +
    TWO_DIGITS[seconds]! +
    '.' +
    pad3(ms) +
    'Z'
  )
}

function digits(s: string, from: number, count: number): number {
  let n = 0
  for (let i = from; i < from + count; i++) {
    const d = s.charCodeAt(i) - 48
    if (d < 0 || d > 9) return -1
    n = n * 10 + d
  }
  return n
}

/**
 * Parses a date text as `new Date(text)` does. The exact `YYYY-MM-DDTHH:mm:ss.sssZ` form (what the codec
 * writes) is read directly and accepted only when it is the canonical spelling of the time it names;
 * every other text goes to the engine's parser.
 */
export function parseDate(text: string): Date {
  if (
    text.length === 24 &&
    text.charCodeAt(4) === 45 && // -
    text.charCodeAt(7) === 45 &&
    text.charCodeAt(10) === 84 && // T
    text.charCodeAt(13) === 58 && // :
    text.charCodeAt(16) === 58 &&
    text.charCodeAt(19) === 46 && // .
    text.charCodeAt(23) === 90 // Z
  ) {
    const y = digits(text, 0, 4)
    const mo = digits(text, 5, 2)
    const d = digits(text, 8, 2)
    const h = digits(text, 11, 2)
    const mi = digits(text, 14, 2)
    const s = digits(text, 17, 2)
    const ms = digits(text, 20, 3)
    if (y >= 0 && mo >= 1 && d >= 0 && h >= 0 && mi >= 0 && s >= 0 && ms >= 0) {
      const date = new Date(0)
      // setUTCFullYear, not Date.UTC: Date.UTC maps years 0-99 to 1900-1999.
      const time = date.setUTCFullYear(y, mo - 1, d) + h * 3_600_000 + mi * 60_000 + s * 1000 + ms
      if (isoString(time) === text) {
        date.setTime(time)
        return date
      }
    }
  }
  return new Date(text)
}
