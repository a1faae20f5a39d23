import { cmError } from '@comp-manager/core'
import { CronExpressionParser } from 'cron-parser'

/** When a schedule fires: a cron expression (5 or 6 fields, evaluated in UTC) or a fixed interval. */
export type Repeat = { cron: string } | { everyMs: number }

export const MIN_EVERY_MS = 1000

/** Throws `CM_ERR_INVALID_ARGUMENT` for a cron expression the parser refuses (or that never fires). */
export function assertCron(expression: string): void {
  try {
    // The parser reads a blank expression as "every minute": refuse it here.
    if (!/\S/.test(expression)) throw new Error('it is blank')
    CronExpressionParser.parse(expression, { tz: 'UTC' }).next()
  } catch (cause) {
    throw cmError(
      'CM_ERR_INVALID_ARGUMENT',
      `@comp-manager/worker schedule(): \`cron\` ${JSON.stringify(expression.slice(0, 100))} is not a valid cron expression: ${(cause as Error).message}`,
      { cause, details: { option: 'cron', package: '@comp-manager/worker' } },
    )
  }
}

/**
 * The first due time strictly after `after` (epoch ms). Missed firings are not replayed: a schedule
 * that was due long ago fires once, then at its next time after now.
 */
export function nextRunAfter(repeat: Repeat, after: number): number {
  if ('everyMs' in repeat) return after + repeat.everyMs
  const parsed = CronExpressionParser.parse(repeat.cron, { currentDate: new Date(after), tz: 'UTC' })
  return parsed.next().getTime()
}
