import Fastify from 'fastify'
import t from 'tap'
import { type AuthIdentity, canAccessNamespace, fastifyAuth, roleAtLeast, roles } from '../src/index.js'
import { bearer, build, claims, craftToken, expect401, SECRET } from './fixtures/helpers.js'

const tokenFor = (role: string, ns: string[] = ['team-a']) => bearer(craftToken(claims({ role, ns })))

t.test('each role reaches the routes of its rank and below', async (t) => {
  const app = await build(t)
  const matrix: Array<[string, 'GET' | 'POST' | 'DELETE', string, number]> = [
    ['viewer', 'GET', '/read', 200],
    ['viewer', 'POST', '/write', 403],
    ['viewer', 'DELETE', '/admin', 403],
    ['operator', 'GET', '/read', 200],
    ['operator', 'POST', '/write', 200],
    ['operator', 'DELETE', '/admin', 403],
    ['admin', 'GET', '/read', 200],
    ['admin', 'POST', '/write', 200],
    ['admin', 'DELETE', '/admin', 200],
  ]
  for (const [role, method, url, status] of matrix) {
    const res = await app.inject({ method, url, headers: tokenFor(role) })
    t.equal(res.statusCode, status, `${role} ${method} ${url} → ${status}`)
    if (status === 403) {
      t.match(res.json(), { statusCode: 403, code: 'CM_ERR_FORBIDDEN', error: 'Forbidden' })
      t.notOk(res.headers['www-authenticate'], 'no www-authenticate on a 403')
    }
  }
})

t.test('a token claiming a role that does not exist is a 401, not a promotion', async (t) => {
  const app = await build(t)
  for (const role of ['root', 'superadmin', 'ADMIN', ' admin', 'admin ', '']) {
    await expect401(t, app, tokenFor(role), 'Invalid token claims', { url: '/admin', method: 'DELETE' })
  }
})

t.test('403 is answered only after authentication succeeded (401 first)', async (t) => {
  const app = await build(t)
  await expect401(t, app, {}, 'Missing credentials', { url: '/admin', method: 'DELETE' })
})

t.test('authorize(role) refuses unknown roles when the route is declared and reuses its hooks', async (t) => {
  const app = await build(t)
  t.throws(() => app.authorize('root' as never), { code: 'CM_ERR_INVALID_ARGUMENT' })
  t.equal(app.authorize('viewer'), app.authorize('viewer'))
  t.not(app.authorize('viewer'), app.authorize('operator'))
})

t.test('authenticate then authorize on one route verifies once and keeps request.auth', async (t) => {
  const app2 = Fastify()
  t.teardown(() => app2.close())
  await app2.register(fastifyAuth, { secret: SECRET })
  app2.get(
    '/both',
    { preHandler: [app2.authenticate, app2.authorize('operator')] },
    async (request) => request.auth,
  )
  app2.get('/open', async (request) => ({ auth: request.auth }))
  const ok = await app2.inject({ url: '/both', headers: tokenFor('operator') })
  t.equal(ok.statusCode, 200)
  t.equal(ok.json().role, 'operator')
  t.equal((await app2.inject({ url: '/both', headers: tokenFor('viewer') })).statusCode, 403)
  t.same(
    (await app2.inject({ url: '/open', headers: tokenFor('admin') })).json(),
    { auth: null },
    'unprotected: null',
  )
})

t.test('namespaces: a record outside the token namespaces is a 404 in the demo route', async (t) => {
  const app = await build(t)
  t.equal((await app.inject({ url: '/ns/team-a', headers: tokenFor('viewer') })).statusCode, 200)
  t.equal((await app.inject({ url: '/ns/team-b', headers: tokenFor('viewer') })).statusCode, 404)
  t.equal((await app.inject({ url: '/ns/team-b', headers: tokenFor('operator') })).statusCode, 404)
  t.equal((await app.inject({ url: '/ns/team-b', headers: tokenFor('viewer', ['*']) })).statusCode, 200)
  t.equal(
    (await app.inject({ url: '/ns/team-b', headers: tokenFor('admin', []) })).statusCode,
    200,
    'admin: all',
  )
})

t.test('canAccessNamespace and role helpers', async (t) => {
  const id = (patch: Partial<AuthIdentity>): AuthIdentity => ({
    subject: 's',
    role: 'viewer',
    namespaces: ['a'],
    allNamespaces: false,
    via: 'jwt',
    ...patch,
  })
  t.equal(canAccessNamespace(id({}), 'a'), true)
  t.equal(canAccessNamespace(id({}), 'b'), false)
  t.equal(canAccessNamespace(id({ allNamespaces: true }), 'b'), true)
  t.equal(canAccessNamespace(id({ role: 'admin', namespaces: [] }), 'b'), true)
  t.equal(canAccessNamespace(null, 'a'), false)
  t.equal(canAccessNamespace(undefined, 'a'), false)
  t.equal(canAccessNamespace(id({}), '*'), false, "'*' is not a namespace a record can be in")
  t.same(roles, ['viewer', 'worker', 'operator', 'admin'])
  t.ok(roleAtLeast('admin', 'operator'))
  t.notOk(roleAtLeast('viewer', 'operator'))
})
