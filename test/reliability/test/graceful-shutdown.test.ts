// Guarantee 7: SIGTERM during load — requests started before the signal complete (no connection reset),
// the process exits 0 within the documented time, and the SQLite file is intact with no run left started.
import { request } from 'node:http'
import { join } from 'node:path'
import { SqliteStore } from '@comp-manager/sqlite-store'
import Database from 'better-sqlite3'
import t from 'tap'
import { serverEnv } from './app.js'
import { report, SOAK, sleep, startExampleServer, tempDir, until } from './helpers.js'
import { runLoad } from './load.js'

const SHUTDOWN_TIMEOUT_MS = 10_000 // the server's default (SHUTDOWN_TIMEOUT)
/** startServer's documented hard limit: 2 × shutdownTimeoutMs + 5 s. */
const EXIT_LIMIT_MS = 2 * SHUTDOWN_TIMEOUT_MS + 5000
const ROUNDS = SOAK ? 3 : 1
const IN_FLIGHT = 30
const LATE = 10

interface Outcome {
  id: string
  status?: number
  error?: string
}

function send(url: string, token: string, i: number): Promise<Outcome> {
  const id = `rel-${i}`
  // Distinct inputs (cache misses) that take a moment to factor, mixed with reads.
  const post = i % 3 !== 0
  const body = post ? JSON.stringify({ n: String(10n ** 17n + BigInt(7919 * i + 3)) }) : undefined
  return new Promise((resolve) => {
    const req = request(
      `${url}${post ? '/api/v1/demo/factor' : '/api/v1/computations?per_page=20'}`,
      {
        method: post ? 'POST' : 'GET',
        agent: false,
        headers: {
          authorization: `Bearer ${token}`,
          'x-request-id': id,
          ...(post ? { 'content-type': 'application/json' } : {}),
        },
        timeout: 60_000,
      },
      (res) => {
        res.resume()
        res.on('end', () => resolve({ id, status: res.statusCode ?? 0 }))
        res.on('error', (err) => resolve({ id, error: (err as NodeJS.ErrnoException).code ?? err.message }))
      },
    )
    req.on('error', (err) => resolve({ id, error: (err as NodeJS.ErrnoException).code ?? err.message }))
    req.on('timeout', () => req.destroy(new Error('client timeout')))
    req.end(body)
  })
}

t.test('graceful shutdown: SIGTERM during load drains, exits 0, leaves an intact file', async (t) => {
  const figures: Array<Record<string, unknown>> = []
  for (let round = 0; round < ROUNDS; round++) {
    const { dir, cleanup } = tempDir('shutdown')
    t.teardown(cleanup)
    const { env } = serverEnv(dir, { LOG_LEVEL: 'debug' })
    const server = await startExampleServer(env)
    t.teardown(() => {
      if (server.proc.exitCode === null) server.proc.kill('SIGKILL')
    })

    // Background load, then requests that are surely under way when the signal arrives.
    const load = runLoad(server.url, server.token, 4, 20)
    await sleep(1500)
    const inflight = Array.from({ length: IN_FLIGHT }, (_, i) =>
      send(server.url, server.token, round * 1000 + i),
    )
    // Signal once the server has read some of them (bounded wait): those are in flight for sure.
    await until(() => server.received.size >= IN_FLIGHT / 2, 5000, 10)
    const receivedAtSignal = server.received.size
    // A last batch sent right before the signal: started by the client, maybe not read by the server yet.
    const late = Array.from({ length: LATE }, (_, i) =>
      send(server.url, server.token, round * 1000 + 500 + i),
    )
    await sleep(20)
    const signalledAt = Date.now()
    server.proc.kill('SIGTERM')
    const outcomes = [...(await Promise.all(inflight)), ...(await Promise.all(late))]
    const exit = await server.exited
    const exitMs = Date.now() - signalledAt
    const loadResult = await load

    const errors = outcomes.filter((o) => o.error !== undefined)
    const ok = outcomes.filter((o) => o.status !== undefined && o.status >= 200 && o.status < 300).length
    const unavailable = outcomes.filter((o) => o.status === 503).length
    // Requests the server had received (logged `incoming request`) before closing must all be answered.
    const receivedErrors = errors.filter((o) => server.received.has(o.id))
    const unreadErrors = errors.filter((o) => !server.received.has(o.id))
    t.same(
      receivedErrors.map((e) => `${e.id}: ${e.error}`),
      [],
      'no request the server had received got a connection error',
    )
    t.same(
      unreadErrors.map((e) => `${e.id}: ${e.error}`).slice(0, 5),
      [],
      'no request sent before the signal (even just before, unread) got a connection error',
    )
    t.ok(
      outcomes.every(
        (o) => o.status === undefined || (o.status >= 200 && o.status < 300) || o.status === 503,
      ),
      `each got its answer (${ok} 2xx, ${unavailable} 503 shutting down)`,
    )
    t.equal(exit.code, 0, 'the server exits 0', { stderr: server.stderr().slice(-2000) })
    t.ok(exitMs < EXIT_LIMIT_MS, `within the documented limit (${exitMs} ms < ${EXIT_LIMIT_MS} ms)`)

    // The request logs (info level: one line per request) never repeat the bearer token of the banner.
    const tokenSeen = server.stdout().split(server.token).length - 1
    t.equal(
      tokenSeen,
      1,
      'the token appears once in the output: in the development banner, not in request logs',
    )
    const db = new Database(join(dir, 'comp-manager.db'), { readonly: true })
    const integrity = db.pragma('integrity_check', { simple: true })
    db.close()
    t.equal(integrity, 'ok', 'PRAGMA integrity_check is ok')
    const store = new SqliteStore({ path: join(dir, 'comp-manager.db') })
    const started = await store.computations.list({ namespace: ['default'], status: 'started', perPage: 100 })
    const total = await store.computations.list({ namespace: ['default'], perPage: 1 })
    await store.close()
    t.equal(started.total, 0, 'no computation left started')
    t.ok(
      started.data.every((r) => r.leaseUntil !== null && r.leaseUntil !== undefined),
      'no started record without a lease',
    )
    figures.push({
      inFlight: IN_FLIGHT,
      sentJustBeforeSignal: LATE,
      receivedAtSignal,
      completed2xx: ok,
      shuttingDown503: unavailable,
      connectionErrors: errors.length,
      resetAfterReceived: receivedErrors.length,
      resetBeforeRead: unreadErrors.length,
      exitCode: exit.code,
      exitMs,
      records: total.total,
      leftStarted: started.total,
      integrity,
      loadRequests: loadResult.requests.total,
      load5xx: loadResult['5xx'],
      loadErrorsAfterSignal: loadResult.errors,
    })
  }
  report(t, 'graceful-shutdown', { rounds: ROUNDS, ...figures[figures.length - 1], all: figures })
})
