// Guarantee 6: forged, expired, unsigned, wrong-audience tokens, keys of another namespace and role
// escalation are refused (401/403/404), and no credential appears in the logs.
import { createHmac, randomBytes } from 'node:crypto'
import { ErrorBodySchema } from '@comp-manager/core'
import t from 'tap'
import { Value } from 'typebox/value'
import { buildTestApp } from './app.js'
import { report, tempDir } from './helpers.js'

const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url')

function jwt(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  secret: string | null,
): string {
  const head = `${b64(header)}.${b64(payload)}`
  if (secret === null) return `${head}.`
  const alg = header.alg === 'HS512' ? 'sha512' : header.alg === 'HS384' ? 'sha384' : 'sha256'
  return `${head}.${createHmac(alg, secret).update(head).digest('base64url')}`
}

t.test('auth: hostile credentials are refused and never logged', async (t) => {
  const { dir, cleanup } = tempDir('auth')
  t.teardown(cleanup)
  const { app, secret, keys, logs } = await buildTestApp(dir)
  t.teardown(() => app.close())

  const now = Math.floor(Date.now() / 1000)
  const claims = (extra: Record<string, unknown> = {}) => ({
    sub: 'mallory',
    role: 'admin',
    namespaces: ['*'],
    iss: 'comp-manager',
    aud: 'comp-manager-api',
    iat: now,
    exp: now + 600,
    ...extra,
  })
  const admin = app.issueToken({ sub: 'root', role: 'admin', namespaces: ['*'] }, { expiresIn: '1h' })
  const viewerA = app.issueToken({ sub: 'vic', role: 'viewer', namespaces: ['team-a'] }, { expiresIn: '1h' })
  const [vh, vp] = viewerA.split('.') as [string, string, string]
  const escalatedPayload = {
    ...JSON.parse(Buffer.from(vp, 'base64url').toString()),
    role: 'admin',
    namespaces: ['*'],
  }

  // A record in namespace `default` (created by the admin) and one in `team-a`.
  const rec = await app.inject({
    method: 'POST',
    url: '/api/v1/computations',
    headers: { authorization: `Bearer ${admin}` },
    payload: { name: 'secret-report', function: 'secret-report', args: [1], namespace: 'default' },
  })
  t.equal(rec.statusCode, 201, 'the admin creates a record in `default`')
  const id = (rec.json() as { id: string }).id

  const bearer = (token: string) => ({ authorization: `Bearer ${token}` })
  const otherSecret = randomBytes(48).toString('base64url')
  const cases: Array<{
    label: string
    method?: string
    url?: string
    headers: Record<string, string>
    payload?: unknown
    expect: number[]
  }> = [
    { label: 'no credentials', headers: {}, expect: [401] },
    { label: 'garbage bearer', headers: bearer('not.a.jwt'), expect: [401] },
    {
      label: 'forged (other secret)',
      headers: bearer(jwt({ alg: 'HS256', typ: 'JWT' }, claims(), otherSecret)),
      expect: [401],
    },
    {
      label: 'expired',
      headers: bearer(
        jwt({ alg: 'HS256', typ: 'JWT' }, claims({ iat: now - 7200, exp: now - 3600 }), secret),
      ),
      expect: [401],
    },
    {
      label: 'not yet valid',
      headers: bearer(jwt({ alg: 'HS256', typ: 'JWT' }, claims({ nbf: now + 3600 }), secret)),
      expect: [401],
    },
    { label: 'alg none', headers: bearer(jwt({ alg: 'none', typ: 'JWT' }, claims(), null)), expect: [401] },
    { label: 'alg None', headers: bearer(jwt({ alg: 'None', typ: 'JWT' }, claims(), null)), expect: [401] },
    {
      label: 'alg HS512 (not allowed)',
      headers: bearer(jwt({ alg: 'HS512', typ: 'JWT' }, claims(), secret)),
      expect: [401],
    },
    {
      label: 'wrong audience',
      headers: bearer(jwt({ alg: 'HS256', typ: 'JWT' }, claims({ aud: 'someone-else' }), secret)),
      expect: [401],
    },
    {
      label: 'wrong issuer',
      headers: bearer(jwt({ alg: 'HS256', typ: 'JWT' }, claims({ iss: 'evil' }), secret)),
      expect: [401],
    },
    {
      label: 'role escalated in payload',
      headers: bearer(`${vh}.${b64(escalatedPayload)}.${viewerA.split('.')[2]}`),
      expect: [401],
    },
    {
      label: 'unknown role',
      headers: bearer(jwt({ alg: 'HS256', typ: 'JWT' }, claims({ role: 'root' }), secret)),
      expect: [401, 403],
    },
    {
      label: 'unknown API key',
      headers: { 'x-api-key': 'cmk_ops_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' },
      expect: [401],
    },
    { label: 'malformed API key', headers: { 'x-api-key': `${keys.ops}x` }, expect: [401] },
    {
      label: 'cookie (not enabled) carrying an admin token',
      headers: { cookie: `token=${admin}; cm_session=${admin}` },
      expect: [401],
    },
    // Namespaces: a key or token of team-a cannot see or touch `default`.
    {
      label: 'team-a key reads a `default` record',
      url: `/api/v1/computations/${id}`,
      headers: { 'x-api-key': keys.ops },
      expect: [404],
    },
    {
      label: 'team-a key asks for namespace default',
      url: `/api/v1/computations/${id}?namespace=default`,
      headers: { 'x-api-key': keys.ops },
      expect: [403, 404],
    },
    {
      label: 'team-a viewer token reads a `default` record',
      url: `/api/v1/computations/${id}`,
      headers: bearer(viewerA),
      expect: [404],
    },
    {
      label: 'team-a key updates a `default` record',
      method: 'PUT',
      url: `/api/v1/computations/${id}`,
      headers: { 'x-api-key': keys.ops },
      payload: { status: 'started' },
      expect: [403, 404],
    },
    {
      label: 'team-a key creates in `default`',
      method: 'POST',
      url: '/api/v1/computations',
      headers: { 'x-api-key': keys.ops },
      payload: { name: 'x', function: 'x', args: [], namespace: 'default' },
      expect: [403, 404],
    },
    {
      label: 'team-a key invalidates `default` cache',
      method: 'POST',
      url: '/api/v1/cache/invalidate',
      headers: { 'x-api-key': keys.ops },
      payload: { all: true, namespace: 'default' },
      expect: [403, 404],
    },
    // Roles: viewer < operator < admin.
    {
      label: 'viewer key creates',
      method: 'POST',
      url: '/api/v1/computations',
      headers: { 'x-api-key': keys.viewer },
      payload: { name: 'x', function: 'x', args: [] },
      expect: [403],
    },
    {
      label: 'viewer key triggers a demo computation',
      method: 'POST',
      url: '/api/v1/demo/factor',
      headers: { 'x-api-key': keys.viewer },
      payload: { n: '91' },
      expect: [403],
    },
    {
      label: 'operator key deletes (admin only)',
      method: 'DELETE',
      url: `/api/v1/computations/${id}`,
      headers: { 'x-api-key': keys.ops },
      expect: [403, 404],
    },
    {
      label: 'viewer token deletes',
      method: 'DELETE',
      url: `/api/v1/computations/${id}`,
      headers: bearer(viewerA),
      expect: [403, 404],
    },
    {
      label: 'bearer token exchanged at /auth/token',
      method: 'POST',
      url: '/api/v1/auth/token',
      headers: bearer(viewerA),
      expect: [401],
    },
  ]

  let refused = 0
  const seen: string[] = []
  for (const c of cases) {
    const res = await app.inject({
      method: (c.method ?? 'GET') as 'GET',
      url: c.url ?? '/api/v1/computations',
      headers: c.headers,
      ...(c.payload === undefined ? {} : { payload: c.payload as Record<string, unknown> }),
    })
    seen.push(`${c.label}: ${res.statusCode}`)
    t.ok(
      c.expect.includes(res.statusCode),
      `${c.label} → ${res.statusCode} (expected ${c.expect.join('/')})`,
      {
        body: res.body.slice(0, 300),
      },
    )
    t.ok(Value.Check(ErrorBodySchema, res.json()), `${c.label}: standard error body`)
    if (res.statusCode >= 400) refused++
  }

  // The record of `default` is still there and unchanged.
  const still = await app.inject({ method: 'GET', url: `/api/v1/computations/${id}`, headers: bearer(admin) })
  t.equal(still.statusCode, 200, 'the record survived every attempt')
  t.equal((still.json() as { status: string }).status, 'queued', 'and was not changed')

  // The legitimate paths work (the refusals above are not a broken server).
  const exchanged = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/token',
    headers: { 'x-api-key': keys.ops },
  })
  t.equal(exchanged.statusCode, 200, 'an API key is exchanged for a token')
  const opsToken = (exchanged.json() as { token: string }).token
  const own = await app.inject({ method: 'GET', url: '/api/v1/computations', headers: bearer(opsToken) })
  t.equal(own.statusCode, 200, 'the exchanged token lists its namespace')
  t.notOk(own.body.includes(id), 'without the record of another namespace')

  // No credential text in the logs (headers are logged on purpose by the test's serializer).
  const text = logs.join('')
  t.ok(logs.length > 0, `logs were captured (${logs.length} lines)`)
  const secrets: Record<string, string> = {
    'JWT secret': secret,
    'admin token': admin,
    'viewer token': viewerA,
    'exchanged token': opsToken,
    'ops key': keys.ops,
    'viewer key': keys.viewer,
    'ops key secret part': keys.ops.split('_').slice(2).join('_'),
  }
  for (const c of cases) {
    for (const [h, v] of Object.entries(c.headers)) {
      const cred = v.replace(/^Bearer /, '')
      if (cred.length > 20) secrets[`${c.label} ${h}`] = cred
    }
  }
  let leaks = 0
  for (const [name, value] of Object.entries(secrets)) {
    const leaked = text.includes(value)
    if (leaked) leaks++
    t.notOk(leaked, `the logs do not contain the ${name}`)
  }
  report(t, 'auth', { attempts: cases.length, refused, logLines: logs.length, leaks })
})
