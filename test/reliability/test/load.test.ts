// Guarantee 4: the example server under bounded loopback load answers no 5xx and its memory stays
// within a documented bound after warm-up.
import t from 'tap'
import { serverEnv } from './app.js'
import { MB, report, rssOf, SOAK, sleep, startExampleServer, tempDir } from './helpers.js'
import { runLoad } from './load.js'

const DURATION_S = SOAK ? 30 : 5
const WARMUP_S = SOAK ? 5 : 2
const CONNECTIONS = 50
/** The documented bound: RSS growth after warm-up over the whole run. */
const RSS_GROWTH_BOUND = 64 * MB

t.test('load: 50 connections of mixed reads and cached triggers, zero 5xx, bounded RSS', async (t) => {
  const { dir, cleanup } = tempDir('load')
  t.teardown(cleanup)
  const { env } = serverEnv(dir, { LOG_LEVEL: 'warn' })
  const server = await startExampleServer(env)
  t.teardown(() => {
    if (server.proc.exitCode === null) server.proc.kill('SIGKILL')
  })

  const warm = await runLoad(server.url, server.token, WARMUP_S, CONNECTIONS)
  t.equal(warm['5xx'], 0, 'no 5xx during warm-up')
  await sleep(500)

  const baseline = rssOf(server.proc.pid)
  const samples: number[] = [baseline]
  const sampler = setInterval(() => samples.push(rssOf(server.proc.pid)), 250)
  let result: Awaited<ReturnType<typeof runLoad>>
  try {
    result = await runLoad(server.url, server.token, DURATION_S, CONNECTIONS)
  } finally {
    clearInterval(sampler)
  }
  samples.push(rssOf(server.proc.pid))
  const valid = samples.filter((s) => Number.isFinite(s))
  const peak = Math.max(...valid)
  const final = valid[valid.length - 1] ?? Number.NaN

  t.ok(result.requests.total > 0, `${result.requests.total} requests served`)
  t.equal(result['5xx'], 0, 'zero 5xx')
  t.equal(result.errors, 0, 'no connection errors')
  t.equal(result.timeouts, 0, 'no timeouts')
  t.equal(result.non2xx, 0, 'every response is a 2xx (no 4xx/429 from the mix either)')
  t.ok(Number.isFinite(baseline), 'RSS sampled from the child')
  t.ok(
    peak - baseline < RSS_GROWTH_BOUND,
    `RSS growth after warm-up ${((peak - baseline) / MB).toFixed(1)} MB < 64 MB`,
  )
  t.equal(server.proc.exitCode, null, 'the server is still up')

  server.proc.kill('SIGTERM')
  const exit = await server.exited
  t.equal(exit.code, 0, 'and exits 0 on SIGTERM afterwards')

  report(t, 'load', {
    connections: CONNECTIONS,
    durationS: DURATION_S,
    requests: result.requests.total,
    rps: Math.round(result.requests.average),
    '2xx': result['2xx'],
    non2xx: result.non2xx,
    '5xx': result['5xx'],
    errors: result.errors,
    timeouts: result.timeouts,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    maxMs: result.latency.max,
    rssBaselineMB: +(baseline / MB).toFixed(1),
    rssPeakMB: +(peak / MB).toFixed(1),
    rssFinalMB: +(final / MB).toFixed(1),
    rssGrowthMB: +((peak - baseline) / MB).toFixed(1),
  })
})
