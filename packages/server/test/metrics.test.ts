import { encode, MemoryStore } from '@comp-manager/core'
import t from 'tap'
import { buildApp } from '../src/index.js'
import { bearer, build, testConfig } from './fixtures/helpers.js'

const METRICS_TOKEN = 'scrape-token-abcdefghijklmnop'

/** The value of a sample line `name{…labels…} value` whose labels contain every `parts`. */
function sample(text: string, name: string, ...parts: string[]): number {
  let sum = 0
  for (const line of text.split('\n')) {
    const m = /^([a-z_:]+)(\{.*\})? (\S+)$/.exec(line)
    if (m === null || m[1] !== name) continue
    if (parts.every((p) => (m[2] ?? '').includes(p))) sum += Number(m[3])
  }
  return sum
}

t.test('without METRICS_TOKEN or METRICS_PORT there is no /metrics', async (t) => {
  const app = await build(t)
  t.equal((await app.inject('/metrics')).statusCode, 404)
})

t.test(
  'METRICS_TOKEN: /metrics counts the API requests by route pattern; 401 without the token',
  async (t) => {
    const app = await build(t, { METRICS_TOKEN })
    const auth = bearer(app, 'admin')
    for (let i = 0; i < 3; i++) {
      t.equal((await app.inject({ url: '/api/v1/computations', headers: auth })).statusCode, 200)
    }
    t.equal((await app.inject({ url: '/api/v1/computations/no-such-id', headers: auth })).statusCode, 404)

    for (const headers of [{}, auth]) {
      const res = await app.inject({ url: '/metrics', headers })
      t.equal(res.statusCode, 401, 'only the metrics token opens /metrics')
      t.equal(res.json().code, 'CM_ERR_UNAUTHORIZED')
      t.type(res.json().requestId, 'string')
    }
    const res = await app.inject({ url: '/metrics', headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
    t.equal(res.statusCode, 200)
    const text = res.body
    t.equal(
      sample(text, 'comp_manager_http_requests_total', 'route="/api/v1/computations', 'status_code="200"'),
      3,
    )
    t.equal(
      sample(
        text,
        'comp_manager_http_requests_total',
        'route="/api/v1/computations/:id"',
        'status_code="404"',
      ),
      1,
    )
    t.notMatch(text, 'no-such-id')
    t.ok(
      sample(text, 'comp_manager_store_operation_duration_seconds_count', 'operation="computations.list"') >=
        3,
    )
    t.match(text, /comp_manager_queue_depth 0/)
    // Not in the OpenAPI document.
    const doc = (await app.inject('/docs/json')).json()
    t.notOk(Object.keys(doc.paths).some((p) => p.includes('metrics')))
  },
)

t.test('a separate metrics port: /metrics is served there, not on the app', async (t) => {
  const config = { ...testConfig(), metrics: { token: METRICS_TOKEN, port: 0, host: '127.0.0.1' } }
  const app = await buildApp(config, { store: new MemoryStore(), logger: false })
  t.teardown(() => app.close())
  t.equal((await app.inject('/metrics')).statusCode, 404)
  const address = app.compMetrics.address()
  if (address === null) throw new Error('the metrics server listens once the app is ready')
  const url = `http://${address.host}:${address.port}/metrics`
  t.equal((await fetch(url)).status, 401)
  const res = await fetch(url, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
  t.equal(res.status, 200)
  t.match(await res.text(), /# TYPE comp_manager_runs_total counter/)
})

t.test(
  'the runs of HTTP workers count in comp_manager_runs_total by outcome, with their duration',
  async (t) => {
    const app = await build(t, { METRICS_TOKEN })
    const auth = bearer(app, 'admin')
    const post = async (url: string, payload: Record<string, unknown>) => {
      const res = await app.inject({ method: 'POST', url: `/api/v1${url}`, headers: auth, payload })
      if (res.statusCode >= 300) throw new Error(`${url}: ${res.statusCode} ${res.body}`)
      return res.json()
    }
    const claimOne = async (fn: string) => {
      const { jobs } = await post('/workers/claim', { workerId: 'http-worker', functions: [fn] })
      return jobs[0] as { id: string; leaseToken: string }
    }
    await post('/computations', { function: 'remote.ok', args: [1], status: 'queued' })
    await post('/computations', { function: 'remote.ok', args: [2], status: 'queued' })
    await post('/computations', { function: 'remote.bad', args: [1], status: 'queued', attempts: 2 })
    for (let i = 0; i < 2; i++) {
      const job = await claimOne('remote.ok')
      await post(`/computations/${job.id}/complete`, { leaseToken: job.leaseToken, result: encode(1n) })
    }
    const error = { name: 'RemoteError', message: 'no' }
    const first = await claimOne('remote.bad')
    const retried = await post(`/computations/${first.id}/fail`, {
      leaseToken: first.leaseToken,
      error,
      retryable: true,
    })
    t.equal(retried.status, 'queued')

    const text = (
      await app.inject({ url: '/metrics', headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
    ).body
    t.equal(sample(text, 'comp_manager_runs_total', 'function="remote.ok"', 'outcome="finished"'), 2)
    t.equal(sample(text, 'comp_manager_runs_total', 'function="remote.bad"', 'outcome="retrying"'), 1)
    t.equal(sample(text, 'comp_manager_runs_total', 'function="remote.bad"', 'outcome="failed"'), 0)
    t.equal(
      sample(text, 'comp_manager_run_duration_seconds_count', 'function="remote.ok"', 'outcome="finished"'),
      2,
      'both durations observed',
    )
  },
)
