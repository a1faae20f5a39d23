// The shared route kit of @comp-manager/fastify-kit, as the route plugins use it.

import type { FastifyInstance, FastifyRequest } from 'fastify'
import Fastify from 'fastify'
import t from 'tap'
import { Type } from 'typebox'
import {
  createErrorHandler,
  errorResponses,
  findDollarKey,
  findInNamespaces,
  MAX_SCANNED_NODES,
  pageOf,
  protect,
  rejectDollarKeys,
  resolveNamespaces,
  routeValidatorCompiler,
  toPageBody,
} from '../src/index.js'

t.test('findDollarKey: any depth, arrays included; query segments', async (t) => {
  t.equal(findDollarKey({ a: 1, b: [1, { c: 'x' }] }), undefined)
  t.equal(findDollarKey({ $where: 1 }), '/$where')
  t.equal(findDollarKey({ a: [{ b: { $ne: 1 } }] }), '/a/0/b/$ne')
  t.equal(findDollarKey({ price: '$5' }), undefined, 'values are not keys')
  t.equal(findDollarKey({ 'status[$ne]': 'x' }), undefined, 'not a segment check by default')
  t.equal(findDollarKey({ 'status[$ne]': 'x' }, { segments: true }), '/status[$ne]')
  t.equal(findDollarKey({ 'a.$gt': 'x' }, { segments: true }), '/a.$gt')
  t.equal(findDollarKey({ 'a/b': { $x: 1 } }), '/a~1b/$x')
  t.equal(findDollarKey(null), undefined)
  t.equal(findDollarKey('$string'), undefined)
  // Deep nesting does not overflow the stack.
  let deep: unknown = { $bottom: true }
  for (let i = 0; i < 50_000; i++) deep = [deep]
  t.match(findDollarKey(deep), /\/\$bottom$/)
  const wide = Array.from({ length: MAX_SCANNED_NODES + 1 }, () => ({}))
  t.equal(findDollarKey(wide), '', 'too many nodes: the root, so the caller refuses')
})

t.test('rejectDollarKeys throws a 400 CM_ERR_VALIDATION naming where', async (t) => {
  t.throws(() => rejectDollarKeys({ query: {}, body: { args: [{ $gt: 1 }] } }), {
    code: 'CM_ERR_VALIDATION',
    statusCode: 400,
    message: /body\/args\/0\/\$gt/,
    details: { in: 'body' },
  })
  t.throws(() => rejectDollarKeys({ query: { 'x[$ne]': '1' }, body: undefined }), {
    code: 'CM_ERR_VALIDATION',
    details: { in: 'querystring' },
  })
  t.doesNotThrow(() => rejectDollarKeys({ query: { a: '$1' }, body: { b: '$2' } }))
})

t.test('routeValidatorCompiler: unknown keys refused, strict numbers in queries', async (t) => {
  const schema = Type.Object(
    { page: Type.Optional(Type.Integer({ minimum: 1 })), ratio: Type.Optional(Type.Number()) },
    { additionalProperties: false },
  )
  const query = routeValidatorCompiler({ schema, method: 'GET', url: '/', httpPart: 'querystring' }) as (
    v: unknown,
  ) => { value?: unknown; error?: unknown }
  t.same(query({ page: '2', ratio: '0.5' }).value, { page: 2, ratio: 0.5 })
  t.same(query({ ratio: '-1e3' }).value, { ratio: -1000 })
  for (const bad of [
    { page: '1.5' },
    { page: '0x10' },
    { page: ' 2' },
    { page: '' },
    { ratio: 'NaN' },
    { extra: '1' },
  ]) {
    t.ok(query(bad).error, JSON.stringify(bad))
  }
  const body = routeValidatorCompiler({ schema, method: 'POST', url: '/', httpPart: 'body' }) as (
    v: unknown,
  ) => { value?: unknown; error?: unknown }
  t.ok(body({ page: '2' }).error, 'bodies are not converted')
  t.ok(body({ page: 2, other: 1 }).error, 'unknown fields refused')
})

t.test('resolveNamespaces without and with auth', async (t) => {
  const withAuth = { hasDecorator: (name: string) => name === 'authorize' } as unknown as FastifyInstance
  const without = { hasDecorator: () => false } as unknown as FastifyInstance
  const req = (server: FastifyInstance, auth: unknown = null) =>
    ({ server, auth }) as unknown as FastifyRequest
  const o = { defaultNamespace: 'default' }
  t.same(resolveNamespaces(req(without), o), ['default'])
  t.same(resolveNamespaces(req(without), { ...o, requested: 'default' }), ['default'])
  t.equal(resolveNamespaces(req(without), { ...o, requested: 'other' }), null)

  t.equal(resolveNamespaces(req(withAuth), o), null, 'no identity: fail closed')
  const viewer = { subject: 's', role: 'viewer', namespaces: ['a', 'b'], allNamespaces: false }
  t.same(resolveNamespaces(req(withAuth, viewer), o), ['a', 'b'])
  t.same(resolveNamespaces(req(withAuth, viewer), { ...o, requested: 'b' }), ['b'])
  t.equal(resolveNamespaces(req(withAuth, viewer), { ...o, requested: 'c' }), null)
  const star = { subject: 's', role: 'viewer', namespaces: ['a'], allNamespaces: true }
  t.same(resolveNamespaces(req(withAuth, star), o), ['default', 'a'])
  t.same(resolveNamespaces(req(withAuth, star), { ...o, requested: 'zz' }), ['zz'])
  const admin = { subject: 's', role: 'admin', namespaces: [], allNamespaces: false }
  t.same(resolveNamespaces(req(withAuth, admin), { ...o, requested: 'zz' }), ['zz'])
})

t.test(
  'findInNamespaces: the first namespace that has it, else the 404 given; never outside the caller',
  async (t) => {
    const withAuth = { hasDecorator: (name: string) => name === 'authorize' } as unknown as FastifyInstance
    const viewer = { subject: 's', role: 'viewer', namespaces: ['a', 'b'], allNamespaces: false }
    const request = { server: withAuth, auth: viewer } as unknown as FastifyRequest
    const data: Record<string, string> = { b: 'in b', c: 'in c' }
    const asked: string[] = []
    const get = async (ns: string) => {
      asked.push(ns)
      return data[ns] ?? null
    }
    const missing = () => new Error('404')
    const scope = { defaultNamespace: 'default', requested: undefined }
    t.equal(await findInNamespaces(request, scope, get, missing), 'in b')
    t.same(asked.sort(), ['a', 'b'], 'only the namespaces of the identity are read')
    asked.length = 0
    await t.rejects(findInNamespaces(request, { ...scope, requested: 'c' }, get, missing), { message: '404' })
    t.same(asked, [], "another tenant's namespace is never read")
    await t.rejects(findInNamespaces(request, { ...scope, requested: 'a' }, get, missing), { message: '404' })
  },
)

t.test('protect, pagination helpers, error responses', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  t.same(protect(app, 'viewer'), [])
  const calls: string[] = []
  app.decorate('authorize', (role: string) => {
    calls.push(role)
    return async () => {}
  })
  t.equal(protect(app, 'admin').length, 1)
  t.same(calls, ['admin'])
  t.same(pageOf({}), { page: 1, perPage: 20 })
  t.same(pageOf({ page: 3, per_page: 5 }), { page: 3, perPage: 5 })
  t.same(
    toPageBody(
      { data: [1, 2], page: 1, perPage: 2, total: 5, pages: 3, totalIsLowerBound: false, nextCursor: 'c' },
      (n) => n * 10,
    ),
    {
      data: [10, 20],
      page: 1,
      per_page: 2,
      total: 5,
      pages: 3,
      total_is_lower_bound: false,
      next_cursor: 'c',
    },
  )
  const responses = errorResponses(400, 404)
  t.same(Object.keys(responses), ['400', '404'])
  t.notOk('$id' in responses[400]!, 'no $id: inline in every route')
})

t.test('createErrorHandler renders the one error body with the request id', async (t) => {
  const app = Fastify({ genReqId: () => 'req-1' })
  t.teardown(() => app.close())
  app.setErrorHandler(createErrorHandler())
  app.get('/teapot', async (_request, reply) => {
    reply.header('retry-after', '3')
    throw Object.assign(new Error('slow down'), { statusCode: 429 })
  })
  const res = await app.inject({ url: '/teapot' })
  t.equal(res.statusCode, 429)
  t.equal(res.headers['retry-after'], '3', 'headers set before the error are kept')
  t.same(res.json(), {
    statusCode: 429,
    code: 'CM_ERR_RATE_LIMITED',
    error: 'Too Many Requests',
    message: 'slow down',
    requestId: 'req-1',
  })
})
