import { MemoryStore } from '@comp-manager/core'
import t, { type Test } from 'tap'
import { createQueue } from '../src/index.js'
import { fakeClock, sleep, startWorker, until } from './fixtures/helpers.js'

// A fake clock shared by the store and the workers: run-at times and due schedules without waiting.
const setup = (t: Test) => {
  const clock = fakeClock()
  const store = new MemoryStore({ clock: clock.now })
  t.teardown(() => store.close())
  const queue = createQueue({ store, namespace: 'w', clock: clock.now })
  return { clock, store, queue }
}

t.test('a delayed job is not claimed before its run-at time', async (t) => {
  const { clock, store, queue } = setup(t)
  const ran: number[] = []
  const worker = await startWorker(t, store, {
    clock: clock.now,
    functions: { tick: (n: number) => ran.push(n) },
  })
  const later = await queue.submit('tick', [1], { delay: '1m' })
  t.equal(later.record.runAt, clock.now() + 60_000)
  const at = await queue.submit('tick', [2], { runAt: new Date(clock.now() + 120_000) })
  await sleep(150)
  t.same(ran, [], 'nothing ran before its time')
  clock.advance(60_000)
  await until(() => ran.length === 1, 'the 1 min job')
  t.same(ran, [1])
  clock.advance(60_000)
  t.equal(await at.result(), 2, 'runAt as a Date (push returned the new length)')
  t.same(ran, [1, 2])
  t.same(worker.running, [])
})

t.test('a schedule fires once per due time across 4 workers', async (t) => {
  const { clock, store, queue } = setup(t)
  let fired = 0
  const workers = []
  for (let i = 0; i < 4; i++) {
    workers.push(
      await startWorker(t, store, {
        clock: clock.now,
        scheduleIntervalMs: false,
        functions: { report: () => ++fired },
      }),
    )
  }
  const schedule = await queue.schedule('every-minute', 'report', [], { every: '1m' })
  t.equal(schedule.nextRunAt, clock.now() + 60_000)
  t.same(await Promise.all(workers.map((w) => w.fireSchedules())), [0, 0, 0, 0], 'not due yet')
  clock.advance(60_000)
  const counts = await Promise.all(workers.map((w) => w.fireSchedules()))
  t.equal(
    counts.reduce((a, b) => a + b, 0),
    1,
    'exactly one of the 4 workers fired it',
  )
  await until(() => fired === 1, 'the scheduled job to run')
  t.equal((await queue.schedules())[0]?.nextRunAt, clock.now() + 60_000, 'next due time moved on')
  clock.advance(10 * 60_000)
  const late = await Promise.all(workers.map((w) => w.fireSchedules()))
  t.equal(
    late.reduce((a, b) => a + b, 0),
    1,
    'missed due times are not replayed: one firing',
  )
  await until(() => fired === 2, 'the second firing to run (a finished call runs again)')
  t.ok(await queue.unschedule('every-minute'))
  t.same(await queue.schedules(), [])
})

t.test('a cron schedule fires at its cron times', async (t) => {
  const { clock, store, queue } = setup(t)
  const start = Date.parse('2027-01-01T00:00:30Z')
  clock.advance(start - clock.now())
  let fired = 0
  const worker = await startWorker(t, store, {
    clock: clock.now,
    scheduleIntervalMs: false,
    functions: { nightly: () => ++fired },
  })
  const schedule = await queue.schedule('nightly', 'nightly', [], { cron: '0 3 * * *' })
  t.equal(schedule.nextRunAt, Date.parse('2027-01-01T03:00:00Z'))
  clock.advance(Date.parse('2027-01-01T03:00:00Z') - clock.now())
  t.equal(await worker.fireSchedules(), 1)
  await until(() => fired === 1, 'the cron job')
  t.equal((await queue.schedules())[0]?.nextRunAt, Date.parse('2027-01-02T03:00:00Z'))
})
