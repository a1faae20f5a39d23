// GET /computations/:id/events through a real listening server (port 0) and fetch streaming.
import { MemoryStore } from '@comp-manager/core'
import type { RunContext } from '@comp-manager/tracker'
import type { FastifyInstance } from 'fastify'
import t from 'tap'
import { build, deferred, seed, sleep, tokenFor, until } from './fixtures/helpers.js'

interface SseEvent {
  id: string | undefined
  event: string
  data: unknown
}

/** Opens an event stream with fetch and parses it as it arrives. */
async function openStream(url: string, headers: Record<string, string> = {}) {
  const controller = new AbortController()
  const res = await fetch(url, { headers, signal: controller.signal })
  const events: SseEvent[] = []
  const comments: string[] = []
  const state = { ended: false, aborted: false }
  const pump = (async () => {
    if (res.body === null) return
    const reader = res.body.getReader()
    const decoder = new TextDecoder()
    let buffer = ''
    for (;;) {
      const { value, done } = await reader.read()
      if (done) break
      buffer += decoder.decode(value, { stream: true })
      for (let i = buffer.indexOf('\n\n'); i >= 0; i = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, i)
        buffer = buffer.slice(i + 2)
        const fields: Record<string, string> = {}
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) comments.push(line.slice(1).trim())
          else {
            const colon = line.indexOf(':')
            fields[line.slice(0, colon)] = line.slice(colon + 1).trimStart()
          }
        }
        if (fields.event !== undefined) {
          events.push({ id: fields.id, event: fields.event, data: JSON.parse(fields.data ?? 'null') })
        }
      }
    }
    state.ended = true
  })().catch((err: unknown) => {
    if (!state.aborted) throw err
  })
  return {
    res,
    events,
    comments,
    state,
    pump,
    abort() {
      state.aborted = true
      controller.abort()
    },
  }
}

async function listen(t: Parameters<typeof build>[0], app: FastifyInstance): Promise<string> {
  const address = await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  return address
}

t.test(
  'a client receives the progress of a running tracked computation, its final status, then the end',
  async (t) => {
    const app = await build(t, { tracker: { sse: { pollMs: 20 } } })
    const base = await listen(t, app)
    const progressed = deferred()
    const finish = deferred()
    const job = app.tracker.track(
      'render',
      async (pages: number, ctx: RunContext) => {
        await progressed.promise
        ctx.progress(0.5, `${pages / 2} of ${pages}`)
        await finish.promise
        ctx.progress(1, 'done')
        return pages
      },
      { context: true },
    )
    const startedId = new Promise<string>((resolve) =>
      app.tracker.on('started', ({ record }) => resolve(record.id)),
    )
    const call = job(10)
    const id = await startedId

    const stream = await openStream(`${base}/computations/${id}/events`)
    t.equal(stream.res.status, 200)
    t.match(stream.res.headers.get('content-type'), /^text\/event-stream/)
    await until(() => stream.events.length >= 1)
    t.match(stream.events[0], { id: '1', event: 'status', data: { id, status: 'started' } })

    progressed.resolve()
    await until(() => stream.events.some((e) => e.event === 'progress'))
    const progress = stream.events.find((e) => e.event === 'progress')!
    t.match(progress.data, { id, status: 'started', progress: { fraction: 0.5, note: '5 of 10' } })

    finish.resolve()
    t.equal(await call, 10)
    await stream.pump
    t.ok(stream.state.ended, 'the server closed the stream')
    const last = stream.events.slice(-2)
    t.match(last, [
      { event: 'status', data: { status: 'finished' } },
      { event: 'end', data: { id, status: 'finished' } },
    ])
    const ids = stream.events.map((e) => Number(e.id))
    t.same(
      ids,
      ids.map((_, i) => i + 1),
      'ids count up',
    )
  },
)

t.test('runs of another process are followed by polling the store', async (t) => {
  const store = new MemoryStore()
  t.teardown(() => store.close())
  const app = await build(t, { store, tracker: { sse: { pollMs: 20 } } })
  const base = await listen(t, app)
  const record = await seed(store)
  const stream = await openStream(`${base}/computations/${record.id}/events`)
  await until(() => stream.events.length >= 1)
  t.match(stream.events[0], { event: 'status', data: { status: 'queued' } })

  // "Another process" writes to the store directly.
  await store.computations.update('default', record.id, 'queued', { status: 'started' })
  await until(() => stream.events.length >= 2)
  await store.computations.update('default', record.id, 'started', { message: 'half way' })
  await until(() => stream.events.length >= 3)
  await store.computations.update('default', record.id, 'started', {
    status: 'failed',
    error: { name: 'Error', message: 'boom' },
  })
  await stream.pump
  t.same(
    stream.events.map((e) => [e.event, (e.data as { status: string }).status]),
    [
      ['status', 'queued'],
      ['status', 'started'],
      ['progress', 'started'],
      ['status', 'failed'],
      ['end', 'failed'],
    ],
  )
  t.match(stream.events[2]?.data, { message: 'half way' })
})

t.test('heartbeats, a deleted record ends the stream with null', async (t) => {
  const store = new MemoryStore()
  t.teardown(() => store.close())
  const app = await build(t, { store, tracker: { sse: { pollMs: 20, heartbeatMs: 100 } } })
  const base = await listen(t, app)
  const record = await seed(store)
  const stream = await openStream(`${base}/computations/${record.id}/events`)
  await until(() => stream.comments.includes('heartbeat'))
  await store.computations.delete('default', record.id)
  await stream.pump
  t.match(stream.events.at(-1), { event: 'end', data: null })
})

t.test('polling stops when the client disconnects', async (t) => {
  const store = new MemoryStore()
  t.teardown(() => store.close())
  let reads = 0
  const get = store.computations.get.bind(store.computations)
  store.computations.get = (namespace, id) => {
    reads++
    return get(namespace, id)
  }
  // fetch (undici) opens a spare connection after the abort, which would hold `close()` until its
  // keep-alive timeout (4 s): not the plugin's, so close every connection.
  const app = await build(t, {
    store,
    tracker: { sse: { pollMs: 10 } },
    server: { forceCloseConnections: true },
  })
  const base = await listen(t, app)
  const record = await seed(store)
  const stream = await openStream(`${base}/computations/${record.id}/events`)
  await until(() => reads > 5)
  stream.abort()
  await stream.pump
  await sleep(50)
  const after = reads
  await sleep(100)
  t.equal(reads, after, 'no more reads after the client left')
})

t.test('closing the server ends open streams (without `end`) instead of hanging', async (t) => {
  const store = new MemoryStore()
  t.teardown(() => store.close())
  const app = await build(t, { store, tracker: { sse: { pollMs: 20 } } })
  const base = await app.listen({ port: 0, host: '127.0.0.1' })
  const record = await seed(store)
  const stream = await openStream(`${base}/computations/${record.id}/events`)
  await until(() => stream.events.length >= 1)
  const started = Date.now()
  await app.close()
  await stream.pump
  t.ok(Date.now() - started < 2000, 'closed promptly')
  t.ok(stream.state.ended)
  t.notOk(
    stream.events.some((e) => e.event === 'end'),
    'no end event: the run is not over',
  )
})

t.test('with auth: the stream needs a viewer token of the namespace', async (t) => {
  const store = new MemoryStore()
  t.teardown(() => store.close())
  const app = await build(t, { store, auth: true, tracker: { sse: { pollMs: 20 } } })
  const base = await listen(t, app)
  const record = await seed(store, { namespace: 'team-a' })
  await store.computations.update('team-a', record.id, 'queued', { status: 'failed' })
  const url = `${base}/computations/${record.id}/events`
  t.equal((await fetch(url)).status, 401)
  t.equal((await fetch(url, { headers: tokenFor(app, 'viewer', ['team-b']) })).status, 404)
  const stream = await openStream(url, tokenFor(app, 'viewer', ['team-a']))
  await stream.pump
  t.same(
    stream.events.map((e) => e.event),
    ['status', 'end'],
  )
})
