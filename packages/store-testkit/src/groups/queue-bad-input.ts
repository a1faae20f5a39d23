import type { QueueStore } from '@comp-manager/core'
import type { Test } from 'tap'
import { NS_A } from '../fixtures.js'
import { expectCode, type Harness } from '../harness.js'
import { claimNextInput, jobInput, queueOf } from '../queue-fixtures.js'

const YEAR = 366 * 24 * 60 * 60 * 1000
const error = { name: 'Error', message: 'x' }
const worker = {
  id: 'w1',
  namespaces: [NS_A],
  functions: ['resize'],
  host: 'h',
  pid: 1,
  concurrency: 1,
  running: 0,
  startedAt: 0,
}
const schedule = {
  namespace: NS_A,
  name: 's',
  function: 'resize',
  functionFull: 'images/resize',
  args: null,
  cron: null,
  everyMs: 60_000,
  nextRunAt: 0,
}

type Case = [string, (q: QueueStore, now: number) => Promise<unknown>]
// biome-ignore lint/suspicious/noExplicitAny: bad input on purpose
const any = (value: unknown): any => value

/** Every queue operation refuses bad input with `CM_ERR_INVALID_ARGUMENT` and writes nothing. */
const cases: Case[] = [
  ['enqueue: not an object', (q) => q.enqueue(any('job'))],
  ['enqueue: missing hash', (q) => q.enqueue(any({ ...jobInput(), hash: undefined }))],
  ['enqueue: bad namespace', (q) => q.enqueue(jobInput({ namespace: '$where' }))],
  ['enqueue: priority 1001', (q) => q.enqueue(jobInput({ priority: 1001 }))],
  ['enqueue: priority 1.5', (q) => q.enqueue(jobInput({ priority: 1.5 }))],
  ['enqueue: runAt over a year ahead', (q, now) => q.enqueue(jobInput({ runAt: now + YEAR + 1000 }))],
  ['enqueue: negative runAt', (q) => q.enqueue(jobInput({ runAt: -1 }))],
  ['enqueue: maxAttempts 0', (q) => q.enqueue(jobInput({ maxAttempts: 0 }))],
  ['enqueue: maxAttempts 101', (q) => q.enqueue(jobInput({ maxAttempts: 101 }))],
  ['enqueue: rerun not boolean', (q) => q.enqueue(any({ ...jobInput(), rerun: 'yes' }))],
  ['enqueue: $-operator field', (q) => q.enqueue(any({ ...jobInput(), $set: { status: 'finished' } }))],
  [
    'enqueue: __proto__ field',
    (q) => q.enqueue(any({ ...jobInput(), ...JSON.parse('{"__proto__":{"x":1}}') })),
  ],
  ['enqueue: args not JSON', (q) => q.enqueue(jobInput({ args: { when: new Date() } }))],
  ['claimNext: no namespaces', (q) => q.claimNext(claimNextInput({ namespaces: [] }))],
  [
    'claimNext: 101 namespaces',
    (q) => q.claimNext(claimNextInput({ namespaces: Array.from({ length: 101 }, (_, i) => `n${i}`) })),
  ],
  ['claimNext: no functions', (q) => q.claimNext(claimNextInput({ functions: [] }))],
  [
    'claimNext: 1001 functions',
    (q) => q.claimNext(claimNextInput({ functions: Array.from({ length: 1001 }, (_, i) => `f${i}`) })),
  ],
  [
    'claimNext: function not a string',
    (q) => q.claimNext(claimNextInput({ functions: any([{ $ne: null }]) })),
  ],
  ['claimNext: empty worker', (q) => q.claimNext(claimNextInput({ worker: '' }))],
  ['claimNext: leaseMs 0', (q) => q.claimNext(claimNextInput({ leaseMs: 0 }))],
  ['claimNext: leaseMs over a day', (q) => q.claimNext(claimNextInput({ leaseMs: 86_400_001 }))],
  ['claimNext: limit 0', (q) => q.claimNext(claimNextInput({ limits: { resize: 0 } }))],
  ['claimNext: limit not a number', (q) => q.claimNext(claimNextInput({ limits: any({ resize: '2' }) }))],
  ['claimNext: $-key in limits', (q) => q.claimNext(claimNextInput({ limits: { $where: 1 } }))],
  [
    'claimNext: __proto__ in limits',
    (q) => q.claimNext(claimNextInput({ limits: JSON.parse('{"__proto__":1}') })),
  ],
  ['claimNext: limits an array', (q) => q.claimNext(claimNextInput({ limits: any([1]) }))],
  ['claimBatch: max 0', (q) => q.claimBatch(claimNextInput({ max: 0 }))],
  ['claimBatch: max 101', (q) => q.claimBatch(claimNextInput({ max: 101 }))],
  ['claimBatch: max not an integer', (q) => q.claimBatch(claimNextInput({ max: 2.5 }))],
  ['claimBatch: max a string', (q) => q.claimBatch(claimNextInput({ max: any('8') }))],
  ['retry: bad error', (q, now) => q.retry(NS_A, 'id', any({ error: 'boom', runAt: now }))],
  ['retry: runAt over a year ahead', (q, now) => q.retry(NS_A, 'id', { error, runAt: now + YEAR + 1000 })],
  ['retry: bad namespace', (q, now) => q.retry('', 'id', { error, runAt: now })],
  ['requeue: bad expected status', (q) => q.requeue(NS_A, 'id', any('finished'))],
  ['requeue: checkpoint not JSON', (q) => q.requeue(NS_A, 'id', 'paused', { checkpoint: () => 1 })],
  ['requeue: unknown field', (q) => q.requeue(NS_A, 'id', 'paused', any({ status: 'finished' }))],
  ['recoverExpired: limit 0', (q) => q.recoverExpired({ limit: 0 })],
  ['recoverExpired: maxLostRetries -1', (q) => q.recoverExpired({ maxLostRetries: -1 })],
  ['prune: no bound', (q) => q.prune({ namespace: NS_A })],
  ['prune: no namespace', (q) => q.prune(any({ keepLast: 1 }))],
  ['prune: live status', (q) => q.prune({ namespace: NS_A, keepLast: 1, statuses: any(['started']) })],
  ['prune: batchSize 0', (q) => q.prune({ namespace: NS_A, keepLast: 1, batchSize: 0 })],
  ['prune: batchSize 10001', (q) => q.prune({ namespace: NS_A, keepLast: 1, batchSize: 10_001 })],
  ['prune: $-operator', (q) => q.prune(any({ namespace: NS_A, keepLast: 1, $where: 'x' }))],
  ['registerWorker: concurrency 0', (q) => q.registerWorker({ ...worker, concurrency: 0 }, 1000)],
  ['registerWorker: ttlMs 0', (q) => q.registerWorker(worker, 0)],
  ['registerWorker: no functions', (q) => q.registerWorker({ ...worker, functions: [] }, 1000)],
  ['registerWorker: long version', (q) => q.registerWorker({ ...worker, version: 'v'.repeat(257) }, 1000)],
  ['unregisterWorker: empty id', (q) => q.unregisterWorker('')],
  ['listWorkers: bad namespace', (q) => q.listWorkers('a b')],
  ['claimNext: maxLostRetries -1', (q) => q.claimNext(claimNextInput({ maxLostRetries: -1 }))],
  ['claimNext: maxLostRetries 1.5', (q) => q.claimNext(claimNextInput({ maxLostRetries: 1.5 }))],
  ['upsertSchedule: cron and everyMs', (q) => q.upsertSchedule({ ...schedule, cron: '* * * * *' })],
  ['upsertSchedule: neither', (q) => q.upsertSchedule({ ...schedule, everyMs: null })],
  [
    'upsertSchedule: unknown tz',
    (q) => q.upsertSchedule({ ...schedule, cron: '0 3 * * *', everyMs: null, tz: 'Mars/Olympus' }),
  ],
  ['upsertSchedule: tz with everyMs', (q) => q.upsertSchedule({ ...schedule, tz: 'Europe/Paris' })],
  ['upsertSchedule: everyMs 999', (q) => q.upsertSchedule({ ...schedule, everyMs: 999 })],
  [
    'upsertSchedule: nextRunAt over a year ahead',
    (q, now) => q.upsertSchedule({ ...schedule, nextRunAt: now + YEAR + 1000 }),
  ],
  ['upsertSchedule: empty name', (q) => q.upsertSchedule({ ...schedule, name: '' })],
  ['advanceSchedule: NaN', (q) => q.advanceSchedule(NS_A, 's', Number.NaN, 1)],
  ['dueSchedules: no namespaces', (q) => q.dueSchedules([])],
  ['dueSchedules: limit 1001', (q) => q.dueSchedules([NS_A], { limit: 1001 })],
  ['listSchedules: bad namespace', (q) => q.listSchedules(['ok', '$bad'])],
]

export function queueBadInput(t: Test, h: Harness): void {
  t.test('every queue operation refuses bad input and writes nothing', async (t) => {
    const { store, clock } = await h.open(t)
    const queue = queueOf(store)
    for (const [what, action] of cases) {
      await expectCode(t, () => action(queue, clock()), 'CM_ERR_INVALID_ARGUMENT', what)
    }
    t.equal((await store.computations.list({ namespace: NS_A })).total, 0, 'no record written')
    t.same(await queue.listWorkers(), [], 'no worker registered')
    t.same(await queue.listSchedules(NS_A), [], 'no schedule written')
  })
}
