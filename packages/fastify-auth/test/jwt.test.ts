import { generateKeyPairSync } from 'node:crypto'
import Fastify from 'fastify'
import t from 'tap'
import { fastifyAuth } from '../src/index.js'
import {
  b64url,
  bearer,
  build,
  claims,
  craftToken,
  expect401,
  now,
  OTHER_SECRET,
  SECRET,
} from './fixtures/helpers.js'

function decode(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'))
}

t.test('a valid bearer token answers 200 and fills request.auth', async (t) => {
  const app = await build(t)
  const res = await app.inject({ url: '/whoami', headers: bearer(craftToken(claims())) })
  t.equal(res.statusCode, 200)
  t.same(res.json(), {
    subject: 'alice',
    role: 'viewer',
    namespaces: ['team-a'],
    allNamespaces: false,
    via: 'jwt',
  })
})

t.test('the Bearer scheme is case-insensitive', async (t) => {
  const app = await build(t)
  const res = await app.inject({
    url: '/whoami',
    headers: { authorization: `bearer ${craftToken(claims())}` },
  })
  t.equal(res.statusCode, 200)
})

t.test("ns ['*'] gives every namespace", async (t) => {
  const app = await build(t)
  const res = await app.inject({
    url: '/whoami',
    headers: bearer(craftToken(claims({ ns: ['*', 'team-a'] }))),
  })
  t.equal(res.statusCode, 200)
  t.same(res.json(), {
    subject: 'alice',
    role: 'viewer',
    namespaces: ['team-a'],
    allNamespaces: true,
    via: 'jwt',
  })
})

t.test('401 for a missing, expired, forged or garbage token', async (t) => {
  const app = await build(t)
  await t.test('missing', async (t) => expect401(t, app, {}, 'Missing credentials'))
  await t.test('expired (beyond the clock tolerance)', async (t) =>
    expect401(t, app, bearer(craftToken(claims({ iat: now() - 1000, exp: now() - 60 }))), 'Token expired'),
  )
  await t.test('not yet valid (nbf in the future)', async (t) =>
    expect401(t, app, bearer(craftToken(claims({ nbf: now() + 600 }))), 'Invalid token'),
  )
  await t.test('without exp', async (t) => {
    const { exp: _exp, ...noExp } = claims()
    await expect401(t, app, bearer(craftToken(noExp)), 'Invalid token')
  })
  await t.test('wrong signature (another secret)', async (t) =>
    expect401(t, app, bearer(craftToken(claims(), { secret: OTHER_SECRET })), 'Invalid token'),
  )
  await t.test('payload changed after signing', async (t) => {
    const [head, , sig] = craftToken(claims()).split('.')
    await expect401(t, app, bearer(`${head}.${b64url(claims({ role: 'admin' }))}.${sig}`))
  })
  await t.test('alg: none, no signature', async (t) =>
    expect401(t, app, bearer(craftToken(claims({ role: 'admin' }), { header: { alg: 'none' } }))),
  )
  await t.test('alg: none, by hand, with typ', async (t) => {
    const token = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims({ role: 'admin' }))}.`
    await expect401(t, app, bearer(token))
  })
  await t.test('alg: none with a (valid HS256) signature appended', async (t) => {
    const sig = craftToken(claims()).split('.')[2]
    const token = `${b64url({ alg: 'none' })}.${b64url(claims())}.${sig}`
    await expect401(t, app, bearer(token))
  })
  await t.test('an algorithm outside the allow-list (HS512, right secret)', async (t) =>
    expect401(t, app, bearer(craftToken(claims(), { header: { alg: 'HS512', typ: 'JWT' } }))),
  )
  for (const garbage of [
    'abc',
    'a.b.c',
    'x.y',
    '....',
    b64url('{}'),
    `${b64url('not json')}.${b64url('{}')}.sig`,
  ]) {
    await t.test(`garbage ${JSON.stringify(garbage)}`, async (t) => expect401(t, app, bearer(garbage)))
  }
  for (const authorization of ['Bearer', 'Bearer ', 'Bearer a b', 'Token abc', 'Basic dXNlcjpwYXNz', 'abc']) {
    await t.test(`malformed Authorization ${JSON.stringify(authorization)}`, async (t) =>
      expect401(t, app, { authorization }),
    )
  }
})

t.test('a token within the clock tolerance is accepted', async (t) => {
  const app = await build(t, { clockTolerance: 5 })
  const res = await app.inject({ url: '/read', headers: bearer(craftToken(claims({ exp: now() - 2 }))) })
  t.equal(res.statusCode, 200)
})

t.test('an issued token expires after expiresIn (default 15 minutes)', async (t) => {
  const app = await build(t)
  const token = app.issueToken({ sub: 'bob', role: 'viewer', namespaces: ['team-a'] })
  const { iat, exp } = decode(token) as { iat: number; exp: number }
  t.equal(exp - iat, 900)
  t.equal((await app.inject({ url: '/read', headers: bearer(token) })).statusCode, 200)
  const realNow = Date.now
  t.capture(Date, 'now', () => realNow() + 16 * 60 * 1000)
  await expect401(t, app, bearer(token), 'Token expired')
})

t.test('issueToken: claims, expiresIn, validation', async (t) => {
  const app = await build(t, { expiresIn: '1h' })
  const token = app.issueToken({ sub: 'bob', role: 'operator', namespaces: ['team-a', 'team-b'] })
  const payload = decode(token)
  t.match(payload, { sub: 'bob', role: 'operator', ns: ['team-a', 'team-b'] })
  t.equal((payload.exp as number) - (payload.iat as number), 3600)
  const header = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString())
  t.equal(header.alg, 'HS256')

  const short = decode(app.issueToken({ sub: 'bob', role: 'viewer', namespaces: [] }, { expiresIn: 60 }))
  t.equal((short.exp as number) - (short.iat as number), 60)

  const bad = [
    { sub: '', role: 'viewer', namespaces: [] },
    { sub: 'x', role: 'root', namespaces: [] },
    { sub: 'x', role: 'viewer', namespaces: 'team-a' },
    { sub: 'x', role: 'viewer', namespaces: ['bad namespace'] },
  ]
  for (const c of bad) {
    t.throws(() => app.issueToken(c as never), { code: 'CM_ERR_INVALID_ARGUMENT' }, JSON.stringify(c))
  }
  t.throws(() => app.issueToken({ sub: 'x', role: 'viewer', namespaces: [] }, { expiresIn: 'soon' }), {
    code: 'CM_ERR_INVALID_ARGUMENT',
  })
})

t.test('issuer and audience are set on issued tokens and verified', async (t) => {
  const app = await build(t, { issuer: 'comp-manager', audience: 'cm-api' })
  const issued = app.issueToken({ sub: 'bob', role: 'viewer', namespaces: ['team-a'] })
  t.match(decode(issued), { iss: 'comp-manager', aud: 'cm-api' })
  t.equal((await app.inject({ url: '/read', headers: bearer(issued) })).statusCode, 200)
  t.equal(
    (
      await app.inject({
        url: '/read',
        headers: bearer(craftToken(claims({ iss: 'comp-manager', aud: 'cm-api' }))),
      })
    ).statusCode,
    200,
  )
  t.equal(
    (
      await app.inject({
        url: '/read',
        headers: bearer(craftToken(claims({ iss: 'comp-manager', aud: ['x', 'cm-api'] }))),
      })
    ).statusCode,
    200,
    'one matching audience among several',
  )
  await t.test('wrong issuer', async (t) =>
    expect401(t, app, bearer(craftToken(claims({ iss: 'evil', aud: 'cm-api' })))),
  )
  await t.test('missing issuer', async (t) =>
    expect401(t, app, bearer(craftToken(claims({ aud: 'cm-api' })))),
  )
  await t.test('wrong audience', async (t) =>
    expect401(t, app, bearer(craftToken(claims({ iss: 'comp-manager', aud: 'other-api' })))),
  )
  await t.test('missing audience', async (t) =>
    expect401(t, app, bearer(craftToken(claims({ iss: 'comp-manager' })))),
  )
})

t.test('401 for tokens whose claims are malformed', async (t) => {
  const app = await build(t)
  const cases: Record<string, Record<string, unknown>> = {
    'missing sub': { sub: undefined },
    'empty sub': { sub: '' },
    'numeric sub': { sub: 42 },
    'missing role': { role: undefined },
    'unknown role root (escalation)': { role: 'root' },
    'role with another case': { role: 'Admin' },
    'role as array': { role: ['admin'] },
    'missing ns': { ns: undefined },
    'ns as a string': { ns: 'team-a' },
    'ns as an object': { ns: { 'team-a': true } },
    'ns with a number': { ns: [1] },
    'ns with an invalid namespace': { ns: ['team a'] },
    'ns with an empty namespace': { ns: [''] },
  }
  for (const [name, patch] of Object.entries(cases)) {
    await t.test(name, async (t) => {
      const payload = claims(patch)
      for (const key of Object.keys(patch)) if (patch[key] === undefined) delete payload[key]
      await expect401(t, app, bearer(craftToken(payload)), 'Invalid token claims')
    })
  }
  await t.test('role inherited through __proto__ is not a role', async (t) => {
    const { role: _role, ...rest } = claims()
    const json = JSON.stringify(rest).replace(/^\{/, '{"__proto__":{"role":"admin"},')
    const head = b64url({ alg: 'HS256', typ: 'JWT' })
    const { createHmac } = await import('node:crypto')
    const body = Buffer.from(json).toString('base64url')
    const sig = createHmac('sha256', SECRET).update(`${head}.${body}`).digest('base64url')
    await expect401(t, app, bearer(`${head}.${body}.${sig}`), 'Invalid token claims')
  })
})

t.test('claim names are configurable', async (t) => {
  const app = await build(t, { claims: { subject: 'uid', role: 'cm_role', namespaces: 'tenants' } })
  const token = craftToken({ uid: 'carol', cm_role: 'operator', tenants: ['t1'], exp: now() + 60 })
  const res = await app.inject({ url: '/whoami', headers: bearer(token) })
  t.equal(res.statusCode, 200)
  t.match(res.json(), { subject: 'carol', role: 'operator', namespaces: ['t1'] })
  t.match(decode(app.issueToken({ sub: 'carol', role: 'admin', namespaces: ['*'] })), {
    uid: 'carol',
    cm_role: 'admin',
    tenants: ['*'],
  })
  await expect401(t, app, bearer(craftToken(claims())), 'Invalid token claims')
})

t.test('RS256 with a key pair; an HS256 token signed with the public key is refused', async (t) => {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  })
  const app = await build(t, { secret: { public: publicKey, private: privateKey }, algorithms: ['RS256'] })
  const token = app.issueToken({ sub: 'bob', role: 'viewer', namespaces: ['team-a'] })
  t.equal(JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).alg, 'RS256')
  t.equal((await app.inject({ url: '/read', headers: bearer(token) })).statusCode, 200)
  // Algorithm confusion: HMAC keyed with the public key's PEM text.
  await expect401(t, app, bearer(craftToken(claims(), { secret: publicKey })))

  const verifyOnly = Fastify()
  t.teardown(() => verifyOnly.close())
  await verifyOnly.register(fastifyAuth, { secret: { public: publicKey }, algorithms: ['RS256'] })
  await verifyOnly.ready()
  t.throws(() => verifyOnly.issueToken({ sub: 'x', role: 'viewer', namespaces: [] }), {
    code: 'CM_ERR_INVALID_ARGUMENT',
  })
})
