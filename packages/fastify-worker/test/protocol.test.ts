// The worker protocol end to end over fastify.inject(): submit → claim → heartbeat → complete → result.
import { decode, encode } from '@comp-manager/core'
import { createWorker } from '@comp-manager/worker'
import t from 'tap'
import { build, buildMemory, claim, expectError, submit, until } from './fixtures/helpers.js'

const exact = new Map<string, unknown>([
  ['big', 2n ** 70n],
  ['set', new Set([1, 'a'])],
])

t.test('REST submit → in-process worker executes → GET /result decodes to the exact value', async (t) => {
  const app = await build(t)
  const worker = createWorker({
    store: app.compStore,
    namespace: 'default',
    functions: {
      square: (n: bigint) =>
        new Map<string, unknown>([
          ['n', n * n],
          ['of', n],
        ]),
    },
  })
  t.teardown(() => worker.close())
  worker.start()
  const job = await submit(app, 'square', encode([12345678901234567890n]) as unknown[])
  t.equal(job.status, 'queued')
  t.equal(job.deduplicated, false)
  await until(async () => (await app.inject(`/computations/${job.id}`)).json().status === 'finished')
  const res = await app.inject(`/computations/${job.id}/result`)
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^application\/json/)
  t.same(
    decode(res.json()),
    new Map<string, unknown>([
      ['n', 12345678901234567890n ** 2n],
      ['of', 12345678901234567890n],
    ]),
  )
})

t.test('an HTTP worker: claim, heartbeat with progress, complete; the result is exact', async (t) => {
  const app = await build(t)
  const job = await submit(app, 'exact', [1])
  const none = await app.inject({
    method: 'POST',
    url: '/workers/claim',
    payload: { workerId: 'w1', functions: ['other'] },
  })
  t.equal(none.statusCode, 204, 'nothing for other functions')
  const [claimed] = await claim(app, { functions: ['exact'], leaseMs: 5000 })
  t.match(claimed, {
    id: job.id,
    namespace: 'default',
    function: 'exact',
    args: [1],
    checkpoint: null,
    attempt: 1,
    maxAttempts: 1,
    heartbeatMs: 1666,
  })
  t.type(claimed!.leaseToken, 'string')
  const beat = await app.inject({
    method: 'POST',
    url: `/computations/${job.id}/heartbeat`,
    payload: { leaseToken: claimed!.leaseToken, progress: 0.5, message: 'half way' },
  })
  t.equal(beat.statusCode, 200, beat.body)
  t.same(beat.json().requested, null)
  t.ok(Date.parse(beat.json().leaseExpiresAt) > Date.now())
  const seen = (await app.inject(`/computations/${job.id}`)).json()
  t.match(seen, { status: 'started', worker: 'w1', progress: { fraction: 0.5 }, message: 'half way' })
  const done = await app.inject({
    method: 'POST',
    url: `/computations/${job.id}/complete`,
    payload: { leaseToken: claimed!.leaseToken, result: encode(exact) },
  })
  t.equal(done.statusCode, 200, done.body)
  t.match(done.json(), { id: job.id, status: 'finished' })
  t.notOk('args' in done.json())
  const result = await app.inject(`/computations/${job.id}/result`)
  t.same(decode(result.json()), exact)
  // The token is spent: the run is over.
  const again = await app.inject({
    method: 'POST',
    url: `/computations/${job.id}/complete`,
    payload: { leaseToken: claimed!.leaseToken, result: 1 },
  })
  expectError(t, again, 409, 'CM_ERR_LEASE_LOST')
  t.same(decode((await app.inject(`/computations/${job.id}/result`)).json()), exact, 'result unchanged')
})

t.test('GET /result: 404 until finished, 409 with the error when failed', async (t) => {
  const { app } = await buildMemory(t)
  const job = await submit(app, 'f', [2])
  t.match(
    expectError(t, await app.inject(`/computations/${job.id}/result`), 404, 'CM_ERR_NOT_FOUND').details,
    { status: 'queued' },
  )
  const [claimed] = await claim(app, { functions: ['f'] })
  const failed = await app.inject({
    method: 'POST',
    url: `/computations/${job.id}/fail`,
    payload: {
      leaseToken: claimed!.leaseToken,
      error: { name: 'ValueError', message: 'bad n', stack: 'at f()' },
    },
  })
  t.same(failed.json(), { status: 'failed', next: null })
  const res = await app.inject(`/computations/${job.id}/result`)
  const body = expectError(t, res, 409, 'CM_ERR_CONFLICT')
  t.match(body.details, { status: 'failed', error: { name: 'ValueError', message: 'bad n' } })
})

t.test('fail with retryable: the next attempt is queued after the backoff; then claimable', async (t) => {
  const { app } = await buildMemory(t, { worker: { backoff: { delayMs: 0 } } })
  const job = await submit(app, 'flaky', [], { attempts: 2 })
  const [first] = await claim(app, { functions: ['flaky'] })
  t.equal(first!.maxAttempts, 2)
  const res = await app.inject({
    method: 'POST',
    url: `/computations/${job.id}/fail`,
    payload: { leaseToken: first!.leaseToken, error: { name: 'Timeout', message: 'net' }, retryable: true },
  })
  t.equal(res.statusCode, 200, res.body)
  const body = res.json()
  t.equal(body.status, 'queued')
  t.equal(body.next.attempt, 2)
  const [second] = await claim(app, { functions: ['flaky'] })
  t.match(second, { id: body.next.id, attempt: 2 })
  // The last attempt: retryable or not, it fails for good.
  const last = await app.inject({
    method: 'POST',
    url: `/computations/${second!.id}/fail`,
    payload: { leaseToken: second!.leaseToken, error: { name: 'Timeout', message: 'net' }, retryable: true },
  })
  t.same(last.json(), { status: 'failed', next: null })
})

t.test(
  'pause: requested through heartbeat, released with a checkpoint, resumed by another worker',
  async (t) => {
    const { app } = await buildMemory(t)
    const job = await submit(app, 'long', [])
    const [claimed] = await claim(app, { functions: ['long'] })
    const paused = await app.inject({ method: 'POST', url: `/computations/${job.id}/pause` })
    t.equal(paused.statusCode, 202, 'asked of a run another worker holds: requested, not done')
    t.match(paused.json(), { status: 'started', outcome: 'pause_requested' })
    t.type(paused.json().pauseRequestedAt, 'string')
    const beat = await app.inject({
      method: 'POST',
      url: `/computations/${job.id}/heartbeat`,
      payload: { leaseToken: claimed!.leaseToken },
    })
    t.equal(beat.json().requested, 'pause')
    const released = await app.inject({
      method: 'POST',
      url: `/computations/${job.id}/release`,
      payload: { leaseToken: claimed!.leaseToken, reason: 'pause', checkpoint: encode({ step: 7n }) },
    })
    t.same(released.json(), { status: 'paused' })
    t.equal((await app.inject(`/computations/${job.id}`)).json().status, 'paused')
    t.same(await claim(app, { functions: ['long'] }), [], 'a paused job is not claimable')
    const resumed = await app.inject({ method: 'POST', url: `/computations/${job.id}/resume` })
    t.equal(resumed.statusCode, 200, resumed.body)
    t.equal(resumed.json().status, 'queued')
    const [again] = await claim(app, { workerId: 'w2', functions: ['long'] })
    t.equal(again!.id, job.id)
    t.same(decode(again!.checkpoint), { step: 7n }, 'resumes from the checkpoint')
    // The first worker's token no longer holds anything.
    const stale = await app.inject({
      method: 'POST',
      url: `/computations/${job.id}/heartbeat`,
      payload: { leaseToken: claimed!.leaseToken },
    })
    expectError(t, stale, 409, 'CM_ERR_LEASE_LOST')
  },
)

t.test('cancel: the worker is told through heartbeat; later requests are 409', async (t) => {
  const { app } = await buildMemory(t)
  const job = await submit(app, 'long', [])
  const [claimed] = await claim(app, { functions: ['long'] })
  const cancelled = await app.inject({
    method: 'POST',
    url: `/computations/${job.id}/cancel`,
    payload: { reason: 'wrong input' },
  })
  t.equal(cancelled.statusCode, 200, cancelled.body)
  t.match(cancelled.json(), { status: 'failed', error: { code: 'CM_ERR_CANCELLED', message: 'wrong input' } })
  const beat = await app.inject({
    method: 'POST',
    url: `/computations/${job.id}/heartbeat`,
    payload: { leaseToken: claimed!.leaseToken },
  })
  t.same(beat.json(), { leaseExpiresAt: null, requested: 'cancel' })
  const complete = await app.inject({
    method: 'POST',
    url: `/computations/${job.id}/complete`,
    payload: { leaseToken: claimed!.leaseToken, result: 1 },
  })
  expectError(t, complete, 409, 'CM_ERR_LEASE_LOST')
  const again = await app.inject({ method: 'POST', url: `/computations/${job.id}/cancel` })
  t.match(expectError(t, again, 409, 'CM_ERR_CONFLICT').details, { status: 'failed', action: 'cancel' })
})

t.test('release shutdown puts the job back; retry queues a new attempt of a failed job', async (t) => {
  const { app } = await buildMemory(t)
  const job = await submit(app, 'g', [])
  const [claimed] = await claim(app, { functions: ['g'] })
  const back = await app.inject({
    method: 'POST',
    url: `/computations/${job.id}/release`,
    payload: { leaseToken: claimed!.leaseToken, reason: 'shutdown' },
  })
  t.same(back.json(), { status: 'queued' })
  const [again] = await claim(app, { functions: ['g'] })
  t.equal(again!.id, job.id)
  await app.inject({
    method: 'POST',
    url: `/computations/${job.id}/fail`,
    payload: { leaseToken: again!.leaseToken, error: { name: 'E', message: 'x' } },
  })
  const retried = await app.inject({ method: 'POST', url: `/computations/${job.id}/retry` })
  t.equal(retried.statusCode, 201, retried.body)
  t.match(retried.json(), { status: 'queued', attempt: 2, hash: job.hash })
  t.match(retried.headers.location, new RegExp(`/computations/${retried.json().id}$`))
  const twice = await app.inject({ method: 'POST', url: `/computations/${job.id}/retry` })
  t.match(expectError(t, twice, 409, 'CM_ERR_CONFLICT').details, { status: 'failed', action: 'retry' })
  const notOver = await app.inject({ method: 'POST', url: `/computations/${retried.json().id}/retry` })
  t.match(expectError(t, notOver, 409, 'CM_ERR_CONFLICT').details, { status: 'queued' })
})

t.test('GET /workers: HTTP and in-process workers, by id, with a cursor', async (t) => {
  const app = await build(t)
  const worker = createWorker({ store: app.compStore, namespace: 'default', functions: { f: () => 1 } })
  t.teardown(() => worker.close())
  worker.start()
  await until(async () => (await app.inject('/workers')).json().total === 1)
  for (const id of ['http-a', 'http-b', 'http-c'])
    await claim(app, { workerId: id, functions: ['f'], host: 'box', pid: 7, version: 'py 1' })
  const ids = ['http-a', 'http-b', 'http-c', worker.id].sort()
  const first = (await app.inject('/workers?per_page=2')).json()
  t.equal(first.total, 4)
  t.same(
    first.data.map((w: { id: string }) => w.id),
    ids.slice(0, 2),
  )
  const second = (await app.inject(`/workers?per_page=2&cursor=${first.next_cursor}`)).json()
  t.same(
    second.data.map((w: { id: string }) => w.id),
    ids.slice(2),
  )
  const httpA = [...first.data, ...second.data].find((w: { id: string }) => w.id === 'http-a')
  t.match(httpA, { host: 'box', pid: 7, version: 'py 1', functions: ['f'], namespaces: ['default'] })
  t.equal(second.next_cursor, null)
})

t.test('a run reported as started gets a lease token: heartbeat and complete it', async (t) => {
  const { app } = await buildMemory(t)
  const res = await app.inject({
    method: 'POST',
    url: '/computations',
    payload: { function: 'external', args: [1], status: 'started' },
  })
  t.equal(res.statusCode, 201)
  const run = res.json()
  t.type(run.leaseToken, 'string')
  t.type(run.leaseUntil, 'string', 'it has a lease: a sweeper can declare it lost')
  const beat = await app.inject({
    method: 'POST',
    url: `/computations/${run.id}/heartbeat`,
    payload: { leaseToken: run.leaseToken, progress: { fraction: 0.9, note: 'almost' } },
  })
  t.equal(beat.statusCode, 200, beat.body)
  const done = await app.inject({
    method: 'POST',
    url: `/computations/${run.id}/complete`,
    payload: { leaseToken: run.leaseToken, result: { plain: 'json' } },
  })
  t.equal(done.statusCode, 200, done.body)
  t.same((await app.inject(`/computations/${run.id}/result`)).json(), { plain: 'json' })
})
