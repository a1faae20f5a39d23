// With @comp-manager/fastify-auth registered first: 401, 403, namespace scoping (404 outside).
import type { RouteOptions } from 'fastify'
import t from 'tap'
import {
  bearer,
  buildMemory,
  claims,
  craftToken,
  expectError,
  now,
  OTHER_SECRET,
  seed,
  tokenFor,
} from './fixtures/helpers.js'

t.test('401 CM_ERR_UNAUTHORIZED: missing, expired, wrong-signature and alg none tokens', async (t) => {
  const { app, store } = await buildMemory(t, { auth: true })
  const record = await seed(store)
  const tokens: Array<[string, Record<string, string>]> = [
    ['missing', {}],
    ['expired', bearer(craftToken(claims('admin', ['*'], { iat: now() - 3600, exp: now() - 600 })))],
    ['wrong signature', bearer(craftToken(claims('admin', ['*']), { secret: OTHER_SECRET }))],
    ['alg none', bearer(craftToken(claims('admin', ['*']), { header: { alg: 'none', typ: 'JWT' } }))],
    ['garbage', bearer('not.a.token')],
  ]
  const routes = [
    ['GET', '/computations'],
    ['POST', '/computations'],
    ['GET', `/computations/${record.id}`],
    ['PUT', `/computations/${record.id}`],
    ['DELETE', `/computations/${record.id}`],
    ['GET', `/computations/${record.id}/events`],
  ] as const
  for (const [what, headers] of tokens) {
    for (const [method, url] of routes) {
      const payload = method === 'POST' ? { function: 'f' } : method === 'PUT' ? { message: 'x' } : undefined
      const res = await app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload }) })
      t.equal(res.statusCode, 401, `${what}: ${method} ${url} → 401`)
      t.equal(res.json().code, 'CM_ERR_UNAUTHORIZED')
      t.equal(res.headers['www-authenticate'], 'Bearer')
    }
  }
  t.equal((await store.computations.get('default', record.id))?.message, null, 'nothing changed')
})

t.test('403 CM_ERR_FORBIDDEN: a viewer may not write, an operator may not delete', async (t) => {
  const { app, store } = await buildMemory(t, { auth: true })
  const record = await seed(store)
  const viewer = tokenFor(app, 'viewer', ['default'])
  const operator = tokenFor(app, 'operator', ['default'])
  expectError(
    t,
    await app.inject({ method: 'POST', url: '/computations', headers: viewer, payload: { function: 'f' } }),
    403,
    'CM_ERR_FORBIDDEN',
  )
  expectError(
    t,
    await app.inject({
      method: 'PUT',
      url: `/computations/${record.id}`,
      headers: viewer,
      payload: { message: 'x' },
    }),
    403,
    'CM_ERR_FORBIDDEN',
  )
  expectError(
    t,
    await app.inject({ method: 'DELETE', url: `/computations/${record.id}`, headers: viewer }),
    403,
    'CM_ERR_FORBIDDEN',
  )
  expectError(
    t,
    await app.inject({ method: 'DELETE', url: `/computations/${record.id}`, headers: operator }),
    403,
    'CM_ERR_FORBIDDEN',
  )
  // What each role may do.
  t.equal((await app.inject({ url: '/computations', headers: viewer })).statusCode, 200)
  t.equal((await app.inject({ url: `/computations/${record.id}`, headers: viewer })).statusCode, 200)
  const created = await app.inject({
    method: 'POST',
    url: '/computations',
    headers: operator,
    payload: { function: 'f' },
  })
  t.equal(created.statusCode, 201)
  t.equal(created.json().owner, 'operator-user', 'the owner is the token subject')
  t.equal(
    (
      await app.inject({
        method: 'PUT',
        url: `/computations/${record.id}`,
        headers: operator,
        payload: { message: 'x' },
      })
    ).statusCode,
    200,
  )
  const admin = tokenFor(app, 'admin', [])
  t.equal(
    (await app.inject({ method: 'DELETE', url: `/computations/${record.id}`, headers: admin })).statusCode,
    204,
  )
})

t.test("namespaces: a record outside the token's namespaces is 404; listings are scoped", async (t) => {
  const { app, store } = await buildMemory(t, { auth: true })
  const a = await seed(store, { namespace: 'team-a' })
  const b = await seed(store, { namespace: 'team-b' })
  const d = await seed(store, { namespace: 'default' })
  const teamA = tokenFor(app, 'operator', ['team-a'])

  // Read, update, follow, delete (as an admin of team-a only… admins see all, so use operator + viewer).
  for (const [method, url] of [
    ['GET', `/computations/${b.id}`],
    ['GET', `/computations/${b.id}?namespace=team-b`],
    ['GET', `/computations/${d.id}`],
    ['GET', `/computations/${b.id}/events`],
  ] as const) {
    expectError(t, await app.inject({ method, url, headers: teamA }), 404, 'CM_ERR_NOT_FOUND')
  }
  expectError(
    t,
    await app.inject({
      method: 'PUT',
      url: `/computations/${b.id}`,
      headers: teamA,
      payload: { status: 'failed' },
    }),
    404,
    'CM_ERR_NOT_FOUND',
  )
  t.equal((await store.computations.get('team-b', b.id))?.status, 'queued', 'untouched')
  expectError(
    t,
    await app.inject({ url: '/computations?namespace=team-b', headers: teamA }),
    404,
    'CM_ERR_NOT_FOUND',
  )
  expectError(
    t,
    await app.inject({
      method: 'POST',
      url: '/computations',
      headers: teamA,
      payload: { function: 'f', namespace: 'team-b' },
    }),
    404,
    'CM_ERR_NOT_FOUND',
  )

  // Inside: found, listed, created in the token's namespace by default.
  t.equal((await app.inject({ url: `/computations/${a.id}`, headers: teamA })).statusCode, 200)
  const list = (await app.inject({ url: '/computations', headers: teamA })).json()
  t.same(
    list.data.map((r: { id: string }) => r.id),
    [a.id],
  )
  const created = await app.inject({
    method: 'POST',
    url: '/computations',
    headers: teamA,
    payload: { function: 'g' },
  })
  t.equal(created.json().namespace, 'team-a')

  // Several namespaces: the listing covers them all; a create must say where (unless the default is one).
  const ab = tokenFor(app, 'operator', ['team-a', 'team-b'])
  t.equal((await app.inject({ url: '/computations', headers: ab })).json().total, 3)
  t.equal((await app.inject({ url: `/computations/${b.id}`, headers: ab })).statusCode, 200)
  expectError(
    t,
    await app.inject({ method: 'POST', url: '/computations', headers: ab, payload: { function: 'h' } }),
    400,
    'CM_ERR_VALIDATION',
  )

  // A token without namespaces sees nothing.
  const none = tokenFor(app, 'viewer', [])
  t.match((await app.inject({ url: '/computations', headers: none })).json(), { total: 0, data: [] })
  expectError(t, await app.inject({ url: `/computations/${a.id}`, headers: none }), 404, 'CM_ERR_NOT_FOUND')

  // Admins and '*' tokens: any namespace they ask for; by default the plugin's.
  const admin = tokenFor(app, 'admin', [])
  t.equal(
    (await app.inject({ url: `/computations/${b.id}?namespace=team-b`, headers: admin })).statusCode,
    200,
  )
  t.equal((await app.inject({ url: `/computations/${d.id}`, headers: admin })).statusCode, 200)
  t.same(
    (await app.inject({ url: '/computations', headers: admin })).json().data.map((r: { id: string }) => r.id),
    [d.id],
  )
  const star = tokenFor(app, 'viewer', ['*'])
  t.equal((await app.inject({ url: '/computations?namespace=team-b', headers: star })).json().total, 1)
})

t.test('with auth, every route declares its security; without, none does', async (t) => {
  for (const auth of [true, false]) {
    const routes: RouteOptions[] = []
    await buildMemory(t, {
      auth,
      before: (app) => {
        app.addHook('onRoute', (route) => {
          if (route.url.startsWith('/computations')) routes.push(route)
        })
      },
    })
    t.ok(routes.length >= 6)
    for (const route of routes) {
      const schema = route.schema as Record<string, unknown>
      t.same(schema.tags, ['computations'])
      t.type(schema.summary, 'string')
      t.type(schema.description, 'string')
      t.ok(schema.response, `${route.method} ${route.url} declares its responses`)
      if (auth) {
        t.same(schema.security, [{ bearerAuth: [] }, { apiKeyAuth: [] }])
        t.ok((schema.response as Record<number, unknown>)[401], '401 declared')
      } else t.notOk('security' in schema)
    }
  }
})
