import fastifyCookie from '@fastify/cookie'
import fastifyJwt from '@fastify/jwt'
import Fastify from 'fastify'
import t from 'tap'
import defaultExport, { fastifyAuth } from '../src/index.js'
import { bearer, build, claims, craftToken, SECRET } from './fixtures/helpers.js'

t.test('exported default and named, wrapped by fastify-plugin with its name and fastify 5.x', async (t) => {
  t.equal(defaultExport, fastifyAuth)
  const meta = (fastifyAuth as unknown as Record<symbol, { name: string; fastify: string }>)[
    Symbol.for('plugin-meta')
  ]
  t.match(meta, { name: '@comp-manager/fastify-auth', fastify: '5.x' })
  t.equal((fastifyAuth as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')], true)
})

t.test('decorates the instance and the request, and nothing else leaks out', async (t) => {
  const app = await build(t)
  for (const name of ['authenticate', 'authorize', 'canAccessNamespace', 'issueToken']) {
    t.ok(app.hasDecorator(name), name)
  }
  t.ok(app.hasRequestDecorator('auth'))
  t.notOk(app.hasDecorator('jwt'), '@fastify/jwt stays private')
  t.notOk(app.hasRequestDecorator('user'))
  t.notOk(app.hasRequestDecorator('jwtVerify'))
  const withCookie = await build(t, { cookie: true })
  t.notOk(withCookie.hasDecorator('parseCookie'), '@fastify/cookie stays private')
  t.notOk(withCookie.hasReplyDecorator('setCookie'))
})

t.test('double registration is refused with a clear error', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  app.register(fastifyAuth, { secret: SECRET })
  app.register(fastifyAuth, { secret: SECRET })
  await t.rejects(async () => void (await app.ready()), {
    code: 'CM_ERR_INVALID_ARGUMENT',
    message: /already decorated.*once per instance/,
  })
})

t.test('another auth plugin already registered is detected too', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  app.decorate('authorize', () => async () => {})
  app.register(fastifyAuth, { secret: SECRET })
  await t.rejects(async () => void (await app.ready()), {
    code: 'CM_ERR_INVALID_ARGUMENT',
    message: /fastify\.authorize/,
  })
})

t.test("the host's own @fastify/jwt and @fastify/cookie keep working beside ours", async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(fastifyCookie)
  await app.register(fastifyJwt, { secret: 'the-host-own-secret-0123456789-abcdef' })
  await app.register(fastifyAuth, { secret: SECRET, cookie: true })
  app.get('/host', async (request) => {
    await request.jwtVerify()
    return { user: request.user }
  })
  app.get('/ours', { preHandler: app.authenticate }, async (request) => request.auth)
  const hostToken = app.jwt.sign({ hello: 'world' })
  const host = await app.inject({ url: '/host', headers: bearer(hostToken) })
  t.equal(host.statusCode, 200)
  t.match(host.json(), { user: { hello: 'world' } })
  t.equal(
    (await app.inject({ url: '/ours', headers: bearer(hostToken) })).statusCode,
    401,
    'host tokens are not ours',
  )
  t.equal((await app.inject({ url: '/ours', headers: bearer(craftToken(claims())) })).statusCode, 200)
  const viaCookie = await app.inject({ url: '/ours', cookies: { cm_token: craftToken(claims()) } })
  t.equal(viaCookie.statusCode, 200, "the host's cookie parser is reused")
})

t.test('route plugins can detect the contract with hasDecorator', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(fastifyAuth, { secret: SECRET })
  let protectedRoutes = false
  await app.register(async (child) => {
    protectedRoutes = child.hasDecorator('authorize')
  })
  t.equal(protectedRoutes, true)
})

t.test('@fastify/jwt registered by the host after us still works', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(fastifyAuth, { secret: SECRET })
  await app.register(fastifyJwt, { secret: 'the-host-own-secret-0123456789-abcdef' })
  app.get('/host', async (request) => {
    await request.jwtVerify()
    return { user: request.user }
  })
  const res = await app.inject({ url: '/host', headers: bearer(app.jwt.sign({ a: 1 })) })
  t.equal(res.statusCode, 200)
  t.equal((await app.inject({ url: '/host', headers: bearer(craftToken(claims())) })).statusCode, 401)
})
