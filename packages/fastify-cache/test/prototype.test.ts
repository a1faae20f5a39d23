import t from 'tap'
import { build, expectStatus, fill } from './fixtures/helpers.js'

const snapshot = () => ({
  keys: Object.getOwnPropertyNames(Object.prototype).sort(),
  // biome-ignore lint/suspicious/noExplicitAny: probing for pollution
  polluted: ({} as any).polluted,
})

t.test('__proto__ and constructor in bodies and queries change nothing', async (t) => {
  const before = snapshot()
  const app = await build(t)
  await fill(app.cache)
  const bodies = [
    '{"__proto__":{"polluted":true},"tag":"math"}',
    '{"tag":"math","constructor":{"prototype":{"polluted":true}}}',
    '{"__proto__":{"all":true}}',
    '{"tag":"x","namespace":"default","__proto__":{"namespace":"team-b"}}',
  ]
  for (const payload of bodies) {
    const res = await app.inject({
      method: 'POST',
      url: '/cache/invalidate',
      payload,
      headers: { 'content-type': 'application/json' },
    })
    t.ok([400].includes(res.statusCode), `${payload} → ${res.statusCode}`)
    t.match(res.json(), { code: /^CM_ERR_(VALIDATION|MALFORMED)$/ })
  }
  for (const url of [
    '/cache?__proto__[polluted]=true',
    '/cache?constructor[prototype][polluted]=true',
    '/cache/stats?__proto__=x',
    '/cache/abc?__proto__.polluted=1',
  ]) {
    const res = await app.inject({ url })
    t.equal(res.statusCode, 400, `${url} → 400`)
  }
  t.same(snapshot(), before, 'Object.prototype unchanged')
  t.equal((await app.compStore.cache.stats('default')).entries, 4, 'nothing was invalidated')

  // A key named __proto__ is just a key.
  await app.cache.set('__proto__', { a: 1 })
  const entry = expectStatus(t, await app.inject({ url: '/cache/__proto__' }), 200)
  t.same(entry.value, { a: 1 })
  t.same(snapshot(), before, 'still unchanged')
})
