import { decode } from '@comp-manager/core/codec'
import type { FastifyInstance } from 'fastify'
import t, { type Test } from 'tap'
import '../src/decorator.js'
import {
  as,
  build,
  claims,
  craftToken,
  expectStatus,
  fill,
  fillOther,
  nowSeconds,
} from './fixtures/helpers.js'

/** An app with fastify-auth: `default` filled with 4 entries, `team-b` and `team-c` with 2 each. */
async function setup(t: Test) {
  const app = await build(t, { auth: true })
  await fill(app.cache)
  const b = await fillOther(app, 'team-b')
  const c = await fillOther(app, 'team-c')
  t.teardown(async () => {
    await b.close()
    await c.close()
  })
  const keyIn = async (namespace: string) => (await app.compStore.cache.list({ namespace })).data[0]!.key
  return { app, keyIn }
}
const routes = (key: string) =>
  [
    ['GET', '/cache'],
    ['GET', '/cache/stats'],
    ['GET', `/cache/${key}`],
    ['DELETE', `/cache/${key}`],
    ['POST', '/cache/invalidate'],
  ] as const

async function call(app: FastifyInstance, method: string, url: string, headers: Record<string, string> = {}) {
  return app.inject({
    method: method as 'GET',
    url,
    headers,
    ...(method === 'POST' ? { payload: { all: true } } : {}),
  })
}

t.test('401 on every route: missing, expired, wrong-signature and alg:none tokens', async (t) => {
  const { app, keyIn } = await setup(t)
  const key = await keyIn('default')
  const tokens: Record<string, string | undefined> = {
    missing: undefined,
    expired: craftToken(claims({ iat: nowSeconds() - 7200, exp: nowSeconds() - 3600 })),
    'wrong signature': craftToken(claims(), { secret: 'another-secret-0123456789-abcdefghijklmnopq' }),
    'alg none': craftToken(claims(), { header: { alg: 'none', typ: 'JWT' } }),
    garbage: 'not.a.jwt',
  }
  for (const [method, url] of routes(key)) {
    for (const [label, token] of Object.entries(tokens)) {
      const res = await call(
        app,
        method,
        url,
        token === undefined ? {} : { authorization: `Bearer ${token}` },
      )
      t.equal(res.statusCode, 401, `${method} ${url}: ${label} → 401`)
      t.equal(res.headers['www-authenticate'], 'Bearer')
      t.match(res.json(), { statusCode: 401, code: 'CM_ERR_UNAUTHORIZED', requestId: String })
    }
  }
  t.equal((await app.compStore.cache.stats('default')).entries, 4, 'nothing was deleted')
})

t.test('403: a viewer may not invalidate or delete, an operator may not delete', async (t) => {
  const { app, keyIn } = await setup(t)
  const key = await keyIn('default')
  const viewer = as(app, 'viewer')
  const operator = as(app, 'operator')
  expectStatus(t, await call(app, 'POST', '/cache/invalidate', viewer), 403, 'CM_ERR_FORBIDDEN')
  expectStatus(t, await call(app, 'DELETE', `/cache/${key}`, viewer), 403, 'CM_ERR_FORBIDDEN')
  expectStatus(t, await call(app, 'DELETE', `/cache/${key}`, operator), 403, 'CM_ERR_FORBIDDEN')
  t.equal((await app.compStore.cache.stats('default')).entries, 4, 'nothing was deleted')

  // The roles that may: viewer reads, operator invalidates, admin deletes.
  expectStatus(t, await call(app, 'GET', '/cache', viewer), 200)
  expectStatus(t, await call(app, 'GET', `/cache/${key}`, viewer), 200)
  expectStatus(t, await call(app, 'GET', '/cache/stats', viewer), 200)
  expectStatus(t, await call(app, 'DELETE', `/cache/${key}`, as(app, 'admin')), 204)
  t.same(expectStatus(t, await call(app, 'POST', '/cache/invalidate', operator), 200), {
    deleted: 3,
    namespace: 'default',
  })
})

t.test('namespaces: a token sees its namespaces only; others are 404, never 403', async (t) => {
  const { app, keyIn } = await setup(t)
  const own = await keyIn('team-b')
  const foreign = await keyIn('default')
  const viewerB = as(app, 'viewer', ['team-b'])

  const list = expectStatus(t, await call(app, 'GET', '/cache', viewerB), 200)
  t.equal(list.total, 2)
  t.ok(
    list.data.every((e: { namespace: string }) => e.namespace === 'team-b'),
    'only team-b entries',
  )
  expectStatus(t, await call(app, 'GET', '/cache?namespace=default', viewerB), 404, 'CM_ERR_NOT_FOUND')
  expectStatus(t, await call(app, 'GET', '/cache?namespace=team-c', viewerB), 404, 'CM_ERR_NOT_FOUND')

  const entry = expectStatus(t, await call(app, 'GET', `/cache/${own}`, viewerB), 200)
  t.equal(entry.namespace, 'team-b')
  t.equal(typeof decode(entry.value), 'number')
  const hidden = expectStatus(
    t,
    await call(app, 'GET', `/cache/${foreign}`, viewerB),
    404,
    'CM_ERR_NOT_FOUND',
  )
  t.notMatch(JSON.stringify(hidden), /default/, 'the 404 does not name the namespace it lives in')
  expectStatus(
    t,
    await call(app, 'GET', `/cache/${foreign}?namespace=default`, viewerB),
    404,
    'CM_ERR_NOT_FOUND',
  )

  // Stats: no counters of a namespace the token does not cover.
  const stats = expectStatus(t, await call(app, 'GET', '/cache/stats', viewerB), 200)
  t.same(stats, {
    namespace: null,
    hits: null,
    misses: null,
    staleHits: null,
    dedupes: null,
    hitRate: null,
    entries: 2,
    bytes: stats.namespaces[0].bytes,
    namespaces: [{ namespace: 'team-b', entries: 2, bytes: stats.namespaces[0].bytes }],
  })
  const both = expectStatus(
    t,
    await call(app, 'GET', '/cache/stats', as(app, 'viewer', ['default', 'team-b'])),
    200,
  )
  t.match(both, { namespace: 'default', hits: 0, misses: 4, entries: 6 })
  t.same(
    both.namespaces.map((n: { namespace: string }) => n.namespace),
    ['default', 'team-b'],
  )
  const listBoth = expectStatus(
    t,
    await call(app, 'GET', '/cache', as(app, 'viewer', ['default', 'team-b'])),
    200,
  )
  t.equal(listBoth.total, 6)

  // Writes outside the token's namespaces: 404, and nothing deleted.
  const operatorB = as(app, 'operator', ['team-b'])
  const res = await app.inject({
    method: 'POST',
    url: '/cache/invalidate',
    headers: operatorB,
    payload: { all: true, namespace: 'default' },
  })
  expectStatus(t, res, 404, 'CM_ERR_NOT_FOUND')
  t.equal((await app.compStore.cache.stats('default')).entries, 4)
  // Without `namespace`, the operator's only namespace.
  const mine = await app.inject({
    method: 'POST',
    url: '/cache/invalidate',
    headers: operatorB,
    payload: { all: true },
  })
  t.same(expectStatus(t, mine, 200), { deleted: 2, namespace: 'team-b' })
  t.equal((await app.compStore.cache.stats('team-c')).entries, 2, 'team-c untouched')

  // Several namespaces, not the plugin's: `namespace` is required.
  const operatorBC = as(app, 'operator', ['team-b', 'team-c'])
  const ambiguous = await app.inject({
    method: 'POST',
    url: '/cache/invalidate',
    headers: operatorBC,
    payload: { tag: 'math' },
  })
  expectStatus(t, ambiguous, 400, 'CM_ERR_VALIDATION')
  const explicit = await app.inject({
    method: 'POST',
    url: '/cache/invalidate',
    headers: operatorBC,
    payload: { tag: 'math', namespace: 'team-c' },
  })
  t.same(expectStatus(t, explicit, 200), { deleted: 2, namespace: 'team-c' })
})

t.test('admin: every namespace, when asked for by name', async (t) => {
  const { app, keyIn } = await setup(t)
  const admin = as(app, 'admin', ['*'])
  const inB = await keyIn('team-b')
  expectStatus(t, await call(app, 'DELETE', `/cache/${inB}`, admin), 404, 'CM_ERR_NOT_FOUND')
  expectStatus(t, await call(app, 'DELETE', `/cache/${inB}?namespace=team-b`, admin), 204)
  expectStatus(t, await call(app, 'DELETE', `/cache/${inB}?namespace=team-b`, admin), 404, 'CM_ERR_NOT_FOUND')
  const listB = expectStatus(t, await call(app, 'GET', '/cache?namespace=team-b', admin), 200)
  t.equal(listB.total, 1)
  const listDefault = expectStatus(t, await call(app, 'GET', '/cache', admin), 200)
  t.equal(listDefault.total, 4, "without asking: the plugin's namespace")
  const stats = expectStatus(t, await call(app, 'GET', '/cache/stats?namespace=team-c', admin), 200)
  t.match(stats, { namespace: null, hits: null, entries: 2 })
})

t.test('a viewer token with no namespace sees an empty listing and 404s', async (t) => {
  const { app, keyIn } = await setup(t)
  const nobody = as(app, 'viewer', [])
  t.match(expectStatus(t, await call(app, 'GET', '/cache', nobody), 200), { data: [], total: 0, pages: 0 })
  expectStatus(t, await call(app, 'GET', `/cache/${await keyIn('default')}`, nobody), 404, 'CM_ERR_NOT_FOUND')
  t.match(expectStatus(t, await call(app, 'GET', '/cache/stats', nobody), 200), {
    namespace: null,
    entries: 0,
    namespaces: [],
  })
})
