import { createCache } from '@comp-manager/cache'
import { createTracker } from '@comp-manager/tracker'
import t from 'tap'
import { buildTestApp, sampleValue, scrape, TOKEN } from './fixtures/helpers.js'

t.test('HTTP requests are counted by route pattern and status; ids are never labels', async (t) => {
  const app = await buildTestApp(t, { token: TOKEN }, (app) => {
    app.get('/things/:id', async (request, reply) => {
      const { id } = request.params as { id: string }
      if (id.startsWith('missing')) return reply.code(404).send({ missing: id })
      return { id }
    })
  })
  const ids = ['a1b2c3', 'd4e5f6', 'g7h8i9', 'j0k1l2', 'm3n4o5']
  for (const id of ids) t.equal((await app.inject(`/things/${id}`)).statusCode, 200)
  for (const id of ['missing-x1', 'missing-x2']) t.equal((await app.inject(`/things/${id}`)).statusCode, 404)
  await app.inject('/no/such/route/zz9')

  const { text, samples } = await scrape(app)
  const route = '/things/:id'
  t.equal(
    sampleValue(samples, 'comp_manager_http_requests_total', { route, status_code: '200', method: 'GET' }),
    5,
  )
  t.equal(sampleValue(samples, 'comp_manager_http_requests_total', { route, status_code: '404' }), 2)
  t.equal(
    sampleValue(samples, 'comp_manager_http_request_duration_seconds_count', { route, status_code: '200' }),
    5,
  )
  t.equal(
    sampleValue(samples, 'comp_manager_http_requests_total', { route: 'unmatched', status_code: '404' }),
    1,
  )
  // The scrapes themselves are not measured.
  t.equal(sampleValue(samples, 'comp_manager_http_requests_total', { route: '/metrics' }), 0)
  for (const id of [...ids, 'missing-x1', 'zz9']) t.notMatch(text, id, `no label holds ${id}`)
})

t.test('GET /metrics needs the token: 401 with the standard error body otherwise', async (t) => {
  const app = await buildTestApp(t)
  for (const headers of [{}, { authorization: 'Bearer wrong-token-0123456789' }, { authorization: TOKEN }]) {
    const res = await app.inject({ method: 'GET', url: '/metrics', headers })
    t.equal(res.statusCode, 401)
    const body = res.json()
    t.equal(body.code, 'CM_ERR_UNAUTHORIZED')
    t.equal(body.statusCode, 401)
    t.type(body.message, 'string')
  }
  const ok = await app.inject({
    method: 'GET',
    url: '/metrics',
    headers: { authorization: `Bearer ${TOKEN}` },
  })
  t.equal(ok.statusCode, 200)
  t.match(ok.headers['content-type'], /^text\/plain; version=0\.0\.4/)
})

t.test('runs by function and outcome, with their running time', async (t) => {
  const app = await buildTestApp(t)
  const tracker = createTracker({ store: app.compStore, namespace: 'default' })
  t.teardown(() => tracker.close())
  app.compMetrics.observeTracker(tracker)
  const square = tracker.track('square', async (n: number) => n * n)
  const explode = tracker.track('explode', async (n: number) => {
    throw new Error(`boom ${n}`)
  })
  for (const n of [1, 2, 3]) t.equal(await square(n), n * n)
  await t.rejects(explode(7), /boom 7/)

  const { text, samples } = await scrape(app)
  t.equal(sampleValue(samples, 'comp_manager_runs_total', { function: 'square', outcome: 'finished' }), 3)
  t.equal(sampleValue(samples, 'comp_manager_runs_total', { function: 'explode', outcome: 'failed' }), 1)
  t.equal(sampleValue(samples, 'comp_manager_runs_total', { function: 'square', outcome: 'failed' }), 0)
  t.equal(sampleValue(samples, 'comp_manager_run_duration_seconds_count', { function: 'square' }), 3)
  t.ok(sampleValue(samples, 'comp_manager_run_duration_seconds_sum', { function: 'square' }) >= 0)
  // Store operations of those runs were timed, by operation name.
  t.ok(sampleValue(samples, 'comp_manager_store_operation_duration_seconds_count', { outcome: 'ok' }) > 0)
  t.ok(
    sampleValue(samples, 'comp_manager_store_operation_duration_seconds_count', {
      operation: 'computations.claim',
    }) >= 4,
  )
  t.notMatch(text, /computation_id|[0-9a-f]{32}/, 'no id as a label')
})

t.test('cache hits, misses and fills, with fill times', async (t) => {
  const app = await buildTestApp(t)
  const cache = createCache({ store: app.compStore, namespace: 'default' })
  t.teardown(() => cache.close())
  app.compMetrics.observeCache(cache)
  let calls = 0
  const double = cache.wrap('double', async (n: number) => {
    calls++
    return n * 2
  })
  for (let i = 0; i < 5; i++) t.equal(await double(21), 42) // 1 miss + fill, 4 hits
  t.equal(await double(1), 2) // 1 more miss + fill
  t.equal(calls, 2)

  const { samples } = await scrape(app)
  t.equal(sampleValue(samples, 'comp_manager_cache_hits_total', { function: 'double' }), 4)
  t.equal(sampleValue(samples, 'comp_manager_cache_misses_total', { function: 'double' }), 2)
  t.equal(sampleValue(samples, 'comp_manager_cache_fills_total', { function: 'double' }), 2)
  t.equal(sampleValue(samples, 'comp_manager_cache_fill_duration_seconds_count', { function: 'double' }), 2)
})

t.test('queue depth and running gauges read the store (every process of the fleet)', async (t) => {
  const app = await buildTestApp(t)
  const queue = app.compStore.queue
  if (queue === undefined) throw new Error('the SQLite store has a queue')
  for (const n of [1, 2, 3]) {
    await queue.enqueue({
      namespace: 'default',
      function: 'slow',
      functionFull: 'slow',
      args: [n],
      hash: `slow-${n}`,
      hashAlgorithm: 'sha256',
    })
  }
  await queue.claimNext({
    namespaces: ['default'],
    functions: ['slow'],
    worker: 'w1',
    pid: 1,
    host: 'h',
    leaseMs: 60_000,
  })
  const { samples } = await scrape(app)
  t.equal(sampleValue(samples, 'comp_manager_queue_depth'), 2)
  t.equal(sampleValue(samples, 'comp_manager_runs_running'), 1)
})

t.test('function labels are bounded: past maxFunctions they are "other"', async (t) => {
  const app = await buildTestApp(t, { token: TOKEN, maxFunctions: 2 })
  const tracker = createTracker({ store: app.compStore, namespace: 'default' })
  t.teardown(() => tracker.close())
  app.compMetrics.observeTracker(tracker)
  for (const name of ['f1', 'f2', 'f3', 'f4']) await tracker.track(name, async () => 1)()
  const { samples } = await scrape(app)
  t.equal(sampleValue(samples, 'comp_manager_runs_total', { function: 'f1' }), 1)
  t.equal(sampleValue(samples, 'comp_manager_runs_total', { function: 'f2' }), 1)
  t.equal(sampleValue(samples, 'comp_manager_runs_total', { function: 'other' }), 2)
  t.equal(sampleValue(samples, 'comp_manager_runs_total', { function: 'f3' }), 0)
})
