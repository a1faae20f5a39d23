import * as crypto from 'node:crypto'
import t from 'tap'
import { type ApiKeyEntry, generateApiKey, hashApiKey, parseApiKey, verifyApiKey } from '../src/index.js'
import { apiKeyEntries, build, expect401, keys, secretOf } from './fixtures/helpers.js'

t.test('hashApiKey is the SHA-256 hex of the whole key', async (t) => {
  const key = 'cmk_svc_abcdefghijklmnopqrstuvwxyz012345'
  t.equal(hashApiKey(key), crypto.createHash('sha256').update(key).digest('hex'))
  t.match(hashApiKey(key), /^[0-9a-f]{64}$/)
  t.throws(() => hashApiKey(''), TypeError)
})

t.test('generateApiKey makes cmk_<id>_<secret> keys and their hash', async (t) => {
  const a = generateApiKey('billing-svc')
  const b = generateApiKey('billing-svc')
  t.match(a.key, /^cmk_billing-svc_[A-Za-z0-9_-]{43}$/)
  t.equal(a.id, 'billing-svc')
  t.equal(a.hash, hashApiKey(a.key))
  t.not(a.key, b.key, 'random secret')
  t.same(parseApiKey(a.key), { id: 'billing-svc' })
  for (const bad of ['', 'has_underscore', 'has space', 'x'.repeat(65), 'é']) {
    t.throws(() => generateApiKey(bad), TypeError, JSON.stringify(bad))
  }
})

t.test('parseApiKey', async (t) => {
  t.same(parseApiKey('cmk_a-1_0123456789abcdef_-xy'), { id: 'a-1' }, 'the secret may hold _ and -')
  for (const bad of [
    '',
    'cmk_',
    'cmk_id',
    'cmk_id_',
    'cmk_id_short',
    'xyz_id_0123456789abcdef',
    'cmk__0123456789abcdef',
    'cmk_id_0123456789abcdef!',
  ]) {
    t.equal(parseApiKey(bad), null, JSON.stringify(bad))
  }
})

t.test('verifyApiKey compares digests with crypto.timingSafeEqual', async (t) => {
  const calls: Array<[Buffer, Buffer]> = []
  const { verifyApiKey: verify } = await t.mockImport<typeof import('../src/api-keys.js')>(
    '../src/api-keys.js',
    {
      'node:crypto': {
        ...crypto,
        timingSafeEqual: (a: Buffer, b: Buffer) => {
          calls.push([a, b])
          return crypto.timingSafeEqual(a, b)
        },
      },
    },
  )
  const { key, hash } = generateApiKey('svc')
  t.equal(verify(key, hash), true)
  t.equal(verify(`${key}x`, hash), false)
  t.equal(verify(key, undefined), false, 'unknown id: false')
  t.equal(calls.length, 3, 'one constant-time comparison per call, unknown ids included')
  for (const [a, b] of calls) t.equal(a.length, b.length, 'equal-length digests')
})

t.test('verifyApiKey', async (t) => {
  const { key, hash } = generateApiKey('svc')
  t.equal(verifyApiKey(key, hash), true)
  t.equal(verifyApiKey(key, hash.toUpperCase()), true, 'hex case does not matter')
  t.equal(verifyApiKey(key, hashApiKey(`${key}0`)), false)
  t.equal(verifyApiKey(key, 'not-a-hash'), false)
  t.equal(verifyApiKey(key, undefined), false)
})

t.test(
  'a valid API key answers 200 (Authorization: Bearer, x-api-key or Authorization: ApiKey)',
  async (t) => {
    const app = await build(t, { apiKeys: apiKeyEntries })
    const viaHeader = await app.inject({ url: '/whoami', headers: { 'x-api-key': keys.viewer.key } })
    t.equal(viaHeader.statusCode, 200)
    t.same(viaHeader.json(), {
      subject: 'api-key:viewer-svc',
      role: 'viewer',
      namespaces: ['team-a'],
      allNamespaces: false,
      via: 'api-key',
      keyId: 'viewer-svc',
    })
    const viaAuthorization = await app.inject({
      url: '/whoami',
      headers: { authorization: `ApiKey ${keys.viewer.key}` },
    })
    t.equal(viaAuthorization.statusCode, 200)
    t.equal(viaAuthorization.json().keyId, 'viewer-svc')
    // The documented way (docs/WORKER-PROTOCOL.md): the key as a bearer credential.
    const viaBearer = await app.inject({
      url: '/whoami',
      headers: { authorization: `Bearer ${keys.viewer.key}` },
    })
    t.equal(viaBearer.statusCode, 200)
    t.same(viaBearer.json(), viaHeader.json(), 'the same identity as x-api-key')

    const star = await app.inject({ url: '/whoami', headers: { 'x-api-key': keys.operator.key } })
    t.match(star.json(), { role: 'operator', allNamespaces: true, namespaces: [] })
    t.equal(
      (await app.inject({ method: 'POST', url: '/write', headers: { 'x-api-key': keys.operator.key } }))
        .statusCode,
      200,
    )
    t.equal(
      (await app.inject({ method: 'POST', url: '/write', headers: { 'x-api-key': keys.viewer.key } }))
        .statusCode,
      403,
    )
  },
)

t.test('401 for a wrong secret, an unknown id, a malformed key', async (t) => {
  const app = await build(t, { apiKeys: apiKeyEntries })
  const wrongSecret = `${keys.viewer.key.slice(0, -4)}AAAA`
  await expect401(t, app, { 'x-api-key': wrongSecret }, 'Invalid API key')
  await expect401(t, app, { authorization: `ApiKey ${wrongSecret}` }, 'Invalid API key')
  await expect401(t, app, { authorization: `Bearer ${wrongSecret}` }, 'Invalid API key')
  await expect401(t, app, { authorization: 'Bearer cmk_viewer-svc_short' }, 'Malformed API key')
  await expect401(t, app, { authorization: `Bearer ${keys.viewer.key} extra` }, /Malformed/)
  await expect401(t, app, { 'x-api-key': keys.viewer.key.replace('viewer-svc', 'nobody') }, 'Invalid API key')
  await expect401(t, app, { 'x-api-key': generateApiKey('viewer-svc').key }, 'Invalid API key')
  for (const bad of [
    '',
    'abc',
    'cmk_',
    'cmk_viewer-svc_',
    'cmk_viewer-svc_short',
    `${keys.viewer.key} extra`,
  ]) {
    await expect401(t, app, { 'x-api-key': bad }, /Malformed API key|Invalid API key/)
  }
  await expect401(t, app, { authorization: 'ApiKey' }, /Malformed/)
  await expect401(t, app, { 'x-api-key': keys.viewer.key, authorization: 'Bearer x.y.z' }, /one credential/)
})

t.test('API keys are refused when none are configured', async (t) => {
  const app = await build(t)
  await expect401(t, app, { 'x-api-key': keys.viewer.key }, 'API keys are not accepted')
  await expect401(t, app, { authorization: `Bearer ${keys.viewer.key}` }, 'API keys are not accepted')
})

t.test('a key of another namespace: canAccessNamespace is false (404 in the demo route)', async (t) => {
  const app = await build(t, { apiKeys: apiKeyEntries })
  const who = await app.inject({ url: '/whoami', headers: { 'x-api-key': keys.other.key } })
  t.match(who.json(), { subject: 'svc:b', namespaces: ['team-b'] })
  t.equal(app.canAccessNamespace(who.json(), 'team-a'), false)
  t.equal(app.canAccessNamespace(who.json(), 'team-b'), true)
  t.equal((await app.inject({ url: '/ns/team-a', headers: { 'x-api-key': keys.other.key } })).statusCode, 404)
  t.equal((await app.inject({ url: '/ns/team-b', headers: { 'x-api-key': keys.other.key } })).statusCode, 200)
})

t.test(
  'apiKeys as an async lookup: gets the id only, null is unknown, a bad entry fails closed',
  async (t) => {
    const asked: string[] = []
    const store = new Map<string, unknown>([
      ['viewer-svc', apiKeyEntries[0]],
      ['ops-svc', { ...apiKeyEntries[1], role: 'root' }],
    ])
    const lines: string[] = []
    const app = await build(
      t,
      {
        apiKeys: async (id) => {
          asked.push(id)
          return (store.get(id) as ApiKeyEntry | undefined) ?? null
        },
      },
      { logger: { level: 'info', stream: { write: (line: string) => lines.push(line) } } },
    )
    t.equal((await app.inject({ url: '/read', headers: { 'x-api-key': keys.viewer.key } })).statusCode, 200)
    await expect401(t, app, { 'x-api-key': keys.other.key }, 'Invalid API key')
    await expect401(t, app, { 'x-api-key': keys.operator.key }, 'Invalid API key')
    t.same(asked, ['viewer-svc', 'other-ns', 'ops-svc'])
    const errorLine = lines.find((line) => line.includes('invalid entry'))
    t.ok(errorLine, 'an invalid entry is logged')
    t.match(errorLine, /"keyId":"ops-svc"/)
    t.notMatch(lines.join('\n'), secretOf(keys.operator.key), 'the key is not logged')
  },
)

t.test('a failing lookup answers 500 and does not leak the key', async (t) => {
  const app = await build(t, {
    apiKeys: async () => {
      throw new Error('key store down')
    },
  })
  const res = await app.inject({ url: '/read', headers: { 'x-api-key': keys.viewer.key } })
  t.equal(res.statusCode, 500)
  t.notMatch(res.body, keys.viewer.key)
})

t.test('upper-case hashes in the config are accepted', async (t) => {
  const app = await build(t, {
    apiKeys: [{ ...apiKeyEntries[0]!, hash: keys.viewer.hash.toUpperCase() }],
  })
  t.equal((await app.inject({ url: '/read', headers: { 'x-api-key': keys.viewer.key } })).statusCode, 200)
})
