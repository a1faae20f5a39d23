// Every route's success, with the plugin registered alone (after fastify-store on a SQLite file) in a
// bare Fastify app.
import { decode, encode, hashKey } from '@comp-manager/core'
import type { RunContext } from '@comp-manager/tracker'
import t from 'tap'
import { ComputationDtoSchema } from '../src/index.js'
import { build, deferred, seed, until } from './fixtures/helpers.js'

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

t.test('POST /computations creates a queued record hashed like tracker.track', async (t) => {
  const app = await build(t)
  const args = [10n, new Map([['k', new Date(0)]])]
  const res = await app.inject({
    method: 'POST',
    url: '/computations',
    payload: {
      function: 'fib',
      functionFull: 'math/fib',
      version: 2,
      args: encode(args),
      message: 'waiting',
    },
  })
  t.equal(res.statusCode, 201)
  const body = res.json()
  t.equal(res.headers.location, `/computations/${body.id}`)
  t.match(body, {
    namespace: 'default',
    name: 'fib',
    function: 'fib',
    functionFull: 'math/fib',
    status: 'queued',
    attempt: 1,
    message: 'waiting',
    owner: null,
    startedAt: null,
    finishedAt: null,
    runningTimeMs: null,
    checkpoint: null,
  })
  t.match(body.createdAt, ISO)
  t.match(body.updatedAt, ISO)
  t.same(decode(body.args), args, 'args are stored encoded and decode back')
  t.equal(body.hash, hashKey({ fn: 'math/fib', version: 2, args }).key)

  // The same call through the tracker has the same hash: it takes the queued record over.
  const fib = app.tracker.track('fib', async (n: bigint, _m: Map<string, Date>) => n * 2n, {
    functionFull: 'math/fib',
    version: 2,
  })
  t.equal(fib.hashOf(...(args as [bigint, Map<string, Date>])), body.hash)
  t.equal(await fib(...(args as [bigint, Map<string, Date>])), 20n)
  const after = (await app.inject({ url: `/computations/${body.id}` })).json()
  t.equal(after.status, 'finished', 'the tracked call ran on the queued record')
  t.match(after.startedAt, ISO)
  t.type(after.runningTimeMs, 'number')
})

t.test('POST defaults: args [], functionFull = function, name = function', async (t) => {
  const app = await build(t)
  const res = await app.inject({ method: 'POST', url: '/computations', payload: { function: 'nightly' } })
  t.equal(res.statusCode, 201)
  const body = res.json()
  t.same(body.args, [])
  t.equal(body.functionFull, 'nightly')
  t.equal(body.name, 'nightly')
  t.equal(body.hash, hashKey({ fn: 'nightly', args: [] }).key)
  const started = await app.inject({
    method: 'POST',
    url: '/computations',
    payload: { function: 'external', status: 'started', args: [1] },
  })
  t.equal(started.json().status, 'started')
  t.match(started.json().startedAt, ISO)
})

t.test(
  'GET /computations lists the namespace, newest first, as { data, page, per_page, total, pages, … }',
  async (t) => {
    const app = await build(t)
    const a = await seed(app.compStore, { fn: 'a' })
    const b = await seed(app.compStore, { fn: 'b' })
    await seed(app.compStore, { fn: 'c', namespace: 'elsewhere' })
    const res = await app.inject({ url: '/computations' })
    t.equal(res.statusCode, 200)
    const body = res.json()
    t.same(Object.keys(body).sort(), [
      'data',
      'next_cursor',
      'page',
      'pages',
      'per_page',
      'total',
      'total_is_lower_bound',
    ])
    t.match(body, {
      page: 1,
      per_page: 20,
      total: 2,
      pages: 1,
      total_is_lower_bound: false,
      next_cursor: null,
    })
    t.same(
      body.data.map((r: { id: string }) => r.id),
      [b.id, a.id],
    )
    t.same(
      Object.keys(body.data[0]).sort(),
      Object.keys(ComputationDtoSchema.properties)
        .filter((k) => k !== 'args' && k !== 'checkpoint')
        .sort(),
      'the DTO without args and checkpoint (a summary)',
    )
    // The trailing-slash form answers too.
    t.equal((await app.inject({ url: '/computations/' })).json().total, 2)
  },
)

t.test('GET /computations/:id returns the DTO', async (t) => {
  const app = await build(t)
  const record = await seed(app.compStore, { fn: 'one', message: 'hello' })
  const res = await app.inject({ url: `/computations/${record.id}` })
  t.equal(res.statusCode, 200)
  t.match(res.json(), {
    id: record.id,
    function: 'one',
    message: 'hello',
    createdAt: new Date(record.createdAt).toISOString(),
    leaseUntil: null,
  })
})

t.test('PUT /computations/:id sets message and progress', async (t) => {
  const app = await build(t)
  const record = await seed(app.compStore)
  const res = await app.inject({
    method: 'PUT',
    url: `/computations/${record.id}`,
    payload: { message: 'almost', progress: { fraction: 0.9, note: '9/10' } },
  })
  t.equal(res.statusCode, 200)
  t.match(res.json(), { status: 'queued', message: 'almost', progress: { fraction: 0.9, note: '9/10' } })
  const cleared = await app.inject({
    method: 'PUT',
    url: `/computations/${record.id}`,
    payload: { message: null, progress: null },
  })
  t.match(cleared.json(), { message: null, progress: null })
})

t.test('PUT drives a run reported over HTTP: queued → started → finished (compare-and-set)', async (t) => {
  const app = await build(t)
  const record = await seed(app.compStore)
  const started = await app.inject({
    method: 'PUT',
    url: `/computations/${record.id}`,
    payload: { status: 'started' },
  })
  t.equal(started.statusCode, 200)
  t.equal(started.json().status, 'started')
  const finished = await app.inject({
    method: 'PUT',
    url: `/computations/${record.id}`,
    payload: { status: 'finished', progress: { fraction: 1 } },
  })
  t.match(finished.json(), { status: 'finished', progress: { fraction: 1 } })
  t.match(finished.json().finishedAt, ISO)
  // Same status again: nothing to change, 200.
  const again = await app.inject({
    method: 'PUT',
    url: `/computations/${record.id}`,
    payload: { status: 'finished' },
  })
  t.equal(again.statusCode, 200)
})

t.test('PUT status failed cancels (the message is the reason)', async (t) => {
  const app = await build(t)
  const record = await seed(app.compStore)
  const res = await app.inject({
    method: 'PUT',
    url: `/computations/${record.id}`,
    payload: { status: 'failed', message: 'not needed any more' },
  })
  t.equal(res.statusCode, 200)
  t.match(res.json(), {
    status: 'failed',
    message: 'not needed any more',
    error: { name: 'CancelledError', code: 'CM_ERR_CANCELLED', message: 'not needed any more' },
  })
})

t.test('PUT pauses and resumes a run tracked in this process, and cancels it', async (t) => {
  const app = await build(t)
  const stepped = deferred()
  let resumedWith: unknown
  const sum = app.tracker.track(
    'sum',
    async (n: number, ctx: RunContext) => {
      resumedWith ??= ctx.resumeState
      let i = (ctx.resumeState as number | undefined) ?? 0
      for (; i < n; i++) {
        if (ctx.signal.aborted) {
          await ctx.checkpoint(i)
          ctx.signal.throwIfAborted()
        }
        stepped.resolve()
        await new Promise((resolve) => setTimeout(resolve, 5))
      }
      return i
    },
    { context: true },
  )
  const startedEvent = new Promise<string>((resolve) => {
    const off = app.tracker.on('started', ({ record }) => {
      off()
      resolve(record.id)
    })
  })
  const call = sum(1_000_000)
  const rejected = call.catch((err: unknown) => err)
  const id = await startedEvent
  await stepped.promise

  const paused = await app.inject({
    method: 'PUT',
    url: `/computations/${id}`,
    payload: { status: 'paused' },
  })
  t.equal(paused.statusCode, 200)
  t.equal(paused.json().status, 'paused')
  t.match(await rejected, { code: 'CM_ERR_PAUSED' }, 'the call stops with CM_ERR_PAUSED')
  await until(async () => (await app.tracker.get(id))?.checkpoint !== null)

  const resumed = await app.inject({
    method: 'PUT',
    url: `/computations/${id}`,
    payload: { status: 'started' },
  })
  t.equal(resumed.statusCode, 200)
  t.equal(resumed.json().status, 'started')
  await until(() => resumedWith !== undefined)
  t.type(resumedWith, 'number', 'resumed from its checkpoint')

  const cancelled = await app.inject({
    method: 'PUT',
    url: `/computations/${id}`,
    payload: { status: 'failed' },
  })
  t.equal(cancelled.statusCode, 200)
  t.match(cancelled.json(), { status: 'failed', error: { code: 'CM_ERR_CANCELLED' } })
})

t.test('DELETE /computations/:id answers 204 and the record is gone', async (t) => {
  const app = await build(t)
  const record = await seed(app.compStore)
  const res = await app.inject({ method: 'DELETE', url: `/computations/${record.id}` })
  t.equal(res.statusCode, 204)
  t.equal(res.body, '')
  t.equal(await app.compStore.computations.get('default', record.id), null)
  t.equal((await app.inject({ url: `/computations/${record.id}` })).statusCode, 404)
})

t.test('DELETE of a live run is 409 CM_ERR_CONFLICT: cancel it first', async (t) => {
  const app = await build(t)
  const gate = deferred()
  const job = app.tracker.track('live', async () => gate.promise)
  const id = new Promise<string>((resolve) => app.tracker.on('started', ({ record }) => resolve(record.id)))
  const call = job()
  const res = await app.inject({ method: 'DELETE', url: `/computations/${await id}` })
  t.equal(res.statusCode, 409)
  t.equal(res.json().code, 'CM_ERR_CONFLICT')
  gate.resolve()
  await call
  t.equal((await app.inject({ method: 'DELETE', url: `/computations/${await id}` })).statusCode, 204)
})

t.test('GET /computations/:id/events of a finished run: status, end, then the stream closes', async (t) => {
  const app = await build(t)
  const job = app.tracker.track('quick', async (x: number) => x + 1)
  await job(1)
  const [record] = (await app.tracker.list()).data
  const res = await app.inject({ url: `/computations/${record!.id}/events` })
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^text\/event-stream/)
  t.equal(res.headers['cache-control'], 'no-cache, no-transform')
  const events = res.body
    .split('\n\n')
    .filter((block) => block.includes('event:'))
    .map((block) => ({
      id: /^id: (.*)$/m.exec(block)?.[1],
      event: /^event: (.*)$/m.exec(block)?.[1],
      data: JSON.parse(/^data: (.*)$/m.exec(block)![1]!),
    }))
  t.same(
    events.map((e) => [e.id, e.event, e.data.status]),
    [
      ['1', 'status', 'finished'],
      ['2', 'end', 'finished'],
    ],
  )
  t.match(res.body, /^retry: \d+$/m)

  // A reconnection after `end` gets 204 (EventSource stops reconnecting).
  const again = await app.inject({
    url: `/computations/${record!.id}/events`,
    headers: { 'last-event-id': '2' },
  })
  t.equal(again.statusCode, 204)
})

t.test('unknown routes below the prefix answer the standard 404 body; no HEAD on the stream', async (t) => {
  const app = await build(t)
  for (const [method, url] of [
    ['GET', '/computations/a/b/c'],
    ['PATCH', '/computations/x'],
    ['HEAD', '/computations/x/events'],
  ] as const) {
    const res = await app.inject({ method, url })
    t.equal(res.statusCode, 404, `${method} ${url}`)
    if (method !== 'HEAD') t.match(res.json(), { code: 'CM_ERR_ROUTE_NOT_FOUND', statusCode: 404 })
  }
  t.equal(
    (await app.inject({ method: 'HEAD', url: '/computations' })).statusCode,
    200,
    'HEAD of the list is fine',
  )
})
