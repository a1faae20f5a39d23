// GET /events and readers that stop reading, over a real listening server on a SQLite file: a reader
// that falls behind is caught up from the store (every event, in order, once), one that stays stalled
// past `stallTimeoutMs` is destroyed, and a stream without events is closed after `idleTimeoutMs`.
import type { Socket } from 'node:net'
import { connect } from 'node:net'
import { join } from 'node:path'
import type { EventLogStore, StoreEvent } from '@comp-manager/core'
import { SqliteStore } from '@comp-manager/sqlite-store'
import t, { type Test } from 'tap'
import type { FastifyTrackerOptions } from '../src/index.js'
import { build, sleep, until } from './fixtures/helpers.js'

/** 60 KB error messages: a few hundred `failed` events fill the socket buffers of a paused reader. */
const PAD = 'x'.repeat(60 * 1024)

async function serve(t: Test, sse: FastifyTrackerOptions['sse']) {
  const store = new SqliteStore({ path: join(t.testdir(), 'events.db') })
  t.teardown(() => store.close())
  // Every read of the log after a sequence, whoever makes it (the hub's poll or a stream's catch-up).
  const reads: number[] = []
  const tail = store.events.tail.bind(store.events)
  store.events.tail = (after, options) => {
    reads.push(after)
    return tail(after, options)
  }
  const app = await build(t, {
    store,
    tracker: { sse: { pollMs: 20, heartbeatMs: 60_000, ...sse } },
  })
  // The server's side of each connection: its write buffer shows when the reader stopped draining.
  const sockets: Socket[] = []
  app.server.on('connection', (socket: Socket) => sockets.push(socket))
  const address = await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  return { app, store, reads, sockets, port: Number(new URL(address).port) }
}

interface RawReader {
  socket: Socket
  /** The body so far (HTTP/1.0: no chunked encoding, the stream is the body). */
  body(): string
  status(): number
  closed(): boolean
}

/** `GET path` over HTTP/1.0 on a raw socket, so that the test decides when it reads (pause/resume). */
function rawGet(port: number, path: string): RawReader {
  const socket = connect(port, '127.0.0.1')
  const chunks: Buffer[] = []
  let closed = false
  socket.on('data', (chunk: Buffer) => chunks.push(chunk))
  socket.on('close', () => {
    closed = true
  })
  socket.on('error', () => {})
  socket.write(`GET ${path} HTTP/1.0\r\nHost: x\r\n\r\n`)
  const text = () => Buffer.concat(chunks).toString('utf8')
  return {
    socket,
    body: () => {
      const all = text()
      const end = all.indexOf('\r\n\r\n')
      return end === -1 ? '' : all.slice(end + 4)
    },
    status: () => Number(text().slice(9, 12)),
    closed: () => closed,
  }
}

/** The `id:` of every complete event block of an SSE body, in order. */
function idsOf(body: string): number[] {
  return [...body.matchAll(/^id: (\d+)\nevent: [^\n]+\ndata: [^\n]*\n\n/gm)].map((m) => Number(m[1]))
}

/** Every event of the log, oldest first. */
async function wholeLog(log: EventLogStore): Promise<StoreEvent[]> {
  const all: StoreEvent[] = []
  for (;;) {
    const page = await log.tail(all.at(-1)?.sequence ?? 0, { limit: 1000 })
    all.push(...page)
    if (page.length < 1000) return all
  }
}

/** One run claimed then failed with a 60 KB message: a small `started` and a large `failed` event. */
async function failedRun(store: SqliteStore, i: number): Promise<void> {
  const { record } = await store.computations.claim({
    namespace: 'default',
    function: 'big',
    functionFull: 'big',
    args: [i],
    hash: `big-${i}`,
    hashAlgorithm: 'sha256',
    owner: null,
    pid: 1,
    host: 'h',
    leaseMs: 60_000,
  })
  await store.computations.update('default', record.id, 'started', {
    status: 'failed',
    error: { name: 'Error', message: `run ${i} ${PAD}` },
  })
}

t.test('a reader that stops reading falls behind, then gets every event in order, once', async (t) => {
  const s = await serve(t, { stallTimeoutMs: 60_000 })
  const reader = rawGet(s.port, '/events')
  await until(() => reader.body().startsWith('retry: '))
  t.equal(reader.status(), 200)
  reader.socket.pause()

  // Fill the buffers until the server's socket holds what the kernel no longer takes.
  let runs = 0
  while (!s.sockets.some((socket) => socket.writableNeedDrain)) {
    if (runs === 2000) throw new Error('the socket never filled')
    await failedRun(s.store, runs++)
    await sleep(1)
  }
  t.pass(`the server's socket stopped draining after ${runs} runs`)
  // More changes while the reader is behind: the stream no longer takes them from the hub.
  for (let i = 0; i < 20; i++) await failedRun(s.store, runs++)
  // A few polls of the hub (pollMs 20) pass it on while the stream waits for its socket.
  await sleep(200)

  reader.socket.resume()
  const log = await wholeLog(s.store.events)
  t.equal(log.length, runs * 2, 'the log: a started and a failed event per run')
  await until(() => idsOf(reader.body()).length >= log.length, 30_000)
  const ids = idsOf(reader.body())
  t.same(
    ids,
    log.map((e) => e.sequence),
    'every event of the log, in order, none lost or repeated',
  )
  const behind = s.reads.some((after, i) => i > 0 && after < Math.max(...s.reads.slice(0, i)))
  t.ok(behind, 'the reader was caught up from the store (a read behind the hub)')
  t.notOk(reader.closed(), 'the stream stays open')
  const last = reader.body().lastIndexOf('event: failed\ndata: ')
  t.match(
    reader.body().slice(last),
    new RegExp(`"message":"run ${runs - 1} x`),
    'the last event is the last run',
  )
  reader.socket.destroy()
})

t.test('a reader stalled past stallTimeoutMs is destroyed, and its place freed', async (t) => {
  const s = await serve(t, { stallTimeoutMs: 300, maxStreamsPerClient: 1 })
  const reader = rawGet(s.port, '/events')
  await until(() => reader.body().startsWith('retry: '))
  reader.socket.pause()
  let runs = 0
  while (!s.sockets[0]!.destroyed) {
    if (runs === 2000) throw new Error('the stalled stream was never destroyed')
    await failedRun(s.store, runs++)
    await sleep(5)
  }
  t.ok(s.sockets[0]!.destroyed, `the server destroyed the connection after ${runs} runs`)
  reader.socket.resume()
  await until(() => reader.closed(), 10_000)
  const got = idsOf(reader.body()).length
  t.ok(got < runs * 2, `the reader got ${got} of ${runs * 2} events before it was cut off`)
  const next = rawGet(s.port, '/events')
  t.teardown(() => next.socket.destroy())
  await until(() => next.body().startsWith('retry: '))
  t.equal(next.status(), 200, 'the place is free again (maxStreamsPerClient: 1)')
})

t.test('idleTimeoutMs: a stream without events is closed; heartbeats do not keep it open', async (t) => {
  const s = await serve(t, { idleTimeoutMs: 400, heartbeatMs: 100, maxStreamsPerClient: 1 })
  const reader = rawGet(s.port, '/events')
  await until(() => reader.closed(), 10_000)
  t.equal(reader.status(), 200)
  t.match(reader.body(), /^retry: \d+\n\n/, 'the stream was open')
  t.match(reader.body(), /: heartbeat\n\n/, 'heartbeats were sent')
  t.same(idsOf(reader.body()), [], 'no event')
  t.notOk(s.sockets[0]!.errored, 'ended, not destroyed')
  const next = rawGet(s.port, '/events')
  t.teardown(() => next.socket.destroy())
  await until(() => next.body().startsWith('retry: '))
  t.equal(next.status(), 200, 'the place is free again')
})
