// A job handle's watch(), and computations.retry() of a failed run, against the example server; the test
// itself is the HTTP worker (cm.workers.claim / heartbeat / complete / fail), so each step is its own.
import t from 'tap'
import { type ComputationEvent, createClient, isApiError } from '../src/index.js'
import { startApi } from './fixtures/server.js'

/** The next value of `events`, or a failure after `ms` (the stream must not stall). */
async function next(events: AsyncGenerator<ComputationEvent, void, void>, ms = 10_000) {
  let timer: ReturnType<typeof setTimeout> | undefined
  const stalled = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('no event in time')), ms)
  })
  try {
    return await Promise.race([events.next(), stalled])
  } finally {
    clearTimeout(timer)
  }
}

t.test('handle.watch(): queued, started, progress, finished, then end; the stream closes', async (t) => {
  const api = await startApi(t)
  const cm = createClient({ baseUrl: api.url, token: api.tokens.operator })
  const handle = await cm.computations.submit('watched', [3n])
  t.equal(handle.created, true)
  const events = handle.watch()
  const seen: ComputationEvent[] = []
  const step = async () => {
    const { value, done } = await next(events)
    t.notOk(done, 'not over yet')
    seen.push(value as ComputationEvent)
    return value as ComputationEvent
  }

  t.match(
    await step(),
    { type: 'status', data: { id: handle.id, status: 'queued' } },
    'the current state first',
  )
  const [job] = await cm.workers.claim({
    workerId: 'test-worker',
    functions: ['watched'],
    max: 1,
    waitMs: 1000,
  })
  t.equal(job?.id, handle.id)
  t.match(await step(), { type: 'status', data: { status: 'started', worker: 'test-worker' } })
  await cm.workers.heartbeat(handle.id, { leaseToken: job!.leaseToken, progress: 0.5, message: 'half way' })
  t.match(await step(), { type: 'progress', data: { status: 'started', progress: { fraction: 0.5 } } })
  await cm.workers.complete(handle.id, job!.leaseToken, 9n)
  // The status change, then `end` with the final summary.
  t.match(await step(), { type: 'status', data: { status: 'finished' } })
  t.match(await step(), { type: 'end', data: { id: handle.id, status: 'finished' } })
  t.same(await next(events), { value: undefined, done: true }, 'the stream closes after `end`')
  t.same(
    seen.map((e) => e.id),
    ['1', '2', '3', '4', '5'],
    'event ids in order',
  )
  t.equal(await handle.result(), 9n, 'the result decodes exactly')
  // A handle of a finished job: its state, then `end` at once.
  const again: string[] = []
  for await (const e of handle.watch()) again.push(`${e.type}:${e.data?.status}`)
  t.same(again, ['status:finished', 'end:finished'])
})

t.test('computations.retry() of a failed run queues its next attempt; the failed run stays', async (t) => {
  const api = await startApi(t)
  const cm = createClient({ baseUrl: api.url, token: api.tokens.operator })
  const handle = await cm.computations.submit('retried', ['x'])
  const [job] = await cm.workers.claim({
    workerId: 'test-worker',
    functions: ['retried'],
    max: 1,
    waitMs: 1000,
  })
  t.equal(job?.id, handle.id)
  const failed = await cm.workers.fail(handle.id, job!.leaseToken, { name: 'TypeError', message: 'bad x' })
  t.same(failed, { status: 'failed', next: null }, 'no attempts left: failed for good')

  // retry() of a run that is not over is refused, the record unchanged.
  const queued = await cm.computations.submit('pending', ['other'])
  const early = await cm.computations.retry(queued.id).catch((e: unknown) => e)
  t.ok(isApiError(early, 'CM_ERR_CONFLICT'), String(early))
  t.match((early as { details: unknown }).details, { status: 'queued' })

  const retried = await cm.computations.retry(handle.id)
  t.not(retried.id, handle.id, 'a new record')
  t.match(retried, {
    status: 'queued',
    attempt: 2,
    hash: handle.record.hash,
    function: 'retried',
    error: null,
    worker: null,
  })
  t.match(await cm.computations.get(handle.id), {
    status: 'failed',
    error: { name: 'TypeError', message: 'bad x' },
  })
  const attempts = await cm.computations.list({ hash: handle.record.hash, sort: 'createdAt' })
  t.same(
    attempts.data.map((r) => [r.id, r.attempt, r.status]),
    [
      [handle.id, 1, 'failed'],
      [retried.id, 2, 'queued'],
    ],
  )
  // Twice is refused: the failed run already has its next attempt.
  const twice = await cm.computations.retry(handle.id).catch((e: unknown) => e)
  t.ok(isApiError(twice, 'CM_ERR_CONFLICT'), String(twice))
  t.match((twice as { details: unknown }).details, { status: 'failed', action: 'retry' })

  // The new attempt is claimable, with the same arguments; the original handle follows it to the result.
  const [second] = await cm.workers.claim({
    workerId: 'test-worker',
    functions: ['retried'],
    max: 1,
    waitMs: 1000,
  })
  t.match(second, { id: retried.id, attempt: 2, args: ['x'] })
  await cm.workers.complete(retried.id, second!.leaseToken, 'fixed')
  t.equal(await handle.result(), 'fixed', 'result() of the first handle follows the retry')
})
