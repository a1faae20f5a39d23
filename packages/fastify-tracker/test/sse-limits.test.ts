// Budgets of the event stream (issue 13): streams capped per client and in all (429 + retry-after),
// idle streams closed, stalled readers destroyed, no keep-alive socket left after a stream, summaries.
import { connect, type Socket } from 'node:net'
import { MemoryStore } from '@comp-manager/core'
import t, { type Test } from 'tap'
import type { FastifyTrackerOptions } from '../src/index.js'
import { build, seed, sleep, tokenFor, until } from './fixtures/helpers.js'

interface RawStream {
  socket: Socket
  text: () => string
  closed: () => boolean
}

/** An HTTP/1.1 request on a raw socket (keep-alive by default), its answer collected as text. */
function rawGet(port: number, path: string, headers: Record<string, string> = {}): RawStream {
  const socket = connect(port, '127.0.0.1')
  const chunks: Buffer[] = []
  let closed = false
  socket.on('data', (chunk: Buffer) => chunks.push(chunk))
  socket.on('close', () => {
    closed = true
  })
  socket.on('error', () => {})
  const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`)
  socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n${lines.join('')}\r\n`)
  return { socket, text: () => Buffer.concat(chunks).toString('utf8'), closed: () => closed }
}

async function setup(t: Test, sse: FastifyTrackerOptions['sse'], auth = false) {
  const store = new MemoryStore()
  t.teardown(() => store.close())
  const app = await build(t, { store, auth, tracker: { sse: { pollMs: 20, ...sse } } })
  const address = await app.listen({ port: 0, host: '127.0.0.1' })
  const port = Number(new URL(address).port)
  const record = await seed(store)
  await store.computations.update('default', record.id, 'queued', { status: 'started' })
  const open: RawStream[] = []
  t.teardown(() => {
    for (const s of open) s.socket.destroy()
  })
  const stream = async (headers?: Record<string, string>) => {
    const s = rawGet(port, `/computations/${record.id}/events`, headers)
    open.push(s)
    await until(() => /^HTTP\/1\.1 \d{3}/.test(s.text()) && (s.text().includes('\r\n\r\n') || s.closed()))
    return s
  }
  return { app, store, record, port, stream }
}

const status = (s: RawStream): number => Number(s.text().slice(9, 12))

function expect429(t: Test, s: RawStream, limit: string): void {
  t.equal(status(s), 429, `over ${limit}: 429`)
  t.match(s.text(), /\r\nretry-after: \d+\r\n/i, 'retry-after')
  const body = JSON.parse(
    s
      .text()
      .slice(s.text().indexOf('\r\n\r\n') + 4)
      .replace(/^[0-9a-f]+\r\n/, ''),
  )
  t.equal(body.code, 'CM_ERR_RATE_LIMITED')
  t.equal(body.details?.limit, limit)
}

t.test('maxStreamsPerClient: one more stream is 429; a closed stream frees its place', async (t) => {
  const { stream, app } = await setup(t, { maxStreamsPerClient: 2 })
  const a = await stream()
  const b = await stream()
  t.equal(status(a), 200)
  t.equal(status(b), 200)
  await until(() => b.text().includes('event: status'))
  const c = await stream()
  expect429(t, c, 'maxStreamsPerClient')
  a.socket.destroy()
  await until(async () => (await stream()).text().startsWith('HTTP/1.1 200'))
  t.pass('a place freed by a disconnect is given again')
  await app.close()
})

t.test('maxStreamsPerClient counts per token subject, maxStreams in all', async (t) => {
  const { stream, app } = await setup(t, { maxStreamsPerClient: 1, maxStreams: 3 }, true)
  const viewer = tokenFor(app, 'viewer', ['default'])
  const operator = tokenFor(app, 'operator', ['default'])
  const admin = tokenFor(app, 'admin', ['default'])
  t.equal(status(await stream(viewer)), 200, 'viewer: first stream')
  expect429(t, await stream(viewer), 'maxStreamsPerClient')
  t.equal(status(await stream(operator)), 200, 'another subject has its own count')
  t.equal(status(await stream(admin)), 200, 'a third subject')
  const other = {
    authorization: `Bearer ${app.issueToken({ sub: 'someone-else', role: 'viewer', namespaces: ['default'] })}`,
  }
  expect429(t, await stream(other), 'maxStreams')
  await app.close()
})

t.test('idleTimeoutMs: a stream without events is closed (no end event), its place freed', async (t) => {
  const { stream, app } = await setup(t, { idleTimeoutMs: 300, maxStreamsPerClient: 1 })
  const s = await stream()
  await until(() => s.text().includes('event: status'))
  const started = Date.now()
  await until(() => s.closed(), 5000)
  t.ok(Date.now() - started < 3000, `closed after ${Date.now() - started} ms`)
  t.notOk(s.text().includes('event: end'), 'no end event: the run is not over')
  t.equal(status(await stream()), 200, 'the place is free again')
  await app.close()
})

t.test('stallTimeoutMs: a reader that never drains is destroyed and frees its place', async (t) => {
  const { stream, store, record, app } = await setup(t, { stallTimeoutMs: 300, maxStreamsPerClient: 1 })
  const s = await stream()
  await until(() => s.text().includes('event: status'))
  s.socket.pause()
  const pad = 'x'.repeat(60 * 1024)
  for (let i = 0; i < 200 && !s.closed(); i++) {
    await store.computations.update('default', record.id, 'started', { message: `step ${i} ${pad}` })
    await sleep(25)
  }
  s.socket.resume()
  await until(() => s.closed(), 5000)
  t.ok(s.closed(), 'the stalled connection was destroyed')
  t.equal(status(await stream()), 200, 'the place is free again')
  await app.close()
})

t.test('a stream that ends closes its connection (no keep-alive socket lingers)', async (t) => {
  const { stream, store, record, app } = await setup(t, {})
  const s = await stream()
  t.match(s.text(), /\r\nconnection: close\r\n/i)
  await until(() => s.text().includes('event: status'))
  await store.computations.update('default', record.id, 'started', { status: 'finished' })
  await until(() => s.text().includes('event: end'))
  const ended = Date.now()
  await until(() => s.closed(), 3000)
  t.ok(Date.now() - ended < 2000, `socket closed ${Date.now() - ended} ms after end`)
  await app.close()
})

t.test('events carry a summary: no args, no checkpoint', async (t) => {
  const { stream, store, record, app } = await setup(t, {})
  const s = await stream()
  await store.computations.update('default', record.id, 'started', { status: 'finished' })
  await until(() => s.text().includes('event: end'))
  const data = [...s.text().matchAll(/^data: (.*)$/gm)].map((m) => JSON.parse(m[1]!))
  t.ok(data.length >= 2)
  for (const d of data) {
    t.equal(d.id, record.id)
    t.notOk('args' in d, 'no args')
    t.notOk('checkpoint' in d, 'no checkpoint')
    t.type(d.runningTimeMs, 'number')
  }
  await app.close()
})

t.test('bad stream options are refused at register()', async (t) => {
  const bad: Record<string, unknown>[] = [
    { maxStreams: 0 },
    { maxStreams: -1 },
    { maxStreams: 1.5 },
    { maxStreams: '10' },
    { maxStreamsPerClient: 0 },
    { maxStreamsPerClient: null },
    { idleTimeoutMs: 'forever' },
    { idleTimeoutMs: 10 },
    { stallTimeoutMs: -5 },
    { stallTimeoutMs: { $gt: 1 } },
    { maxStream: 5 },
  ]
  for (const sse of bad) {
    const store = new MemoryStore()
    t.teardown(() => store.close())
    await t.rejects(
      build(t, { store, tracker: { sse } as FastifyTrackerOptions }),
      { code: 'CM_ERR_INVALID_ARGUMENT' },
      JSON.stringify(sse),
    )
  }
})
