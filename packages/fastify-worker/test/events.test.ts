// `fastify.workerProtocol.on(...)`: the runs of HTTP workers as this process's routes change them, with
// the names and payloads of the in-process worker's events (what fastify-metrics observes).
import { encode } from '@comp-manager/core'
import type { FastifyInstance } from 'fastify'
import t from 'tap'
import type { WorkerProtocolEventName, WorkerProtocolEvents } from '../src/index.js'
import { build, claim, sleep, submit } from './fixtures/helpers.js'

type Seen = { event: WorkerProtocolEventName; payload: WorkerProtocolEvents[WorkerProtocolEventName] }

const NAMES: WorkerProtocolEventName[] = [
  'started',
  'finished',
  'failed',
  'retrying',
  'paused',
  'released',
  'lost',
]

function record(app: FastifyInstance): Seen[] {
  const seen: Seen[] = []
  for (const event of NAMES) app.workerProtocol.on(event, (payload) => seen.push({ event, payload }))
  return seen
}

const post = (app: FastifyInstance, id: string, route: string, payload: Record<string, unknown>) =>
  app.inject({ method: 'POST', url: `/computations/${id}/${route}`, payload })

t.test('claim, complete, a retryable failure and a final failure', async (t) => {
  const app = await build(t, { worker: { backoff: { type: 'fixed', delayMs: 0, jitter: 0 } } })
  const seen = record(app)
  const ok = await submit(app, 'ok', [1])
  const [job] = await claim(app, { workerId: 'w1', functions: ['ok'] })
  t.match(seen, [
    { event: 'started', payload: { record: { id: ok.id, status: 'started', worker: 'w1' }, resumed: false } },
  ])
  t.equal(
    (await post(app, ok.id, 'complete', { leaseToken: job!.leaseToken, result: encode(2) })).statusCode,
    200,
  )
  t.match(seen[1], { event: 'finished', payload: { record: { id: ok.id, status: 'finished' } } })
  t.type(
    (seen[1]!.payload as WorkerProtocolEvents['finished']).record.finishedAt,
    'number',
    'the ended record',
  )

  const flaky = await submit(app, 'flaky', [], { attempts: 2 })
  const [first] = await claim(app, { workerId: 'w1', functions: ['flaky'] })
  const error = {
    name: 'FlakyError',
    message: 'try again',
    stack: 'FlakyError: try again\n    at worker.py:1',
  }
  t.equal(
    (await post(app, flaky.id, 'fail', { leaseToken: first!.leaseToken, error, retryable: true })).statusCode,
    200,
  )
  const retrying = seen.at(-1)!
  t.equal(retrying.event, 'retrying')
  const { record: failed, next, error: reported } = retrying.payload as WorkerProtocolEvents['retrying']
  t.match(failed, { id: flaky.id, status: 'failed', attempt: 1 })
  t.match(next, { status: 'queued', attempt: 2 })
  t.ok(reported instanceof Error, 'the reported error as an Error')
  t.match(reported, { name: 'FlakyError', message: 'try again', stack: error.stack })

  const [second] = await claim(app, { workerId: 'w1', functions: ['flaky'] })
  t.equal(second!.id, next.id)
  await post(app, next.id, 'fail', { leaseToken: second!.leaseToken, error, retryable: true })
  t.match(seen.at(-1), {
    event: 'failed',
    payload: { record: { id: next.id, status: 'failed', attempt: 2 } },
  })
  t.same(
    seen.map((s) => s.event),
    ['started', 'finished', 'started', 'retrying', 'started', 'failed'],
  )
})

t.test('release: pause, cancel and shutdown; a job resumed from its checkpoint', async (t) => {
  const app = await build(t)
  const seen = record(app)
  const a = await submit(app, 'slow', [1])
  const [job] = await claim(app, { workerId: 'w', functions: ['slow'] })
  await post(app, a.id, 'release', {
    leaseToken: job!.leaseToken,
    reason: 'pause',
    checkpoint: encode({ step: 3 }),
  })
  t.match(seen.at(-1), { event: 'paused', payload: { record: { id: a.id, status: 'paused' } } })
  t.equal((await app.inject({ method: 'POST', url: `/computations/${a.id}/resume` })).statusCode < 300, true)
  const [resumed] = await claim(app, { workerId: 'w', functions: ['slow'] })
  t.match(seen.at(-1), { event: 'started', payload: { record: { id: a.id }, resumed: true } })
  await post(app, a.id, 'release', { leaseToken: resumed!.leaseToken, reason: 'shutdown' })
  t.match(seen.at(-1), { event: 'released', payload: { record: { id: a.id, status: 'queued' } } })
  const [again] = await claim(app, { workerId: 'w', functions: ['slow'] })
  await post(app, a.id, 'release', { leaseToken: again!.leaseToken, reason: 'cancel' })
  const cancelled = seen.at(-1)!
  t.match(cancelled, { event: 'failed', payload: { record: { id: a.id, status: 'failed' } } })
  t.match((cancelled.payload as WorkerProtocolEvents['failed']).error, { name: 'CancelledError' })
})

t.test('the recovery emits lost, with the next attempt or null', async (t) => {
  const app = await build(t, { worker: { maxLostRetries: 1 } })
  const seen = record(app)
  const job = await submit(app, 'slow', [7])
  await claim(app, { workerId: 'dead', functions: ['slow'], leaseMs: 1000 })
  await sleep(1100)
  t.equal(await app.workerProtocol.recover(), 1)
  const lost = seen.at(-1)!
  t.equal(lost.event, 'lost')
  const { record: gone, next } = lost.payload as WorkerProtocolEvents['lost']
  t.match(gone, { id: job.id, status: 'lost' })
  t.match(next, { status: 'queued', attempt: 2 })
  await claim(app, { workerId: 'dead', functions: ['slow'], leaseMs: 1000 })
  await sleep(1100)
  t.equal(await app.workerProtocol.recover(), 1)
  t.match(seen.at(-1), { event: 'lost', payload: { record: { id: next!.id, status: 'lost' }, next: null } })
})

t.test('a listener that throws is logged; the route answers as usual; off() stops a listener', async (t) => {
  const app = await build(t)
  const warnings: unknown[] = []
  const warn = app.log.warn.bind(app.log)
  app.log.warn = ((...args: unknown[]) => {
    warnings.push(args[0])
    return (warn as (...a: unknown[]) => void)(...args)
  }) as typeof app.log.warn
  app.workerProtocol.on('started', () => {
    throw new Error('listener bug')
  })
  let finished = 0
  const off = app.workerProtocol.on('finished', () => finished++)
  const a = await submit(app, 'ok', [1])
  const [job] = await claim(app, { workerId: 'w', functions: ['ok'] })
  t.equal(job!.id, a.id, 'claimed all the same')
  t.match(warnings, [{ event: 'started', err: { message: 'listener bug' } }])
  off()
  t.equal(
    (await post(app, a.id, 'complete', { leaseToken: job!.leaseToken, result: encode(1) })).statusCode,
    200,
  )
  t.equal(finished, 0, 'removed')
})
