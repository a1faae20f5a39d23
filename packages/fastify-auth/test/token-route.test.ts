import rateLimit from '@fastify/rate-limit'
import Fastify from 'fastify'
import t from 'tap'
import { fastifyAuth } from '../src/index.js'
import { apiKeyEntries, bearer, build, claims, craftToken, keys, SECRET } from './fixtures/helpers.js'

t.test('POST /auth/token exchanges an API key for a short-lived JWT', async (t) => {
  const app = await build(t, { apiKeys: apiKeyEntries })
  const res = await app.inject({
    method: 'POST',
    url: '/auth/token',
    headers: { 'x-api-key': keys.viewer.key },
  })
  t.equal(res.statusCode, 200)
  t.equal(res.headers['cache-control'], 'no-store')
  const body = res.json()
  t.same(Object.keys(body).sort(), ['expiresAt', 'expiresIn', 'token', 'tokenType'])
  t.equal(body.tokenType, 'Bearer')
  t.equal(body.expiresIn, 900)
  const expiresAt = Date.parse(body.expiresAt)
  t.ok(Math.abs(expiresAt - (Date.now() + 900_000)) < 5000, 'expiresAt is 15 minutes from now')
  const who = await app.inject({ url: '/whoami', headers: bearer(body.token) })
  t.same(who.json(), {
    subject: 'api-key:viewer-svc',
    role: 'viewer',
    namespaces: ['team-a'],
    allNamespaces: false,
    via: 'jwt',
  })
})

t.test("the token of a '*' key keeps every namespace; Authorization: ApiKey works too", async (t) => {
  const app = await build(t, { apiKeys: apiKeyEntries, expiresIn: '5m' })
  const res = await app.inject({
    method: 'POST',
    url: '/auth/token',
    headers: { authorization: `ApiKey ${keys.operator.key}` },
  })
  t.equal(res.statusCode, 200)
  t.equal(res.json().expiresIn, 300)
  const who = await app.inject({ url: '/whoami', headers: bearer(res.json().token) })
  t.match(who.json(), { role: 'operator', allNamespaces: true })
})

t.test('POST /auth/token takes the key as `Authorization: Bearer cmk_…` (the documented way)', async (t) => {
  const app = await build(t, { apiKeys: apiKeyEntries })
  const res = await app.inject({ method: 'POST', url: '/auth/token', headers: bearer(keys.viewer.key) })
  t.equal(res.statusCode, 200, res.body)
  const who = await app.inject({ url: '/whoami', headers: bearer(res.json().token) })
  t.match(who.json(), { subject: 'api-key:viewer-svc', role: 'viewer', via: 'jwt' })
})

t.test('POST /auth/token refuses anything but a valid API key', async (t) => {
  const app = await build(t, { apiKeys: apiKeyEntries, cookie: true })
  const cases: Record<string, Record<string, string>> = {
    'no credentials': {},
    'a bearer token': bearer(craftToken(claims({ role: 'admin' }))),
    'a cookie': { cookie: `cm_token=${craftToken(claims())}` },
    'a wrong key': { 'x-api-key': `${keys.viewer.key.slice(0, -2)}xx` },
  }
  for (const [name, headers] of Object.entries(cases)) {
    const res = await app.inject({ method: 'POST', url: '/auth/token', headers })
    t.equal(res.statusCode, 401, name)
    t.equal(res.json().code, 'CM_ERR_UNAUTHORIZED', name)
    t.equal(res.headers['www-authenticate'], 'Bearer', name)
  }
})

t.test(
  'the route carries config.rateLimit { max: 10, timeWindow: 1 minute } and a response schema',
  async (t) => {
    const app = Fastify()
    t.teardown(() => app.close())
    const seen: Record<string, unknown> = {}
    app.addHook('onRoute', (route) => {
      seen[`${route.method} ${route.url}`] = { config: route.config, schema: route.schema }
    })
    await app.register(fastifyAuth, { secret: SECRET, apiKeys: apiKeyEntries, cookie: true })
    await app.ready()
    t.match(seen['POST /auth/token'], {
      config: { rateLimit: { max: 10, timeWindow: '1 minute' } },
      schema: {
        response: { 200: { properties: { token: {}, tokenType: {}, expiresIn: {}, expiresAt: {} } } },
      },
    })
    t.match(seen['POST /auth/session'], { config: { rateLimit: { max: 10 } } })
  },
)

t.test('with @fastify/rate-limit registered first, the 11th exchange in a minute is a 429', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(rateLimit, { global: false })
  await app.register(fastifyAuth, { secret: SECRET, apiKeys: apiKeyEntries })
  await app.ready()
  const statuses: number[] = []
  let last: Awaited<ReturnType<typeof app.inject>> | undefined
  for (let i = 0; i < 11; i++) {
    last = await app.inject({
      method: 'POST',
      url: '/auth/token',
      headers: { 'x-api-key': `cmk_x_${'0'.repeat(20)}` },
    })
    statuses.push(last.statusCode)
  }
  t.same(statuses, [...Array(10).fill(401), 429], 'limited before the key is even checked')
  t.ok(last?.headers['retry-after'], 'retry-after is set')
})

t.test('routes.rateLimit overrides or removes the per-route limit', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(rateLimit, { global: false })
  await app.register(fastifyAuth, {
    secret: SECRET,
    apiKeys: apiKeyEntries,
    routes: { rateLimit: { max: 2, timeWindow: 60_000 } },
  })
  const statuses: number[] = []
  for (let i = 0; i < 3; i++) {
    statuses.push(
      (await app.inject({ method: 'POST', url: '/auth/token', headers: { 'x-api-key': keys.viewer.key } }))
        .statusCode,
    )
  }
  t.same(statuses, [200, 200, 429])

  const free = Fastify()
  t.teardown(() => free.close())
  await free.register(rateLimit, { global: false })
  await free.register(fastifyAuth, { secret: SECRET, apiKeys: apiKeyEntries, routes: { rateLimit: false } })
  const codes = new Set<number>()
  for (let i = 0; i < 12; i++) {
    codes.add(
      (await free.inject({ method: 'POST', url: '/auth/token', headers: { 'x-api-key': keys.viewer.key } }))
        .statusCode,
    )
  }
  t.same([...codes], [200])
})

t.test(
  'the route prefix is configurable and follows the prefix the plugin is registered under',
  async (t) => {
    const custom = await build(t, { apiKeys: apiKeyEntries, routes: { prefix: '/api/auth' } })
    const headers = { 'x-api-key': keys.viewer.key }
    t.equal((await custom.inject({ method: 'POST', url: '/api/auth/token', headers })).statusCode, 200)
    t.equal((await custom.inject({ method: 'POST', url: '/auth/token', headers })).statusCode, 404)

    const nested = Fastify()
    t.teardown(() => nested.close())
    await nested.register(
      async (api) => {
        await api.register(fastifyAuth, { secret: SECRET, apiKeys: apiKeyEntries })
        api.get('/me', { preHandler: api.authenticate }, async (request) => request.auth)
      },
      { prefix: '/api/v1' },
    )
    const res = await nested.inject({ method: 'POST', url: '/api/v1/auth/token', headers })
    t.equal(res.statusCode, 200)
    t.equal((await nested.inject({ url: '/api/v1/me', headers: bearer(res.json().token) })).statusCode, 200)
  },
)

t.test('no token route without apiKeys, or with routes.token false', async (t) => {
  const plain = await build(t)
  t.equal((await plain.inject({ method: 'POST', url: '/auth/token' })).statusCode, 404)
  const off = await build(t, { apiKeys: apiKeyEntries, routes: { token: false } })
  t.equal(
    (await off.inject({ method: 'POST', url: '/auth/token', headers: { 'x-api-key': keys.viewer.key } }))
      .statusCode,
    404,
  )
})
