// Token hardening (issue 13): development tokens refused in production, iat/nbf within the clock skew,
// tokens of a removed API key revoked at their next use.
import t from 'tap'
import type { ApiKeyEntry } from '../src/index.js'
import { apiKeyEntries, bearer, build, claims, craftToken, keys, now } from './fixtures/helpers.js'

const whoami = (app: Awaited<ReturnType<typeof build>>, token: string) =>
  app.inject({ url: '/whoami', headers: bearer(token) })

t.test('a development token works where development tokens are accepted, and nowhere else', async (t) => {
  const dev = await build(t, { acceptDevelopmentTokens: true })
  const token = dev.issueToken({ sub: 'developer', role: 'admin', namespaces: ['*'] }, { development: true })
  t.equal((await whoami(dev, token)).statusCode, 200)
  const prod = await build(t, { acceptDevelopmentTokens: false })
  const refused = await whoami(prod, token)
  t.equal(refused.statusCode, 401, 'same secret, production server: 401')
  t.equal(refused.json().code, 'CM_ERR_UNAUTHORIZED')
  t.match(refused.json().message, /Development tokens/)
  const forged = craftToken(claims({ cm_dev: false }))
  t.equal((await whoami(prod, forged)).statusCode, 401, 'any value of the claim is refused')
  const plain = prod.issueToken({ sub: 'ops', role: 'admin', namespaces: ['*'] })
  t.equal((await whoami(prod, plain)).statusCode, 200, 'an ordinary token still works')
})

t.test('the default follows NODE_ENV', async (t) => {
  const saved = process.env.NODE_ENV
  t.teardown(() => {
    process.env.NODE_ENV = saved
  })
  process.env.NODE_ENV = 'production'
  const prod = await build(t)
  const token = prod.issueToken({ sub: 'd', role: 'admin', namespaces: ['*'] }, { development: true })
  t.equal((await whoami(prod, token)).statusCode, 401)
  process.env.NODE_ENV = 'development'
  const dev = await build(t)
  t.equal((await whoami(dev, token)).statusCode, 200)
})

t.test('iat and nbf in the future are refused beyond the clock tolerance', async (t) => {
  const app = await build(t, { clockTolerance: 30 })
  const cases: [string, Record<string, unknown>, number][] = [
    ['iat a year ahead', { iat: now() + 365 * 86_400, exp: now() + 366 * 86_400 }, 401],
    ['iat 60 s ahead', { iat: now() + 60 }, 401],
    ['iat 20 s ahead (within 30 s)', { iat: now() + 20 }, 200],
    ['nbf 60 s ahead', { nbf: now() + 60 }, 401],
    ['nbf 20 s ahead (within 30 s)', { nbf: now() + 20 }, 200],
    ['no iat (optional in RFC 7519)', { iat: undefined }, 200],
    ['iat a string', { iat: 'now' }, 401],
    ['nbf a string', { nbf: 'later' }, 401],
  ]
  for (const [name, extra, status] of cases) {
    const res = await whoami(app, craftToken(claims(extra)))
    t.equal(res.statusCode, status, name)
    if (status === 401) t.equal(res.json().code, 'CM_ERR_UNAUTHORIZED', `${name}: code`)
  }
})

t.test('bad hardening options are refused at register()', async (t) => {
  for (const bad of [
    { acceptDevelopmentTokens: 'yes' },
    { acceptDevelopmentTokens: 1 },
    { clockTolerance: 301 },
  ]) {
    await t.rejects(build(t, bad as never), { code: 'CM_ERR_INVALID_ARGUMENT' }, JSON.stringify(bad))
  }
  const app = await build(t)
  t.throws(
    () => app.issueToken({ sub: 'a', role: 'viewer', namespaces: ['x'] }, { development: 'yes' } as never),
    { code: 'CM_ERR_INVALID_ARGUMENT' },
  )
})

t.test('removing an API key revokes the tokens exchanged for it at once', async (t) => {
  const live = new Map<string, ApiKeyEntry>(apiKeyEntries.map((e) => [e.id, e]))
  const app = await build(t, { apiKeys: async (id: string) => live.get(id) })
  const res = await app.inject({
    method: 'POST',
    url: '/auth/token',
    headers: { 'x-api-key': keys.viewer.key },
  })
  const { token } = res.json()
  t.equal((await whoami(app, token)).statusCode, 200, 'the token works while its key exists')
  live.delete(keys.viewer.id)
  const revoked = await whoami(app, token)
  t.equal(revoked.statusCode, 401, 'the key is gone: 401 at once')
  t.match(revoked.json().message, /revoked/)
  const forged = craftToken(claims({ cm_key: 42 }))
  t.equal((await whoami(app, forged)).statusCode, 401, 'a malformed key claim is refused')
  const other = app.issueToken({ sub: 'ops', role: 'viewer', namespaces: ['team-a'] })
  t.equal((await whoami(app, other)).statusCode, 200, 'tokens not tied to a key are unaffected')
})
