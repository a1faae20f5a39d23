import { errorCodes } from '@comp-manager/core'
import { generateApiKey } from '@comp-manager/fastify-auth'
import t, { type Test } from 'tap'
import { SHUTTING_DOWN_CODE } from '../src/index.js'
import { bearer, build } from './fixtures/helpers.js'

const ERROR_KEYS = ['code', 'error', 'message', 'requestId', 'statusCode']

/** Asserts the one error body: exactly these keys (+ optional details), a catalogued code, the request id. */
function assertErrorBody(
  t: Test,
  res: { statusCode: number; headers: Record<string, unknown>; json(): Record<string, unknown> },
  statusCode: number,
  code: string,
) {
  t.equal(res.statusCode, statusCode, `status ${statusCode}`)
  const body = res.json()
  t.same(
    Object.keys(body)
      .filter((k) => k !== 'details')
      .sort(),
    ERROR_KEYS,
    'the standard error keys',
  )
  t.equal(body.statusCode, statusCode)
  t.equal(body.code, code)
  t.ok(code === SHUTTING_DOWN_CODE || Object.hasOwn(errorCodes, code), 'a catalogued code')
  t.type(body.error, 'string')
  t.type(body.message, 'string')
  t.equal(body.requestId, res.headers['x-request-id'], 'the request id of the response')
  return body
}

const throwingRoutes = {
  routes: async (api: import('fastify').FastifyInstance) => {
    api.get('/boom', { schema: { tags: ['test'], summary: 'Throws' } }, async () => {
      throw new Error('database password is hunter2')
    })
    api.post(
      '/echo',
      {
        schema: {
          tags: ['test'],
          summary: 'Validates',
          body: {
            type: 'object',
            properties: { n: { type: 'integer', minimum: 1 } },
            required: ['n'],
            additionalProperties: false,
          },
        },
      },
      async (request) => request.body,
    )
  },
}

t.test('validation errors: 400 CM_ERR_VALIDATION with details', async (t) => {
  const app = await build(t, {}, throwingRoutes)
  const headers = bearer(app, 'operator')
  const res = await app.inject({
    method: 'POST',
    url: '/api/v1/computations',
    headers,
    payload: { function: 42 },
  })
  const body = assertErrorBody(t, res, 400, 'CM_ERR_VALIDATION')
  t.match(body.details, { issues: Array })

  const unknown = await app.inject({
    method: 'POST',
    url: '/api/v1/computations',
    headers,
    payload: { function: 'f', extra: 1 },
  })
  assertErrorBody(t, unknown, 400, 'CM_ERR_VALIDATION')
  const dollar = await app.inject({ url: '/api/v1/computations?status[$ne]=x', headers })
  assertErrorBody(t, dollar, 400, 'CM_ERR_VALIDATION')
  const page0 = await app.inject({ url: '/api/v1/computations?page=0', headers })
  assertErrorBody(t, page0, 400, 'CM_ERR_VALIDATION')

  const own = await app.inject({ method: 'POST', url: '/api/v1/echo', headers, payload: { n: 0 } })
  t.match(assertErrorBody(t, own, 400, 'CM_ERR_VALIDATION').details, { in: 'body' })
  const malformed = await app.inject({
    method: 'POST',
    url: '/api/v1/echo',
    headers: { ...headers, 'content-type': 'application/json' },
    payload: '{"n":',
  })
  assertErrorBody(t, malformed, 400, 'CM_ERR_MALFORMED')
})

t.test('auth errors: 401 (missing, forged, alg none), 403 (role), 404 (other namespace)', async (t) => {
  const app = await build(t)
  const missing = await app.inject('/api/v1/computations')
  assertErrorBody(t, missing, 401, 'CM_ERR_UNAUTHORIZED')
  t.equal(missing.headers['www-authenticate'], 'Bearer')
  const forged = await app.inject({
    url: '/api/v1/computations',
    headers: { authorization: `Bearer ${bearer(app).authorization.slice(7, -3)}abc` },
  })
  assertErrorBody(t, forged, 401, 'CM_ERR_UNAUTHORIZED')
  const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(
    JSON.stringify({ sub: 'x', role: 'admin', ns: ['*'], exp: Math.floor(Date.now() / 1000) + 60 }),
  ).toString('base64url')}.`
  assertErrorBody(
    t,
    await app.inject({ url: '/api/v1/computations', headers: { authorization: `Bearer ${none}` } }),
    401,
    'CM_ERR_UNAUTHORIZED',
  )
  const viewerWrites = await app.inject({
    method: 'POST',
    url: '/api/v1/computations',
    headers: bearer(app, 'viewer'),
    payload: { function: 'f' },
  })
  assertErrorBody(t, viewerWrites, 403, 'CM_ERR_FORBIDDEN')

  const created = await app.inject({
    method: 'POST',
    url: '/api/v1/computations',
    headers: bearer(app, 'operator', ['team-a']),
    payload: { function: 'f', namespace: 'team-a' },
  })
  t.equal(created.statusCode, 201)
  const other = await app.inject({
    url: `/api/v1/computations/${created.json().id}`,
    headers: bearer(app, 'viewer', ['team-b']),
  })
  assertErrorBody(t, other, 404, 'CM_ERR_NOT_FOUND')
})

t.test('internal errors: a generic message, no stack outside development', async (t) => {
  for (const env of ['test', 'production'] as const) {
    const app = await build(t, { NODE_ENV: env }, throwingRoutes)
    const res = await app.inject({ url: '/api/v1/boom', headers: bearer(app) })
    const body = assertErrorBody(t, res, 500, 'CM_ERR_INTERNAL')
    t.equal(body.message, 'Internal server error', env)
    t.equal(body.details, undefined, `${env}: no details`)
    t.notMatch(res.body, /hunter2|at .*\.ts:\d+/, `${env}: neither the message nor a stack`)
  }
  const dev = await build(t, { NODE_ENV: 'development' }, throwingRoutes)
  const res = await dev.inject({ url: '/api/v1/boom', headers: bearer(dev) })
  const body = assertErrorBody(t, res, 500, 'CM_ERR_INTERNAL')
  t.match(
    body.details,
    { cause: 'database password is hunter2', stack: /Error: database password/ },
    'development shows it',
  )
})

t.test('not found: 404 CM_ERR_ROUTE_NOT_FOUND, the query string left out', async (t) => {
  const app = await build(t)
  const res = await app.inject({ method: 'DELETE', url: '/api/v2/things?token=secret' })
  const body = assertErrorBody(t, res, 404, 'CM_ERR_ROUTE_NOT_FOUND')
  t.equal(body.message, 'Route DELETE /api/v2/things not found')
})

t.test('rate limits: 429 CM_ERR_RATE_LIMITED with retry-after, per caller', async (t) => {
  const app = await build(t, { RATE_LIMIT_MAX: '2', RATE_LIMIT_WINDOW: '1m' })
  const a = bearer(app, 'viewer')
  for (let i = 0; i < 2; i++) {
    const ok = await app.inject({ url: '/api/v1/computations', headers: a })
    t.equal(ok.statusCode, 200)
    t.equal(ok.headers['x-ratelimit-limit'], '2')
    t.equal(ok.headers['x-ratelimit-remaining'], String(1 - i))
  }
  const limited = await app.inject({ url: '/api/v1/computations', headers: a })
  const body = assertErrorBody(t, limited, 429, 'CM_ERR_RATE_LIMITED')
  t.match(limited.headers['retry-after'], /^\d+$/)
  t.ok(Number(limited.headers['retry-after']) >= 1 && Number(limited.headers['retry-after']) <= 60)
  t.match(body.message, /retry in \d+ (second|minute)/)
  t.match(body.details, { limit: 2, retryAfterSeconds: Number })

  // Another identity from the same address has its own budget…
  const b = {
    authorization: `Bearer ${app.issueToken({ sub: 'someone-else', role: 'viewer', namespaces: ['*'] })}`,
  }
  t.equal((await app.inject({ url: '/api/v1/computations', headers: b })).statusCode, 200)
  // …anonymous callers and forged tokens share the address's budget.
  t.equal((await app.inject('/health/detailed')).statusCode, 200)
  t.equal(
    (await app.inject({ url: '/health/detailed', headers: { authorization: 'Bearer forged' } })).statusCode,
    200,
  )
  const anonymous = await app.inject('/health/detailed')
  assertErrorBody(t, anonymous, 429, 'CM_ERR_RATE_LIMITED')
  t.equal(anonymous.headers['www-authenticate'], undefined)
  // 404s count too (route scanning).
  assertErrorBody(t, await app.inject('/nope'), 429, 'CM_ERR_RATE_LIMITED')
  // And unknown routes below the plugins' prefixes, answered by the route kit's not-found handler.
  const unknown = ['/api/v1/computations/a/b/c', '/api/v1/cache/a/b/c', '/api/v1/events/a/b']
  for (const [k, url] of unknown.entries()) {
    const statuses: number[] = []
    for (let i = 0; i < 3; i++) {
      statuses.push((await app.inject({ url, remoteAddress: `10.9.9.${k}` })).statusCode)
    }
    t.same(statuses, [404, 404, 429], `${url}: 404, 404, then 429`)
  }
})

t.test('a stricter per-route limit: POST /api/v1/auth/token (10 per minute per key)', async (t) => {
  const svc = generateApiKey('svc')
  const other = generateApiKey('other')
  const app = await build(t, {
    API_KEYS: `svc:viewer:*:${svc.hash},other:viewer:*:${other.hash}`,
    RATE_LIMIT_MAX: '1000',
  })
  const exchange = (key: string) =>
    app.inject({ method: 'POST', url: '/api/v1/auth/token', headers: { 'x-api-key': key } })
  for (let i = 0; i < 10; i++) {
    const res = await exchange(svc.key)
    t.equal(res.statusCode, 200, `token ${i + 1}`)
    if (i === 0) {
      t.equal(res.headers['x-ratelimit-limit'], '10')
      const token = res.json().token as string
      t.equal(
        (await app.inject({ url: '/api/v1/computations', headers: { authorization: `Bearer ${token}` } }))
          .statusCode,
        200,
      )
    }
  }
  const limited = await exchange(svc.key)
  assertErrorBody(t, limited, 429, 'CM_ERR_RATE_LIMITED')
  t.ok(limited.headers['retry-after'])
  t.equal((await exchange(other.key)).statusCode, 200, 'another key has its own budget')
  // Key guessing from one address is limited by that address.
  for (let i = 0; i < 10; i++) await exchange(`cmk_svc_${'x'.repeat(43)}`)
  const guessing = await exchange(`cmk_svc_${'y'.repeat(43)}`)
  assertErrorBody(t, guessing, 429, 'CM_ERR_RATE_LIMITED')
  t.equal(guessing.headers['www-authenticate'], undefined, 'refused before the key is checked')
})

// Regression (reliability suite): Fastify's router answered a too-long path parameter with its own
// body (no requestId, no CM_ERR_ code) before any hook ran.
t.test('a path parameter over the router limit gets the standard error body', async (t) => {
  const app = await build(t, { AUTH_ENABLED: 'false' })
  const res = await app.inject({ method: 'GET', url: `/api/v1/computations/${'a'.repeat(1000)}` })
  t.equal(res.statusCode, 414)
  const body = res.json()
  t.equal(body.code, 'CM_ERR_VALIDATION')
  t.equal(body.error, 'URI Too Long')
  t.equal(body.requestId, res.headers['x-request-id'])
  t.equal(body.statusCode, 414)
})
