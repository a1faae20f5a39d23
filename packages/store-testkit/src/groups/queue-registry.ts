import type { WorkerRegistration } from '@comp-manager/core'
import type { Test } from 'tap'
import { NS_A, NS_B } from '../fixtures.js'
import { clockSkip, type Harness } from '../harness.js'
import { queueOf } from '../queue-fixtures.js'

const worker = (id: string, overrides: Partial<WorkerRegistration> = {}): WorkerRegistration => ({
  id,
  namespaces: [NS_A],
  functions: ['resize'],
  host: 'host-1',
  pid: 100,
  concurrency: 4,
  running: 0,
  startedAt: 1,
  ...overrides,
})

const schedule = (name: string, nextRunAt: number) => ({
  namespace: NS_A,
  name,
  function: 'resize',
  functionFull: 'images/resize',
  args: { width: 10 },
  cron: null,
  everyMs: 60_000,
  nextRunAt,
})

/** The worker registry and the repeat schedules. */
export function queueRegistry(t: Test, h: Harness): void {
  const skip = clockSkip(h)

  t.test('workers: register, refresh, list by namespace, expire, unregister', { skip }, (t) =>
    workerRegistry(t, h),
  )

  t.test('schedules: upsert keeps createdAt, list, due, delete', { skip }, (t) => scheduleCrud(t, h))

  t.test('advanceSchedule fires a due schedule once among concurrent callers', { skip }, (t) =>
    advanceScheduleOnce(t, h),
  )
}

async function workerRegistry(t: Test, h: Harness): Promise<void> {
  const { store, clock } = await h.open(t)
  const queue = queueOf(store)
  const info = await queue.registerWorker(worker('w1', { version: '1.2.3' }), 10_000)
  t.hasStrict(info, {
    id: 'w1',
    lastSeenAt: clock(),
    expiresAt: clock() + 10_000,
    version: '1.2.3',
    running: 0,
  })
  await queue.registerWorker(worker('w2', { namespaces: [NS_B] }), 5000)
  t.same((await queue.listWorkers()).map((w) => w.id).sort(), ['w1', 'w2'])
  t.same(
    (await queue.listWorkers(NS_B)).map((w) => w.id),
    ['w2'],
    'serving B',
  )
  clock.advance(5000)
  t.same(
    (await queue.listWorkers()).map((w) => w.id),
    ['w1'],
    'w2 expired',
  )
  const refreshed = await queue.registerWorker(worker('w1', { running: 3 }), 10_000)
  t.hasStrict(refreshed, { running: 3, expiresAt: clock() + 10_000 }, 'replaced in place')
  t.equal((await queue.listWorkers()).length, 1, 'one entry per id')
  t.equal(await queue.unregisterWorker('w1'), true)
  t.equal(await queue.unregisterWorker('w1'), false, 'already gone')
  t.same(await queue.listWorkers(), [])
}

async function scheduleCrud(t: Test, h: Harness): Promise<void> {
  const { store, clock } = await h.open(t)
  const queue = queueOf(store)
  const created = await queue.upsertSchedule(schedule('nightly', clock() + 1000))
  t.hasStrict(created, {
    name: 'nightly',
    priority: 0,
    maxAttempts: 1,
    createdAt: clock(),
    lastRunAt: null,
    tz: null,
  })
  const zoned = { ...schedule('zoned', clock() + 1000), cron: '0 3 * * *', everyMs: null }
  t.hasStrict(await queue.upsertSchedule({ ...zoned, tz: 'Europe/Paris' }), { tz: 'Europe/Paris' })
  t.hasStrict(
    (await queue.listSchedules(NS_A)).find((s) => s.name === 'zoned'),
    { cron: '0 3 * * *', tz: 'Europe/Paris' },
    'the time zone is stored',
  )
  t.ok(await queue.deleteSchedule(NS_A, 'zoned'))
  clock.advance(10)
  const replaced = await queue.upsertSchedule({ ...schedule('nightly', clock() + 500), priority: 3 })
  t.hasStrict(replaced, { priority: 3, createdAt: created.createdAt, updatedAt: clock() })
  await queue.upsertSchedule({ ...schedule('other', clock() + 2000), namespace: NS_B })
  t.same(
    (await queue.listSchedules(NS_A)).map((s) => s.name),
    ['nightly'],
  )
  t.equal((await queue.listSchedules([NS_A, NS_B])).length, 2)
  t.same(await queue.dueSchedules([NS_A, NS_B]), [], 'nothing due yet')
  clock.advance(2000)
  t.same(
    (await queue.dueSchedules([NS_A, NS_B])).map((s) => s.name),
    ['nightly', 'other'],
    'soonest first',
  )
  t.equal((await queue.dueSchedules([NS_A, NS_B], { limit: 1 })).length, 1, 'limit')
  t.equal(await queue.deleteSchedule(NS_A, 'nightly'), true)
  t.equal(await queue.deleteSchedule(NS_A, 'nightly'), false)
  t.same(
    (await queue.listSchedules(NS_A)).map((s) => s.name),
    [],
  )
}

async function advanceScheduleOnce(t: Test, h: Harness): Promise<void> {
  const { store, clock } = await h.open(t)
  const queue = queueOf(store)
  const due = clock()
  await queue.upsertSchedule(schedule('tick', due))
  const wins = await Promise.all(
    Array.from({ length: 8 }, () => queue.advanceSchedule(NS_A, 'tick', due, due + 60_000)),
  )
  t.equal(wins.filter(Boolean).length, 1, 'exactly one winner')
  const [after] = await queue.listSchedules(NS_A)
  t.hasStrict(after, { nextRunAt: due + 60_000, lastRunAt: clock() })
  t.equal(await queue.advanceSchedule(NS_A, 'tick', due, due + 120_000), false, 'a stale expectation loses')
  t.equal(await queue.advanceSchedule(NS_A, 'missing', due, due + 1), false, 'unknown schedule')
}
