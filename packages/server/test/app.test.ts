import { Writable } from 'node:stream'
import { brotliDecompressSync, gunzipSync } from 'node:zlib'
import { MemoryStore } from '@comp-manager/core'
import t from 'tap'
import { buildApp, SANE_REQUEST_ID } from '../src/index.js'
import { bearer, build, testConfig } from './fixtures/helpers.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

t.test('GET /health: liveness, public, not rate limited', async (t) => {
  const app = await build(t, { RATE_LIMIT_MAX: '1' })
  for (let i = 0; i < 3; i++) {
    const res = await app.inject('/health')
    t.equal(res.statusCode, 200)
    t.same(res.json(), { status: 'ok' })
    t.equal(res.headers['x-ratelimit-limit'], undefined)
  }
})

t.test('GET /health/detailed runs every check with its latency', async (t) => {
  const app = await build(t)
  const res = await app.inject('/health/detailed')
  t.equal(res.statusCode, 200)
  const body = res.json()
  t.equal(body.status, 'ok')
  t.type(body.version, 'string')
  t.type(body.uptimeSeconds, 'number')
  t.match(body.checks.store, { ok: true, latencyMs: Number, details: { kind: 'memory' } })
  t.match(body.checks.tracker, { ok: true, latencyMs: Number })
  t.match(body.checks.cache, { ok: true, latencyMs: Number })
})

t.test('GET /health/detailed is 503 when the store ping fails', async (t) => {
  const store = new MemoryStore()
  store.ping = async () => ({ ok: false, latencyMs: 1.5, error: 'connection refused' })
  const app = await build(t, {}, { store })
  const res = await app.inject('/health/detailed')
  t.equal(res.statusCode, 503)
  const body = res.json()
  t.equal(body.status, 'fail')
  t.match(body.checks.store, { ok: false, error: 'connection refused', latencyMs: 1.5 })
  t.equal((await app.inject('/health')).statusCode, 200, 'liveness is not readiness')
})

t.test('GET /health/detailed fails a check that throws', async (t) => {
  const store = new MemoryStore()
  store.ping = async () => {
    throw new Error('socket hang up')
  }
  const app = await build(t, {}, { store })
  const res = await app.inject('/health/detailed')
  t.equal(res.statusCode, 503)
  t.match(res.json().checks.store, { ok: false, error: 'socket hang up' })
})

t.test(
  'request ids: a sane x-request-id is honoured, anything else replaced, echoed everywhere',
  async (t) => {
    const app = await build(t)
    const honoured = await app.inject({ url: '/health', headers: { 'x-request-id': 'abc-123.X_y:z' } })
    t.equal(honoured.headers['x-request-id'], 'abc-123.X_y:z')

    const generated = await app.inject('/health')
    t.match(generated.headers['x-request-id'], UUID)
    t.not((await app.inject('/health')).headers['x-request-id'], generated.headers['x-request-id'])

    for (const bad of ['has space', 'quote"d', 'x'.repeat(129), '', 'a\u00e9b']) {
      const res = await app.inject({ url: '/health', headers: { 'x-request-id': bad } })
      t.match(res.headers['x-request-id'], UUID, `replaced: ${JSON.stringify(bad.slice(0, 20))}`)
      t.notOk(SANE_REQUEST_ID.test(bad))
    }

    const error = await app.inject({ url: '/api/v1/computations', headers: { 'x-request-id': 'req-42' } })
    t.equal(error.statusCode, 401)
    t.equal(error.headers['x-request-id'], 'req-42')
    t.equal(error.json().requestId, 'req-42', 'and in the error body')
    const notFound = await app.inject({ url: '/nope', headers: { 'x-request-id': 'req-43' } })
    t.equal(notFound.json().requestId, 'req-43')
  },
)

t.test('every log line of a request carries its id', async (t) => {
  const lines: Array<Record<string, unknown>> = []
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line))
      done()
    },
  })
  const app = await buildApp(testConfig(), { store: new MemoryStore(), logger: { level: 'info', stream } })
  t.teardown(() => app.close())
  await app.inject({
    url: '/api/v1/computations',
    headers: { 'x-request-id': 'trace-1', authorization: 'Bearer nope' },
  })
  await app.inject({ url: '/health', headers: { 'x-request-id': 'trace-2' } })
  const ofRequests = lines.filter((l) => 'req' in l || 'res' in l || 'requestId' in l)
  // One line per request (`request completed`), and the 401's own line.
  t.ok(ofRequests.length >= 3, `${ofRequests.length} request log lines`)
  for (const line of ofRequests) t.match(line.requestId, /^trace-[12]$/, String(line.msg))
  t.ok(
    lines.some((l) => l.requestId === 'trace-1' && l.code === 'CM_ERR_UNAUTHORIZED'),
    'the error is logged with the request id',
  )
  t.notMatch(JSON.stringify(lines), /Bearer nope/, 'credentials are not logged')
})

t.test('helmet headers on API responses; the docs page gets a CSP that lets Swagger UI run', async (t) => {
  const app = await build(t)
  const res = await app.inject('/health')
  t.equal(res.headers['x-content-type-options'], 'nosniff')
  t.equal(res.headers['x-frame-options'], 'SAMEORIGIN')
  t.match(res.headers['strict-transport-security'], /max-age=/)
  t.equal(
    res.headers['content-security-policy'],
    "default-src 'none';frame-ancestors 'none'",
    'an API: nothing loads',
  )
  t.equal(res.headers['referrer-policy'], 'no-referrer')
  t.equal(res.headers['cross-origin-resource-policy'], 'same-origin')

  const docs = await app.inject('/docs')
  t.equal(docs.statusCode, 200)
  t.match(docs.body, /<title>Swagger UI<\/title>/)
  const csp = String(docs.headers['content-security-policy'])
  t.match(csp, /script-src 'self'/, "Swagger UI's own CSP: scripts from the server only")
  t.notMatch(csp, /'unsafe-inline'|'unsafe-eval'/)
  t.match(csp, /img-src 'self' data:/)
  t.notMatch(csp, /upgrade-insecure-requests/)
  t.match((await app.inject('/docs/static/swagger-initializer.js')).body, /SwaggerUIBundle/)

  const prod = await build(t, { NODE_ENV: 'production' })
  t.match(
    (await prod.inject('/docs')).headers['content-security-policy'],
    /upgrade-insecure-requests/,
    'production docs',
  )
  t.equal(
    (await prod.inject('/health')).headers['content-security-policy'],
    "default-src 'none';frame-ancestors 'none'",
  )
})

t.test('CORS: only configured origins, preflight without credentials', async (t) => {
  const app = await build(t, { CORS_ORIGINS: 'https://app.example.com' })
  const allowed = await app.inject({ url: '/health', headers: { origin: 'https://app.example.com' } })
  t.equal(allowed.headers['access-control-allow-origin'], 'https://app.example.com')
  t.match(allowed.headers['access-control-expose-headers'], /x-request-id/)
  t.match(allowed.headers.vary, /Origin/)
  const other = await app.inject({ url: '/health', headers: { origin: 'https://evil.example.com' } })
  t.equal(other.headers['access-control-allow-origin'], undefined)

  const preflight = await app.inject({
    method: 'OPTIONS',
    url: '/api/v1/computations',
    headers: {
      origin: 'https://app.example.com',
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization, content-type',
    },
  })
  t.equal(preflight.statusCode, 204)
  t.equal(preflight.headers['access-control-allow-origin'], 'https://app.example.com')
  t.match(preflight.headers['access-control-allow-methods'], /POST/)
  t.match(preflight.headers['access-control-allow-headers'], /authorization/)
  t.equal(preflight.headers['access-control-allow-credentials'], undefined)

  const none = await build(t)
  const res = await none.inject({ url: '/health', headers: { origin: 'https://app.example.com' } })
  t.equal(res.headers['access-control-allow-origin'], undefined, 'no CORS without CORS_ORIGINS')
  const any = await build(t, { CORS_ORIGINS: '*' })
  t.equal(
    (await any.inject({ url: '/health', headers: { origin: 'https://x.example' } })).headers[
      'access-control-allow-origin'
    ],
    '*',
  )
})

t.test('compression: gzip and brotli above 1 KiB, none below', async (t) => {
  const app = await build(t)
  const plain = await app.inject('/docs/json')
  t.ok(plain.body.length > 1024)
  const gzip = await app.inject({ url: '/docs/json', headers: { 'accept-encoding': 'gzip' } })
  t.equal(gzip.headers['content-encoding'], 'gzip')
  t.same(JSON.parse(gunzipSync(gzip.rawPayload).toString()), plain.json())
  const br = await app.inject({ url: '/docs/json', headers: { 'accept-encoding': 'br, gzip' } })
  t.equal(br.headers['content-encoding'], 'br')
  t.same(JSON.parse(brotliDecompressSync(br.rawPayload).toString()), plain.json())
  const small = await app.inject({ url: '/health', headers: { 'accept-encoding': 'gzip' } })
  t.equal(small.headers['content-encoding'], undefined)
})

t.test('routes live under /api/v1; health and docs at the root', async (t) => {
  const app = await build(t)
  const auth = bearer(app)
  t.equal((await app.inject({ url: '/api/v1/computations', headers: auth })).statusCode, 200)
  t.equal((await app.inject({ url: '/computations', headers: auth })).statusCode, 404)
  t.equal((await app.inject({ url: '/api/v1/cache/stats', headers: auth })).statusCode, 200)
  t.equal((await app.inject({ url: '/cache/stats', headers: auth })).statusCode, 404)
  t.equal((await app.inject('/docs')).statusCode, 200)
  t.equal((await app.inject('/docs/json')).statusCode, 200)
  const noDocs = await build(t, { DOCS_ENABLED: 'false' })
  t.equal((await noDocs.inject('/docs/json')).statusCode, 404)
})

t.test('AUTH_ENABLED=false: the routes are open', async (t) => {
  const app = await build(t, { AUTH_ENABLED: 'false' })
  t.equal((await app.inject('/api/v1/computations')).statusCode, 200)
  t.notOk(app.hasDecorator('authorize'))
})

t.test('an embedded SQLite store under COMP_MANAGER_DATA_DIR by default', async (t) => {
  const { tmpDir } = await import('./fixtures/helpers.js')
  const dir = tmpDir(t)
  const app = await buildApp(testConfig({ COMP_MANAGER_DATA_DIR: dir }), { logger: false })
  t.teardown(() => app.close())
  t.equal(app.compStore.kind, 'sqlite')
  const created = await app.inject({
    method: 'POST',
    url: '/api/v1/computations',
    headers: bearer(app, 'operator'),
    payload: { function: 'demo' },
  })
  t.equal(created.statusCode, 201)
  const { existsSync } = await import('node:fs')
  t.ok(existsSync(`${dir}/comp-manager.db`))
})
