// 400s: bad types, unknown fields and query keys, `$` keys, pagination bounds, bad dates, bad statuses.
import { encode } from '@comp-manager/core'
import t from 'tap'
import { buildMemory, expectError, seed } from './fixtures/helpers.js'

t.test('list query: every bad value is a 400 CM_ERR_VALIDATION', async (t) => {
  const { app } = await buildMemory(t)
  const bad = [
    'page=0',
    'page=-1',
    'page=abc',
    'page=1.5',
    'page=0x10',
    'page=',
    'per_page=0',
    'per_page=101',
    'per_page=1e2',
    'per_page=ten',
    'status=running',
    'status=queued,bogus',
    'status=queued,',
    'status=QUEUED',
    'since=2024-01-01',
    'since=yesterday',
    'until=2024-13-01T00:00:00Z',
    'until=1700000000000',
    'sort=name',
    'sort=createdat',
    'namespace=has%20space',
    'namespace=',
    'function=',
    'limit=10',
    'offset=5',
    'page=1&extra=1',
    'status[$ne]=finished',
    '$where=1',
    'status.$gt=a',
    '__proto__=x',
  ]
  for (const query of bad) {
    const res = await app.inject({ url: `/computations?${query}` })
    t.equal(res.statusCode, 400, `${query} → 400`)
    t.equal(res.json().code, 'CM_ERR_VALIDATION', `${query} → CM_ERR_VALIDATION`)
  }
})

t.test('list query: valid values pass', async (t) => {
  const { app } = await buildMemory(t)
  const good = [
    'page=1',
    'page=3&per_page=100',
    'per_page=1',
    'status=queued',
    'status=queued,started,paused',
    'status=queued&status=failed',
    'since=2024-01-01T00:00:00Z&until=2030-01-01T00:00:00.000Z',
    'since=2024-01-01T00:00:00%2B02:00',
    'sort=-updatedAt',
    'function=math%2Ffib',
    'namespace=default',
  ]
  for (const query of good) {
    const res = await app.inject({ url: `/computations?${query}` })
    t.equal(res.statusCode, 200, `${query} → 200`)
  }
})

t.test('the error body: one shape, the request id, validation details, no stack', async (t) => {
  const { app } = await buildMemory(t)
  const res = await app.inject({ url: '/computations?per_page=101', headers: { 'x-request-id': 'abc' } })
  const body = expectError(t, res, 400, 'CM_ERR_VALIDATION')
  t.equal(body.error, 'Bad Request')
  t.match(body.details, { in: 'querystring', issues: [{ path: 'querystring/per_page' }] })
  t.same(Object.keys(body).sort(), ['code', 'details', 'error', 'message', 'requestId', 'statusCode'])

  const dollar = expectError(
    t,
    await app.inject({ url: '/computations?status[$ne]=x' }),
    400,
    'CM_ERR_VALIDATION',
  )
  t.match(dollar.message, /\$/)
  t.match(dollar.details, { in: 'querystring' })
})

t.test('POST body: bad types, unknown fields and `$` keys are 400', async (t) => {
  const { app, store } = await buildMemory(t)
  const bad: Array<[string, unknown]> = [
    ['no body', undefined],
    ['not an object', [1, 2]],
    ['missing function', { args: [] }],
    ['empty function', { function: '' }],
    ['function a number', { function: 42 }],
    ['unknown field', { function: 'f', hash: 'x' }],
    ['unknown field id', { function: 'f', id: 'mine' }],
    ['status not allowed', { function: 'f', status: 'finished' }],
    ['args not a list', { function: 'f', args: { a: 1 } }],
    ['args a string', { function: 'f', args: '[1]' }],
    ['bad namespace', { function: 'f', namespace: 'bad ns' }],
    ['version an object', { function: 'f', version: { v: 1 } }],
    ['message too long', { function: 'f', message: 'x'.repeat(4097) }],
    ['$where at the top', { function: 'f', $where: 'sleep(1000)' }],
    ['$ key in args', { function: 'f', args: [{ $gt: '' }] }],
    ['$ key deep in args', { function: 'f', args: [{ a: [{ b: { $ne: null } }] }] }],
    ['malformed encoded args', { function: 'f', args: [{ __type__: 'BigInt', value: 'not a number' }] }],
    ['unknown codec type', { function: 'f', args: [{ __type__: 'NoSuchType', value: 1 }] }],
  ]
  for (const [what, payload] of bad) {
    const res = await app.inject({
      method: 'POST',
      url: '/computations',
      ...(payload === undefined ? {} : { payload: payload as object }),
    })
    t.equal(res.statusCode, 400, `${what} → 400`)
    t.match(res.json().code, /^CM_ERR_(VALIDATION|MALFORMED|UNKNOWN_TYPE)$/, `${what} → ${res.json().code}`)
  }
  const invalidJson = await app.inject({
    method: 'POST',
    url: '/computations',
    headers: { 'content-type': 'application/json' },
    payload: '{"function": ',
  })
  expectError(t, invalidJson, 400, 'CM_ERR_MALFORMED')
  t.equal((await store.computations.list({ namespace: 'default' })).total, 0, 'nothing was created')
})

t.test('POST accepts encoded values whose tags are data, not `$` operators', async (t) => {
  const { app } = await buildMemory(t)
  const res = await app.inject({
    method: 'POST',
    url: '/computations',
    payload: { function: 'f', args: encode([1n, new Set(['a']), { price: '$5' }]) },
  })
  t.equal(res.statusCode, 201, '`$` in a value is fine; only keys are refused')
})

t.test('PUT body: bad types, unknown fields, empty body and invalid statuses are 400', async (t) => {
  const { app, store } = await buildMemory(t)
  const record = await seed(store)
  const bad: Array<[string, unknown]> = [
    ['empty body', {}],
    ['unknown field', { note: 'x' }],
    ['invalid status', { status: 'running' }],
    ['status a number', { status: 1 }],
    ['progress over 1', { progress: { fraction: 1.5 } }],
    ['progress without fraction', { progress: { note: 'x' } }],
    ['progress extra field', { progress: { fraction: 0.5, eta: 3 } }],
    ['message a number', { message: 5 }],
    ['$set', { $set: { status: 'finished' } }],
  ]
  for (const [what, payload] of bad) {
    const res = await app.inject({
      method: 'PUT',
      url: `/computations/${record.id}`,
      payload: payload as object,
    })
    t.equal(res.statusCode, 400, `${what} → 400`)
    t.equal(res.json().code, 'CM_ERR_VALIDATION', `${what} → CM_ERR_VALIDATION`)
  }
  t.equal((await store.computations.get('default', record.id))?.status, 'queued', 'unchanged')
})

t.test('record routes: unknown query keys are 400', async (t) => {
  const { app, store } = await buildMemory(t)
  const record = await seed(store)
  for (const url of [
    `/computations/${record.id}?page=1`,
    `/computations/${record.id}?namespace[$ne]=x`,
    `/computations/${record.id}/events?since=2024-01-01T00:00:00Z`,
  ]) {
    const res = await app.inject({ url })
    t.equal(res.statusCode, 400, `${url.slice(0, 60)} → 400`)
  }
  const del = await app.inject({ method: 'DELETE', url: `/computations/${record.id}?force=true` })
  t.equal(del.statusCode, 400)
  // Fastify's router refuses parameters over `maxParamLength` (100) before any schema: 414.
  t.equal((await app.inject({ url: `/computations/${'x'.repeat(257)}` })).statusCode, 414)
})
