import { cmError } from '@comp-manager/core'
import { CronExpressionParser } from 'cron-parser'

/**
 * When a schedule fires: a cron expression (5 or 6 fields) read in the IANA time zone `tz` (default
 * UTC), or a fixed interval.
 */
export type Repeat = { cron: string; tz?: string | null } | { everyMs: number }

export const MIN_EVERY_MS = 1000

const details = (option: string) => ({ option, package: '@comp-manager/worker' })

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz })
    return true
  } catch {
    return false
  }
}

/** Throws `CM_ERR_INVALID_ARGUMENT` (`details.option: 'tz'`) for a name the time zone database does not know. */
export function assertTimeZone(tz: string): void {
  if (isTimeZone(tz)) return
  throw cmError(
    'CM_ERR_INVALID_ARGUMENT',
    `@comp-manager/worker schedule(): \`tz\` ${JSON.stringify(tz.slice(0, 100))} is not an IANA time zone (e.g. 'Europe/Paris', 'America/New_York', 'UTC')`,
    { details: details('tz') },
  )
}

/**
 * Throws `CM_ERR_INVALID_ARGUMENT` for a cron expression the parser refuses (or that never fires),
 * or an unknown time zone.
 */
export function assertCron(expression: string, tz: string | null = null): void {
  if (tz !== null) assertTimeZone(tz)
  try {
    // The parser reads a blank expression as "every minute": refuse it here.
    if (!/\S/.test(expression)) throw new Error('it is blank')
    CronExpressionParser.parse(expression, { tz: tz ?? 'UTC' }).next()
  } catch (cause) {
    throw cmError(
      'CM_ERR_INVALID_ARGUMENT',
      `@comp-manager/worker schedule(): \`cron\` ${JSON.stringify(expression.slice(0, 100))} is not a valid cron expression: ${(cause as Error).message}`,
      { cause, details: details('cron') },
    )
  }
}

/**
 * The first due time strictly after `after` (epoch ms). Missed firings are not replayed: a schedule
 * that was due long ago fires once, then at its next time after now. A cron schedule is read as
 * wall-clock times in its `tz`, with cron-parser's rules across daylight-saving changes (see the
 * README: a time skipped by spring-forward fires once in the hour after the gap; a time repeated by
 * fall-back fires once).
 */
export function nextRunAfter(repeat: Repeat, after: number): number {
  if ('everyMs' in repeat) return after + repeat.everyMs
  const parsed = CronExpressionParser.parse(repeat.cron, {
    currentDate: new Date(after),
    tz: repeat.tz ?? 'UTC',
  })
  return parsed.next().getTime()
}
