// A hostile-body flood (issue 13): concurrent clients send worst-case bodies to a real server process
// (deep nesting, a 1 MB BigInt, ~115 k small objects, oversize, forged tokens), back to back, with the rate
// limit out of the way, while a prober in another process (this one) measures `/health`: p99 < 100 ms.
import { loadavg } from 'node:os'
import t from 'tap'
import { serverEnv } from './app.js'
import { killIfAlive, report, SOAK, sleep, spawnFixture, startExampleServer, tempDir } from './helpers.js'

const CLIENTS = 4
const PROBE_EVERY_MS = 20
const DURATION_MS = SOAK ? 60_000 : 10_000
const P99_BOUND_MS = 100

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!

t.test(`hostile-body flood (${CLIENTS} clients): /health p99 < ${P99_BOUND_MS} ms throughout`, async (t) => {
  const { dir, cleanup } = tempDir('hostile')
  t.teardown(cleanup)
  const { env } = serverEnv(dir, { LOG_LEVEL: 'warn' })
  const server = await startExampleServer(env)
  t.teardown(() => server.proc.kill('SIGKILL'))
  const health = `${server.url}/health`
  const probe = async () => {
    const started = performance.now()
    const res = await fetch(health)
    await res.arrayBuffer()
    return { ms: performance.now() - started, status: res.status }
  }
  for (let i = 0; i < 20; i++) await probe() // warm-up
  // The same probing without the flood, for the report: what the shared machine alone costs.
  const idle: number[] = []
  for (let i = 0; i < 100; i++) {
    idle.push((await probe()).ms)
    await sleep(PROBE_EVERY_MS)
  }
  idle.sort((a, b) => a - b)

  const flood = spawnFixture('hostile-flood.mjs', [server.url, server.token, String(CLIENTS)])
  t.teardown(() => killIfAlive(flood))
  await flood.waitFor((m) => m.type === 'ready')
  await sleep(500) // the flood is under way
  const latencies: number[] = []
  const statuses = new Map<number, number>()
  const deadline = Date.now() + DURATION_MS
  while (Date.now() < deadline) {
    const { ms, status } = await probe()
    latencies.push(ms)
    statuses.set(status, (statuses.get(status) ?? 0) + 1)
    await sleep(PROBE_EVERY_MS)
  }
  flood.proc.send('stop')
  const done = await flood.waitFor((m) => m.type === 'done', 60_000)
  const counts = done.counts as Record<string, number>
  const sorted = [...latencies].sort((a, b) => a - b)
  const p50 = quantile(sorted, 0.5)
  const p99 = quantile(sorted, 0.99)
  const max = sorted[sorted.length - 1]!
  const hostile = Object.values(counts).reduce((a, b) => a + b, 0)

  t.ok(latencies.length >= 200, `${latencies.length} probes (≥ 200 for a p99)`)
  t.same([...statuses.keys()], [200], 'every probe answered 200')
  t.ok(hostile >= CLIENTS * 4, `${hostile} hostile requests were served meanwhile`)
  const accepted = Object.entries(counts).filter(([key]) => / 2\d\d$/.test(key))
  t.same(accepted, [], 'no hostile body was accepted')
  const errors = Object.entries(counts).filter(([key]) => / 5\d\d$/.test(key))
  t.same(errors, [], 'no 5xx')
  t.ok(p99 < P99_BOUND_MS, `/health p99 ${p99.toFixed(1)} ms < ${P99_BOUND_MS} ms`)
  report(t, 'hostile-bodies', {
    clients: CLIENTS,
    probes: latencies.length,
    p50Ms: Math.round(p50 * 10) / 10,
    p99Ms: Math.round(p99 * 10) / 10,
    maxMs: Math.round(max * 10) / 10,
    idleP50Ms: Math.round(quantile(idle, 0.5) * 10) / 10,
    idleP99Ms: Math.round(quantile(idle, 0.99) * 10) / 10,
    loadAverage: loadavg()[0],
    hostile,
    counts,
  })
})
