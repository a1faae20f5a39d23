// The `decorators` option: the plugin's functions under other names (next to a host's own
// `fastify.authenticate`), the route plugins still protected through the kit's AUTH_CONTRACT.
import { AUTH_CONTRACT, authContractOf, protect } from '@comp-manager/fastify-kit'
import Fastify from 'fastify'
import t from 'tap'
import { fastifyAuth, generateApiKey, type RenamedAuthDecorators } from '../src/index.js'
import { bearer, SECRET } from './fixtures/helpers.js'

declare module 'fastify' {
  interface FastifyInstance
    extends RenamedAuthDecorators<{ authenticate: 'compAuthenticate'; issueToken: 'compIssueToken' }> {}
}

const settled = async (registration: PromiseLike<unknown>) => {
  await registration
}

t.test('renamed decorators: the host keeps its own, the routes are protected by the contract', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  const hostAuthenticate = async () => {}
  app.decorate('authenticate', hostAuthenticate as never) // the host's own, as @fastify/jwt's docs show
  await app.register(fastifyAuth, {
    secret: SECRET,
    decorators: {
      authenticate: 'compAuthenticate',
      authorize: 'compAuthorize',
      canAccessNamespace: 'compCanAccessNamespace',
      issueToken: 'compIssueToken',
    },
  })
  t.equal(app.authenticate as unknown, hostAuthenticate, "the host's decorator is untouched")
  t.notOk(app.hasDecorator('issueToken'))
  for (const name of ['compAuthenticate', 'compAuthorize', 'compCanAccessNamespace', 'compIssueToken']) {
    t.ok(app.hasDecorator(name), name)
  }
  const contract = authContractOf(app)
  t.ok(contract, 'the route plugins find the contract')
  t.equal(contract, (app as unknown as Record<symbol, unknown>)[AUTH_CONTRACT])
  app.get('/secret', { preHandler: protect(app, 'operator') }, async () => ({ ok: true }))
  app.get('/mine', { preHandler: app.compAuthenticate }, async (request) => ({ sub: request.auth?.subject }))
  await app.ready()

  t.equal((await app.inject({ url: '/secret' })).statusCode, 401, 'protected without a token')
  const viewer = app.compIssueToken({ sub: 'v', role: 'viewer', namespaces: ['*'] })
  t.equal((await app.inject({ url: '/secret', headers: bearer(viewer) })).statusCode, 403)
  const operator = app.compIssueToken({ sub: 'op', role: 'operator', namespaces: ['*'] })
  t.equal((await app.inject({ url: '/secret', headers: bearer(operator) })).statusCode, 200)
  t.same((await app.inject({ url: '/mine', headers: bearer(operator) })).json(), { sub: 'op' })
})

t.test('bad names: refused at register(), naming the option', async (t) => {
  for (const [decorators, option, message] of [
    [{ issueToken: 'issue-token' }, 'decorators.issueToken', /a decorator name/],
    [{ authorize: '' }, 'decorators.authorize', /a decorator name/],
    [{ authenticat: 'x' }, 'decorators.authenticat', /is not an option/],
    [{ issueToken: 'authorize' }, 'decorators.issueToken', /the name of `authorize` too/],
  ] as const) {
    const app = Fastify()
    t.teardown(() => app.close())
    await t.rejects(
      settled(app.register(fastifyAuth, { secret: SECRET, decorators } as never)),
      { code: 'CM_ERR_INVALID_ARGUMENT', details: { option }, message },
      option,
    )
  }
  for (const name of ['__proto__', 'constructor', 'log']) {
    const app = Fastify()
    t.teardown(() => app.close())
    await t.rejects(
      settled(app.register(fastifyAuth, { secret: SECRET, decorators: { issueToken: name } })),
      {
        message: /is already decorated/,
        details: { decorator: name },
      },
    )
  }
})

t.test('a second registration under other names is still refused (one contract per context)', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(fastifyAuth, { secret: SECRET })
  await t.rejects(
    settled(
      app.register(fastifyAuth, {
        secret: SECRET,
        decorators: { authenticate: 'a2', authorize: 'b2', canAccessNamespace: 'c2', issueToken: 'd2' },
      }),
    ),
    { code: 'CM_ERR_INVALID_ARGUMENT', message: /an auth plugin is already registered in this context/ },
  )
})

// Regression (issue #15, found by the outsider packaging test): with `authenticate` renamed next to a
// host's own, POST /auth/token and /auth/session ran the host's `fastify.authenticate` (a no-op here),
// so `request.auth` was null and the route answered 500.
t.test("renamed authenticate: the plugin's own routes still use the plugin's authenticate", async (t) => {
  const { key, hash } = generateApiKey('svc')
  const app = Fastify()
  t.teardown(() => app.close())
  app.decorate('authenticate', (async () => {}) as never)
  await app.register(fastifyAuth, {
    secret: SECRET,
    decorators: { authenticate: 'compAuthenticate' },
    apiKeys: [{ id: 'svc', hash, role: 'operator', namespaces: ['a'] }],
    cookie: true,
  })
  const token = await app.inject({ method: 'POST', url: '/auth/token', headers: { 'x-api-key': key } })
  t.equal(token.statusCode, 200, `the key is exchanged (${token.body.slice(0, 120)})`)
  t.match(token.json(), { token: String, tokenType: 'Bearer' })
  const none = await app.inject({ method: 'POST', url: '/auth/token' })
  t.equal(none.statusCode, 401, 'no key: 401, not the host authenticate letting it through')
  t.equal(none.json().code, 'CM_ERR_UNAUTHORIZED')
  const session = await app.inject({ method: 'POST', url: '/auth/session' })
  t.equal(session.statusCode, 401, 'the session route too')
})
