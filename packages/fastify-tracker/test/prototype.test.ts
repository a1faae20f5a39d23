// `__proto__` and `constructor` in bodies and query strings: refused, and Object.prototype unchanged.
import t from 'tap'
import { buildMemory, seed } from './fixtures/helpers.js'

const snapshot = () => Object.getOwnPropertyNames(Object.prototype).sort().join(',')

t.test('Object.prototype is unchanged after __proto__ bodies and queries', async (t) => {
  const { app, store } = await buildMemory(t)
  const record = await seed(store)
  const before = snapshot()
  const bodies = [
    '{"function":"f","__proto__":{"polluted":true}}',
    '{"function":"f","args":[{"__proto__":{"polluted":true}}]}',
    '{"function":"f","args":[{"a":{"__proto__":{"polluted":true}}}]}',
    '{"function":"f","constructor":{"prototype":{"polluted":true}}}',
    '{"function":"f","args":[{"constructor":{"prototype":{"polluted":true}}}]}',
  ]
  for (const payload of bodies) {
    const res = await app.inject({
      method: 'POST',
      url: '/computations',
      headers: { 'content-type': 'application/json' },
      payload,
    })
    t.equal(res.statusCode, 400, payload)
    t.match(res.json().code, /^CM_ERR_/)
  }
  for (const payload of [
    '{"__proto__":{"status":"finished"}}',
    '{"message":"x","__proto__":{"polluted":1}}',
  ]) {
    const res = await app.inject({
      method: 'PUT',
      url: `/computations/${record.id}`,
      headers: { 'content-type': 'application/json' },
      payload,
    })
    t.equal(res.statusCode, 400, payload)
  }
  for (const query of ['__proto__[polluted]=1', 'constructor[prototype][polluted]=1', '__proto__=x']) {
    t.equal((await app.inject({ url: `/computations?${query}` })).statusCode, 400, query)
  }
  t.equal(snapshot(), before)
  t.equal(({} as Record<string, unknown>).polluted, undefined)
  t.equal((await store.computations.get('default', record.id))?.status, 'queued')
  t.equal((await store.computations.list({ namespace: 'default' })).total, 1, 'nothing created')
})
