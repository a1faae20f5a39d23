// Issue 13 at the server: 401s share the caller's address bucket (no laxer limit than 200s, however many
// forged tokens are tried), development tokens refused in production, PUT on a terminal record is 409.
import { MemoryStore } from '@comp-manager/core'
import t from 'tap'
import { build, SECRET } from './fixtures/helpers.js'

t.test(
  'failed authentications count against the address: forged tokens do not buy new buckets',
  async (t) => {
    const app = await build(t, { RATE_LIMIT_MAX: '5', RATE_LIMIT_WINDOW: '1m' })
    const statuses: number[] = []
    for (let i = 0; i < 8; i++) {
      const forged = `eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4${i}In0.${'A'.repeat(43)}`
      const res = await app.inject({
        url: '/api/v1/computations',
        headers: { authorization: `Bearer ${forged}` },
      })
      statuses.push(res.statusCode)
    }
    t.same(statuses.slice(0, 5), [401, 401, 401, 401, 401], 'the first 5 are 401')
    t.same(statuses.slice(5), [429, 429, 429], 'then 429, as for any caller over 5')
    const anonymous = await app.inject({ url: '/api/v1/computations' })
    t.equal(anonymous.statusCode, 429, 'no credentials: the same address bucket')
    t.equal(anonymous.json().code, 'CM_ERR_RATE_LIMITED')
  },
)

t.test('a development token is refused by a production server sharing the secret', async (t) => {
  const dev = await build(t, {})
  const token = dev.issueToken({ sub: 'developer', role: 'admin', namespaces: ['*'] }, { development: true })
  t.equal(
    (await dev.inject({ url: '/api/v1/computations', headers: { authorization: `Bearer ${token}` } }))
      .statusCode,
    200,
  )
  const prod = await build(t, { NODE_ENV: 'production', JWT_SECRET: SECRET })
  const res = await prod.inject({
    url: '/api/v1/computations',
    headers: { authorization: `Bearer ${token}` },
  })
  t.equal(res.statusCode, 401)
  t.equal(res.json().code, 'CM_ERR_UNAUTHORIZED')
})

t.test('PUT on a terminal record is 409 and changes nothing', async (t) => {
  const store = new MemoryStore()
  const app = await build(t, {}, { store })
  const headers = {
    authorization: `Bearer ${app.issueToken({ sub: 'ops', role: 'admin', namespaces: ['*'] })}`,
  }
  const created = await app.inject({
    method: 'POST',
    url: '/api/v1/computations',
    headers,
    payload: { function: 'done', args: [1], status: 'started' },
  })
  t.equal(created.statusCode, 201)
  const id = created.json().id as string
  const finish = await app.inject({
    method: 'PUT',
    url: `/api/v1/computations/${id}`,
    headers,
    payload: { status: 'finished' },
  })
  t.equal(finish.statusCode, 200)
  const before = (await store.computations.get('default', id))!
  for (const payload of [
    { status: 'started' },
    { status: 'failed' },
    { message: 'rewritten' },
    { progress: { fraction: 0.5 } },
  ]) {
    const res = await app.inject({ method: 'PUT', url: `/api/v1/computations/${id}`, headers, payload })
    t.equal(res.statusCode, 409, `${JSON.stringify(payload)} → 409`)
    t.match(res.json().code, /^CM_ERR_(INVALID_TRANSITION|CONFLICT)$/)
  }
  const after = (await store.computations.get('default', id))!
  t.equal(after.status, 'finished')
  t.equal(after.message, before.message, 'message unchanged')
  t.same(after.progress, before.progress, 'progress unchanged')
  t.equal(after.updatedAt, before.updatedAt, 'not written')
})
