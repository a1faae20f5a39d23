import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'
import { MemoryStore } from '@comp-manager/core'
import type { FastifyInstance } from 'fastify'
import t from 'tap'
import { SHUTTING_DOWN_CODE } from '../src/index.js'
import { build } from './fixtures/helpers.js'

/** A route that waits until `release()` is called (or `ms`), and tells when it started. */
function slowRoute(ms = 60_000) {
  let started!: () => void
  const startedP = new Promise<void>((resolve) => (started = resolve))
  let release!: () => void
  const releaseP = new Promise<void>((resolve) => (release = resolve))
  return {
    started: startedP,
    release: () => release(),
    routes: (api: FastifyInstance) => {
      api.get('/slow', { schema: { tags: ['test'], summary: 'Slow' } }, async () => {
        started()
        let timer: NodeJS.Timeout | undefined
        await Promise.race([releaseP, new Promise((resolve) => (timer = setTimeout(resolve, ms)))])
        clearTimeout(timer)
        return { done: true }
      })
    },
  }
}

t.test(
  'close(): requests are served during the grace period, a slow in-flight request completes, then the server stops accepting',
  async (t) => {
    const slow = slowRoute()
    const app = await build(
      t,
      { AUTH_ENABLED: 'false', SHUTDOWN_TIMEOUT_MS: '5000' },
      { routes: slow.routes },
    )
    const address = await app.listen({ port: 0, host: '127.0.0.1' })
    const inFlight = fetch(`${address}/api/v1/slow`)
    await slow.started
    let closed = false
    const closing = app.close().then(() => (closed = true))
    // During the 1 s grace period requests are still served (with `connection: close`)…
    await new Promise((resolve) => setTimeout(resolve, 100))
    t.equal(app.compShutdown.closing, false, 'grace period: not refusing yet')
    const during = await fetch(`${address}/health`)
    t.equal(during.status, 200)
    t.equal(during.headers.get('connection'), 'close', 'answered with connection: close')
    // …then the listener closes.
    await new Promise((resolve) => setTimeout(resolve, 1200))
    t.equal(closed, false, 'close waits for the in-flight request')
    t.equal(app.compShutdown.closing, true)
    await t.rejects(fetch(`${address}/health`), 'no new connection is accepted')
    slow.release()
    const res = await inFlight
    t.equal(res.status, 200)
    t.same(await res.json(), { done: true })
    await closing
    t.equal(closed, true)
  },
)

t.test('close(): in-flight requests are cut after SHUTDOWN_TIMEOUT_MS', async (t) => {
  const slow = slowRoute()
  const app = await build(t, { AUTH_ENABLED: 'false', SHUTDOWN_TIMEOUT_MS: '200' }, { routes: slow.routes })
  const address = await app.listen({ port: 0, host: '127.0.0.1' })
  const inFlight = fetch(`${address}/api/v1/slow`).then(
    () => 'answered',
    () => 'cut',
  )
  await slow.started
  const started = Date.now()
  await app.close()
  const took = Date.now() - started
  t.ok(took >= 150 && took < 3000, `closed after ${took} ms`)
  t.equal(await inFlight, 'cut')
  slow.release()
})

t.test(
  'a request that reaches a closing server gets 503 CM_ERR_SHUTTING_DOWN in the standard body',
  async (t) => {
    const slow = slowRoute()
    const app = await build(
      t,
      { AUTH_ENABLED: 'false', SHUTDOWN_TIMEOUT_MS: '5000' },
      { routes: slow.routes },
    )
    const address = new URL(await app.listen({ port: 0, host: '127.0.0.1' }))
    const inFlight = fetch(`${address.origin}/api/v1/slow`)
    await slow.started
    // A client already connected, half-way through sending its request when the shutdown starts.
    const socket = connect(Number(address.port), address.hostname)
    await once(socket, 'connect')
    socket.write('GET /health HTTP/1.1\r\nHost: localhost\r\n')
    await new Promise((resolve) => setTimeout(resolve, 50))
    const closing = app.close()
    while (!app.compShutdown.closing) await new Promise((resolve) => setImmediate(resolve))
    let raw = ''
    socket.setEncoding('utf8')
    socket.on('data', (chunk) => (raw += chunk))
    socket.write('x-request-id: late-1\r\n\r\n')
    await once(socket, 'close')
    const [head = '', body = ''] = raw.split('\r\n\r\n')
    t.match(head, /^HTTP\/1.1 503 /)
    t.match(head, /\r\nconnection: close/i)
    t.same(JSON.parse(body), {
      statusCode: 503,
      code: SHUTTING_DOWN_CODE,
      error: 'Service Unavailable',
      message: 'The server is shutting down: retry the request',
      requestId: 'late-1',
    })
    slow.release()
    t.equal((await inFlight).status, 200)
    await closing
  },
)

t.test("close(): this process's running computations may finish, the rest are marked lost", async (t) => {
  const store = new MemoryStore()
  const app = await build(t, { SHUTDOWN_TIMEOUT_MS: '400' }, { store })
  let finishQuick!: () => void
  const quick = app.tracker.track(
    'quick',
    () => new Promise<string>((resolve) => (finishQuick = () => resolve('ok'))),
  )
  const stuck = app.tracker.track(
    'stuck',
    (ctx: { signal: AbortSignal }) => {
      return new Promise((_resolve, reject) => {
        ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))
      })
    },
    { context: true },
  )
  const quickCall = quick()
  const stuckCall = (stuck as () => Promise<unknown>)().catch((err: unknown) => err)
  await new Promise((resolve) => setTimeout(resolve, 50))
  const running = await store.computations.list({ namespace: 'default', status: 'started' })
  t.equal(running.total, 2, 'two runs started')

  const closing = app.close()
  setTimeout(() => finishQuick(), 100)
  await closing
  t.equal(await quickCall, 'ok')

  const [quickRun] = (await store.computations.list({ namespace: 'default', function: 'quick' })).data
  const [stuckRun] = (await store.computations.list({ namespace: 'default', function: 'stuck' })).data
  t.equal(quickRun?.status, 'finished', 'the run that ended within the timeout is finished')
  t.equal(stuckRun?.status, 'lost', 'the run still going is lost')
  t.match(stuckRun?.message, /abandoned: process \d+ on .+ shut down before the run ended/)
  t.equal(stuckRun?.leaseUntil, null)
  void stuckCall
})

const dist = join(import.meta.dirname, '..', 'dist', 'index.js')

t.test(
  'startServer: SIGTERM lets the in-flight request finish, then exits 0',
  { skip: !existsSync(dist) && 'build first (dist/ is missing)' },
  async (t) => {
    const child = spawn(process.execPath, [join(import.meta.dirname, 'fixtures', 'start-server.mjs')], {
      env: { ...process.env, JWT_SECRET: 'Xq7vN2pLk9RzT4wYb8HmC3jFs6GdA1eU0oIi' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    t.teardown(() => child.kill('SIGKILL'))
    let stdout = ''
    let stderr = ''
    child.stderr.on('data', (chunk) => (stderr += chunk))
    const address = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk) => {
        stdout += chunk
        const match = /listening on (http:\/\/\S+)/.exec(stdout)
        if (match) resolve(match[1]!)
      })
      child.once('exit', (code) => reject(new Error(`exited early (${code}): ${stderr}`)))
    })
    const inFlight = fetch(`${address}/api/v1/slow`)
    while (!stdout.includes('slow request started')) await new Promise((resolve) => setTimeout(resolve, 10))
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    child.kill('SIGTERM')
    const res = await inFlight
    t.equal(res.status, 200, 'the in-flight request was answered')
    t.same(await res.json(), { done: true })
    t.equal(await exited, 0, `exit code 0 ${stderr}`)
  },
)
