import { MemoryStore } from '@comp-manager/core'
import t, { type Test } from 'tap'
import { createQueue } from '../src/index.js'
import { codeOf, fakeClock, startWorker, until } from './fixtures/helpers.js'

// Cron schedules in a time zone across daylight-saving changes, on a fake clock shared by the store,
// the queue and the worker: each due time is reached by moving the clock, then fired by the worker.
const setup = async (t: Test, startIso: string) => {
  const clock = fakeClock(Date.parse(startIso))
  const store = new MemoryStore({ clock: clock.now })
  t.teardown(() => store.close())
  const queue = createQueue({ store, namespace: 'w', clock: clock.now })
  const fired: string[] = []
  const worker = await startWorker(t, store, {
    clock: clock.now,
    scheduleIntervalMs: false,
    functions: { job: () => void fired.push(new Date(clock.now()).toISOString()) },
  })
  let finished = 0
  worker.on('finished', () => void finished++)
  /**
   * Moves the clock to the schedule's next due time, fires it, waits for the run to finish (not only
   * to start: a firing while the previous run is still being completed would join it); returns that time.
   */
  const fireNext = async (name: string): Promise<string> => {
    const due = (await queue.schedules()).find((s) => s.name === name)?.nextRunAt as number
    clock.advance(due - clock.now())
    const count = fired.length
    const done = finished
    t.equal(await worker.fireSchedules(), 1, `fired at ${new Date(due).toISOString()}`)
    await until(() => fired.length > count && finished > done, 'the scheduled run')
    return new Date(due).toISOString()
  }
  return { queue, fireNext, fired }
}

const firings = async (fireNext: (name: string) => Promise<string>, name: string, n: number) => {
  const out: string[] = []
  for (let i = 0; i < n; i++) out.push(await fireNext(name))
  return out
}

t.test(
  'spring forward (America/New_York, 2026-03-08): a skipped time fires once, after the gap',
  async (t) => {
    const { queue, fireNext } = await setup(t, '2026-03-06T12:00:00Z')
    const daily = await queue.schedule('daily', 'job', [], { cron: '30 2 * * *', tz: 'America/New_York' })
    t.equal(daily.tz, 'America/New_York', 'the time zone is stored')
    t.same(await firings(fireNext, 'daily', 3), [
      '2026-03-07T07:30:00.000Z', // 02:30 EST
      '2026-03-08T07:30:00.000Z', // 02:30 does not exist that day: 03:30 EDT, once
      '2026-03-09T06:30:00.000Z', // 02:30 EDT
    ])
  },
)

t.test('spring forward: an hourly schedule skips the hour that does not exist', async (t) => {
  const { queue, fireNext } = await setup(t, '2026-03-08T05:30:00Z') // 00:30 EST
  await queue.schedule('hourly', 'job', [], { cron: '0 * * * *', tz: 'America/New_York' })
  t.same(await firings(fireNext, 'hourly', 3), [
    '2026-03-08T06:00:00.000Z', // 01:00 EST
    '2026-03-08T07:00:00.000Z', // 03:00 EDT (02:00 skipped)
    '2026-03-08T08:00:00.000Z', // 04:00 EDT
  ])
})

t.test('fall back (America/New_York, 2026-11-01): a repeated time fires once', async (t) => {
  const { queue, fireNext } = await setup(t, '2026-10-31T12:00:00Z')
  await queue.schedule('daily', 'job', [], { cron: '30 1 * * *', tz: 'America/New_York' })
  t.same(await firings(fireNext, 'daily', 3), [
    '2026-11-01T05:30:00.000Z', // 01:30 EDT; 01:30 EST an hour later does not fire again
    '2026-11-02T06:30:00.000Z', // 01:30 EST
    '2026-11-03T06:30:00.000Z',
  ])
})

t.test('fall back: an hourly schedule fires in each real hour, the repeated one included', async (t) => {
  const { queue, fireNext } = await setup(t, '2026-11-01T04:30:00Z') // 00:30 EDT
  await queue.schedule('hourly', 'job', [], { cron: '0 * * * *', tz: 'America/New_York' })
  t.same(await firings(fireNext, 'hourly', 3), [
    '2026-11-01T05:00:00.000Z', // 01:00 EDT
    '2026-11-01T06:00:00.000Z', // 01:00 EST
    '2026-11-01T07:00:00.000Z', // 02:00 EST
  ])
})

t.test('Europe/Paris: 03:00 local follows the offset change, UTC would not', async (t) => {
  const { queue, fireNext } = await setup(t, '2026-03-28T12:00:00Z')
  const utc = await queue.schedule('utc', 'job', ['utc'], { cron: '0 3 * * *' })
  t.equal(utc.tz, null, 'no tz: UTC')
  t.equal(utc.nextRunAt, Date.parse('2026-03-29T03:00:00Z'))
  await queue.unschedule('utc')
  await queue.schedule('paris', 'job', [], { cron: '0 3 * * *', tz: 'Europe/Paris' })
  t.same(await firings(fireNext, 'paris', 2), ['2026-03-29T01:00:00.000Z', '2026-03-30T01:00:00.000Z'])
})

t.test('an invalid tz or cron is refused with its code and writes nothing', async (t) => {
  const { queue } = await setup(t, '2026-03-28T12:00:00Z')
  const bad = queue.schedule('bad', 'job', [], { cron: '0 3 * * *', tz: 'Europe/Atlantis' })
  t.equal(await codeOf(bad), 'CM_ERR_INVALID_ARGUMENT')
  await t.rejects(queue.schedule('bad', 'job', [], { cron: '0 3 * * *', tz: 'Europe/Atlantis' }), {
    details: { option: 'tz' },
    message: /Europe\/Atlantis.*not an IANA time zone/,
  })
  await t.rejects(queue.schedule('bad', 'job', [], { cron: '0 25 * * *', tz: 'Europe/Paris' }), {
    code: 'CM_ERR_INVALID_ARGUMENT',
    details: { option: 'cron' },
  })
  t.same(await queue.schedules(), [], 'nothing written')
})
