import t from 'tap'
import { assertCron, nextRunAfter } from '../src/schedule.js'

const at = (iso: string) => Date.parse(iso)

t.test('cron: the next due time strictly after the given instant, in UTC', async (t) => {
  t.equal(nextRunAfter({ cron: '*/5 * * * *' }, at('2026-01-01T10:02:00Z')), at('2026-01-01T10:05:00Z'))
  t.equal(nextRunAfter({ cron: '*/5 * * * *' }, at('2026-01-01T10:05:00Z')), at('2026-01-01T10:10:00Z'))
  t.equal(
    nextRunAfter({ cron: '0 3 * * 1' }, at('2026-01-01T00:00:00Z')),
    at('2026-01-05T03:00:00Z'),
    'Monday 03:00',
  )
  t.equal(
    nextRunAfter({ cron: '*/10 * * * * *' }, at('2026-01-01T00:00:01Z')),
    at('2026-01-01T00:00:10Z'),
    'seconds field',
  )
})

t.test('cron in a time zone: wall-clock times of that zone, across its offset changes', async (t) => {
  const paris = { cron: '0 3 * * *', tz: 'Europe/Paris' }
  t.equal(nextRunAfter(paris, at('2026-03-28T12:00:00Z')), at('2026-03-29T01:00:00Z'), 'CEST: 01:00Z')
  t.equal(nextRunAfter(paris, at('2026-03-27T12:00:00Z')), at('2026-03-28T02:00:00Z'), 'CET: 02:00Z')
  t.equal(
    nextRunAfter({ cron: '0 3 * * *', tz: null }, at('2026-03-28T12:00:00Z')),
    at('2026-03-29T03:00:00Z'),
    'tz null: UTC',
  )
})

t.test('an unknown time zone is CM_ERR_INVALID_ARGUMENT naming `tz`', async (t) => {
  for (const bad of ['Mars/Olympus', 'Europe/Pariss', 'GMT+25', ' ']) {
    t.throws(
      () => assertCron('0 3 * * *', bad),
      { code: 'CM_ERR_INVALID_ARGUMENT', details: { option: 'tz' } },
      bad,
    )
  }
  t.doesNotThrow(() => assertCron('0 3 * * *', 'America/New_York'))
  t.doesNotThrow(() => assertCron('0 3 * * *', 'UTC'))
})

t.test('every: a fixed interval from the given instant', async (t) => {
  t.equal(nextRunAfter({ everyMs: 60_000 }, 1_000_000), 1_060_000)
})

t.test('invalid cron expressions are CM_ERR_INVALID_ARGUMENT naming the option', async (t) => {
  for (const bad of ['61 * * * *', 'nonsense', '* * * *  * * *', '0 0 31 2 *', '']) {
    t.throws(() => assertCron(bad), { code: 'CM_ERR_INVALID_ARGUMENT', details: { option: 'cron' } }, bad)
  }
  t.doesNotThrow(() => assertCron('0 */2 * * *'))
})
