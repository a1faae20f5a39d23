// Retries, timeouts, cancellation and error mapping, against a tiny local server (see fixtures/stub.ts).
import t from 'tap'
import {
  AbortError,
  ApiError,
  createClient,
  isApiError,
  NetworkError,
  parseRetryAfter,
  type RetryInfo,
  TimeoutError,
} from '../src/index.js'
import { startStub } from './fixtures/stub.js'

const fast = { retryDelayMs: 5, maxRetryDelayMs: 2_000 }

t.test('GET is retried on 503 then succeeds', async (t) => {
  const stub = await startStub(t)
  const retries: RetryInfo[] = []
  const client = createClient({ baseUrl: stub.url, ...fast, onRetry: (info) => retries.push(info) })
  stub.failNext('GET /api/v1/computations/c1', 2, 503)
  const c = await client.computations.get('c1')
  t.equal(c.id, 'c1')
  t.equal(stub.hits.get('GET /api/v1/computations/c1'), 3, 'two failures, then the answer')
  t.same(
    retries.map((r) => [r.attempt, r.reason, r.method]),
    [
      [1, 503, 'GET'],
      [2, 503, 'GET'],
    ],
  )
})

t.test('retries are bounded: after `retries` extra attempts the 503 is thrown', async (t) => {
  const stub = await startStub(t)
  const client = createClient({ baseUrl: stub.url, ...fast, retries: 1 })
  stub.failNext('GET /api/v1/computations/c1', 5, 503)
  const err = await client.computations.get('c1').catch((e: unknown) => e)
  t.ok(isApiError(err, 'CM_ERR_STORE_UNAVAILABLE'))
  t.equal((err as ApiError).status, 503)
  t.equal(stub.hits.get('GET /api/v1/computations/c1'), 2)
})

t.test('PUT and DELETE are idempotent: retried on 429', async (t) => {
  const stub = await startStub(t)
  const client = createClient({ baseUrl: stub.url, ...fast })
  stub.failNext('PUT /api/v1/computations/c1', 1, 429, '0')
  const updated = await client.computations.update('c1', { message: 'hello' })
  t.equal(updated.id, 'c1')
  t.equal(stub.hits.get('PUT /api/v1/computations/c1'), 2, 'the body was sent again')
})

t.test('POST is never retried', async (t) => {
  const stub = await startStub(t)
  const retries: RetryInfo[] = []
  const client = createClient({ baseUrl: stub.url, ...fast, retries: 5, onRetry: (i) => retries.push(i) })
  stub.failNext('POST /api/v1/computations', 1, 503, '0')
  const err = await client.computations.create({ function: 'f' } as never).catch((e: unknown) => e)
  t.ok(err instanceof ApiError)
  t.equal((err as ApiError).status, 503)
  t.equal(stub.hits.get('POST /api/v1/computations'), 1)
  t.same(retries, [])
})

t.test('retry-after is honoured (seconds), and a too long one is not waited for', async (t) => {
  const stub = await startStub(t)
  const waits: number[] = []
  const client = createClient({ baseUrl: stub.url, ...fast, onRetry: (i) => waits.push(i.delayMs) })
  stub.failNext('GET /health', 1, 429, '1')
  const started = Date.now()
  t.same(await client.health(), { status: 'ok' })
  t.same(waits, [1000])
  t.ok(Date.now() - started >= 950, 'waited about a second')

  stub.failNext('GET /health', 1, 429, '3600')
  const err = await client.health().catch((e: unknown) => e)
  t.ok(isApiError(err, 'CM_ERR_RATE_LIMITED'), 'an hour is more than maxRetryDelayMs: thrown at once')
  t.equal((err as ApiError).retryAfterMs, 3_600_000)
})

t.test('parseRetryAfter reads seconds and HTTP dates', async (t) => {
  const now = Date.parse('2026-01-01T00:00:00Z')
  t.equal(parseRetryAfter('120', now), 120_000)
  t.equal(parseRetryAfter('0', now), 0)
  t.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now), 30_000)
  t.equal(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now), 0, 'a past date means now')
  t.equal(parseRetryAfter('soon', now), undefined)
  t.equal(parseRetryAfter(null, now), undefined)
  t.equal(parseRetryAfter('', now), undefined)
})

t.test('network errors: GET retried, then a NetworkError', async (t) => {
  const stub = await startStub(t)
  const url = stub.url
  await stub.app.close() // nothing listens there any more
  const retries: RetryInfo[] = []
  const client = createClient({ baseUrl: url, ...fast, onRetry: (i) => retries.push(i) })
  const err = await client.computations.get('c1').catch((e: unknown) => e)
  t.ok(err instanceof NetworkError, String(err))
  t.match((err as NetworkError).message, /ECONNREFUSED|network error/)
  t.equal(retries.length, 2)
  t.ok(retries.every((r) => r.reason instanceof NetworkError))

  const postRetries: RetryInfo[] = []
  const client2 = createClient({ baseUrl: url, ...fast, onRetry: (i) => postRetries.push(i) })
  const postErr = await client2.cache.invalidate({ function: 'f' } as never).catch((e: unknown) => e)
  t.ok(postErr instanceof NetworkError)
  t.equal(postRetries.length, 0, 'a POST may have reached the server: not retried')
})

t.test('timeoutMs bounds the call: TimeoutError', async (t) => {
  const stub = await startStub(t)
  const client = createClient({ baseUrl: stub.url, timeoutMs: 100 })
  const started = Date.now()
  const err = await client.computations.get('slow').catch((e: unknown) => e)
  t.ok(err instanceof TimeoutError, String(err))
  t.equal((err as TimeoutError).timeoutMs, 100)
  t.ok(Date.now() - started < 1_500)
  // Per call override.
  const err2 = await client.computations.get('slow', { timeoutMs: 50 }).catch((e: unknown) => e)
  t.equal((err2 as TimeoutError).timeoutMs, 50)
})

t.test('a signal cancels the call: AbortError, distinct from TimeoutError', async (t) => {
  const stub = await startStub(t)
  const client = createClient({ baseUrl: stub.url })
  const controller = new AbortController()
  setTimeout(() => controller.abort(new Error('user left')), 50)
  const err = await client.computations.get('slow', { signal: controller.signal }).catch((e: unknown) => e)
  t.ok(err instanceof AbortError, String(err))
  t.notOk(err instanceof TimeoutError)
  t.match((err as AbortError).reason, { message: 'user left' })

  const already = AbortSignal.abort()
  const err2 = await client.health({ signal: already }).catch((e: unknown) => e)
  t.ok(err2 instanceof AbortError, 'an already aborted signal fails at once')
})

t.test('abort during the backoff wait stops the retries', async (t) => {
  const stub = await startStub(t)
  const client = createClient({ baseUrl: stub.url, retryDelayMs: 5_000, maxRetryDelayMs: 10_000 })
  stub.failNext('GET /health', 3, 503)
  const controller = new AbortController()
  setTimeout(() => controller.abort(), 100)
  const started = Date.now()
  const err = await client.health({ signal: controller.signal }).catch((e: unknown) => e)
  t.ok(err instanceof AbortError)
  t.ok(Date.now() - started < 2_000)
  t.equal(stub.hits.get('GET /health'), 1)
})

t.test('a backoff that would outlive the timeout is not waited for', async (t) => {
  const stub = await startStub(t)
  const client = createClient({
    baseUrl: stub.url,
    timeoutMs: 300,
    retryDelayMs: 5_000,
    maxRetryDelayMs: 10_000,
  })
  stub.failNext('GET /health', 3, 503)
  const started = Date.now()
  const err = await client.health().catch((e: unknown) => e)
  t.ok(isApiError(err, 'CM_ERR_STORE_UNAVAILABLE'), 'the last answer, rather than a timeout after waiting')
  t.ok(Date.now() - started < 1_000)
})

t.test('error bodies become ApiError with code, message and request id', async (t) => {
  const stub = await startStub(t)
  const client = createClient({ baseUrl: stub.url })
  const err = await client.computations.get('missing').catch((e: unknown) => e)
  t.ok(isApiError(err, 'CM_ERR_NOT_FOUND'))
  if (!isApiError(err)) throw err
  t.equal(err.status, 404)
  t.equal(err.message, "no computation 'missing'")
  t.match(err.requestId, /^req-/)
  t.equal(err.method, 'GET')
  t.match(err.url, /\/api\/v1\/computations\/missing$/)

  const gateway = await client.computations.get('bad-gateway', { retries: 0 }).catch((e: unknown) => e)
  t.ok(gateway instanceof ApiError, 'a non-standard body still gives an ApiError')
  t.equal((gateway as ApiError).code, 'CM_ERR_INTERNAL')
  t.equal((gateway as ApiError).status, 502)
  t.match((gateway as ApiError).message, /502/)
})

t.test('credentials, headers and request ids are sent', async (t) => {
  const stub = await startStub(t)
  let n = 0
  const client = createClient({
    baseUrl: `${stub.url}/`,
    token: async () => `tok-${++n}`,
    headers: { 'x-team': 'a' },
  })
  await client.health({ requestId: 'trace-1', headers: { 'x-extra': '1' } })
  t.equal(stub.lastHeaders.authorization, 'Bearer tok-1')
  t.equal(stub.lastHeaders['x-team'], 'a')
  t.equal(stub.lastHeaders['x-extra'], '1')
  t.equal(stub.lastHeaders['x-request-id'], 'trace-1')
  await client.health()
  t.equal(stub.lastHeaders.authorization, 'Bearer tok-2', 'a token function is called per request')

  const keyed = createClient({ baseUrl: stub.url, apiKey: 'cmk_svc_secret' })
  await keyed.health()
  t.equal(stub.lastHeaders['x-api-key'], 'cmk_svc_secret')
  t.equal(stub.lastHeaders.authorization, undefined)
})

t.test('a custom fetch is used', async (t) => {
  const stub = await startStub(t)
  const seen: string[] = []
  const client = createClient({
    baseUrl: stub.url,
    fetch: (request) => {
      seen.push(`${request.method} ${new URL(request.url).pathname}`)
      return fetch(request)
    },
  })
  await client.health()
  t.same(seen, ['GET /health'])
})

t.test('the raw client shares the transport', async (t) => {
  const stub = await startStub(t)
  const client = createClient({ baseUrl: stub.url, ...fast, token: 'abc' })
  stub.failNext('GET /health', 1, 503)
  const { data, response } = await client.raw.GET('/health')
  t.equal(response.status, 200)
  t.same(data, { status: 'ok' })
  t.equal(stub.lastHeaders.authorization, 'Bearer abc')
  t.equal(stub.hits.get('GET /health'), 2)
})

t.test('bad options throw a TypeError naming the option', async (t) => {
  t.throws(() => createClient({} as never), { name: 'TypeError', message: /`baseUrl` is required/ })
  t.throws(() => createClient({ baseUrl: 'http://x', token: 'a', apiKey: 'b' }), /not both/)
  t.throws(() => createClient({ baseUrl: 'http://x', retries: -1 }), /`retries`/)
  t.throws(() => createClient({ baseUrl: 'http://x', timeoutMs: 1.5 }), /`timeoutMs`/)
  t.throws(() => createClient({ baseUrl: 'http://x', retry: 2 } as never), /`retry` is not an option/)
  t.throws(() => createClient({ baseUrl: 'http://x', codec: {} as never }), /`codec`/)
})

t.test(
  'durations are milliseconds or strings such as 100ms; the cause of a bad option is core error',
  async (t) => {
    const stub = await startStub(t)
    const client = createClient({
      baseUrl: stub.url,
      timeoutMs: '100ms',
      retryDelayMs: '5ms',
      maxRetryDelayMs: '2s',
    })
    const err = await client.computations.get('slow').catch((e: unknown) => e)
    t.ok(err instanceof TimeoutError, String(err))
    t.equal((err as TimeoutError).timeoutMs, 100)
    t.throws(() => createClient({ baseUrl: 'http://x', timeoutMs: '1 h' as never }), {
      name: 'TypeError',
      message: /^@comp-manager\/client createClient\(\): `timeoutMs` must be .* a duration such as '30s'/,
      cause: {
        code: 'CM_ERR_INVALID_ARGUMENT',
        details: { option: 'timeoutMs', package: '@comp-manager/client' },
      },
    })
    t.throws(() => createClient({ baseUrl: 'http://x', headers: { 'x-n': 1 } as never }), /`headers` must be/)
    t.throws(() => createClient({ baseUrl: 'http://x', namespace: 'a b' }), /`namespace` must be/)
    const watching = client.computations.watch('c1', { reconnects: -1 })
    await t.rejects(watching.next(), {
      name: 'TypeError',
      message: /watch\(\): `reconnects` must be an integer ≥ 0/,
    })
  },
)

t.test(
  'healthDetailed resolves with the report on 503, not retried; a 503 error body is an ApiError',
  async (t) => {
    const report = { status: 'fail', version: '0.0.0', uptimeSeconds: 1, checks: { store: { ok: false } } }
    const error = {
      statusCode: 503,
      code: 'CM_ERR_SHUTTING_DOWN',
      error: 'x',
      message: 'bye',
      requestId: 'r1',
    }
    let body: object = report
    let calls = 0
    const json = (status: number, value: object) =>
      new Response(JSON.stringify(value), { status, headers: { 'content-type': 'application/json' } })
    const client = createClient({
      baseUrl: 'http://x.test',
      ...fast,
      fetch: async () => {
        calls++
        return json(503, body)
      },
    })
    t.same(await client.healthDetailed(), report)
    t.equal(calls, 1, 'no retry of the report')
    body = error
    const err = await client.healthDetailed().catch((e: unknown) => e)
    t.ok(isApiError(err, 'CM_ERR_SHUTTING_DOWN'), String(err))
    t.equal((err as ApiError).requestId, 'r1')
  },
)
