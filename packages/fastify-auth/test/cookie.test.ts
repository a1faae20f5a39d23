import t from 'tap'
import {
  apiKeyEntries,
  bearer,
  build,
  claims,
  craftToken,
  expect401,
  keys,
  OTHER_SECRET,
} from './fixtures/helpers.js'

const cookieHeader = (token: string, name = 'cm_token') => ({ cookie: `other=1; ${name}=${token}` })

t.test('cookie mode: the token is read from the cm_token cookie', async (t) => {
  const app = await build(t, { cookie: true })
  const res = await app.inject({ url: '/whoami', headers: cookieHeader(craftToken(claims())) })
  t.equal(res.statusCode, 200)
  t.match(res.json(), { subject: 'alice', via: 'cookie' })
  await expect401(t, app, cookieHeader(craftToken(claims(), { secret: OTHER_SECRET })), 'Invalid token')
  await expect401(t, app, cookieHeader(craftToken(claims({ role: 'root' }))), 'Invalid token claims')
  await expect401(t, app, { cookie: 'cm_token=' }, 'Missing credentials')
})

t.test('the Authorization header wins over the cookie', async (t) => {
  const app = await build(t, { cookie: true })
  const headers = { ...cookieHeader(craftToken(claims({ role: 'admin' }))), ...bearer(craftToken(claims())) }
  t.equal((await app.inject({ url: '/whoami', headers })).json().via, 'jwt')
  await expect401(
    t,
    app,
    { ...cookieHeader(craftToken(claims())), authorization: 'Bearer nope' },
    'Invalid token',
  )
})

t.test('without the cookie option, cookies are ignored', async (t) => {
  const app = await build(t)
  await expect401(t, app, cookieHeader(craftToken(claims())), 'Missing credentials')
})

t.test('a custom cookie name', async (t) => {
  const app = await build(t, { cookie: { name: 'session' } })
  t.equal(
    (await app.inject({ url: '/read', headers: cookieHeader(craftToken(claims()), 'session') })).statusCode,
    200,
  )
  await expect401(t, app, cookieHeader(craftToken(claims())), 'Missing credentials')
})

t.test('POST /auth/session sets the HTTP-only cookie from a bearer token', async (t) => {
  const app = await build(t, { cookie: true })
  const token = app.issueToken({ sub: 'bob', role: 'operator', namespaces: ['team-a'] })
  const res = await app.inject({ method: 'POST', url: '/auth/session', headers: bearer(token) })
  t.equal(res.statusCode, 200)
  t.match(res.json(), { subject: 'bob', role: 'operator', expiresAt: String })
  t.equal(res.headers['cache-control'], 'no-store')
  const setCookie = String(res.headers['set-cookie'])
  t.match(setCookie, new RegExp(`^cm_token=${token.replace(/\./g, '\\.')};`))
  t.match(setCookie, /; HttpOnly/)
  t.match(setCookie, /; Secure/)
  t.match(setCookie, /; SameSite=Lax/)
  t.match(setCookie, /; Path=\//)
  const maxAge = Number(/Max-Age=(\d+)/.exec(setCookie)?.[1])
  t.ok(maxAge > 890 && maxAge <= 900, `Max-Age ${maxAge} is the token's remaining lifetime`)

  const cookie = res.cookies[0]!
  const again = await app.inject({ method: 'POST', url: '/write', cookies: { [cookie.name]: cookie.value } })
  t.equal(again.statusCode, 200, 'the cookie authenticates')
})

t.test('POST /auth/session with an API key issues a token into the cookie', async (t) => {
  const app = await build(t, {
    cookie: { secure: false, sameSite: 'strict', path: '/api' },
    apiKeys: apiKeyEntries,
  })
  const res = await app.inject({
    method: 'POST',
    url: '/auth/session',
    headers: { 'x-api-key': keys.viewer.key },
  })
  t.equal(res.statusCode, 200)
  const setCookie = String(res.headers['set-cookie'])
  t.notMatch(setCookie, /Secure/)
  t.match(setCookie, /SameSite=Strict/)
  t.match(setCookie, /Path=\/api/)
  t.notMatch(setCookie, keys.viewer.key, 'the key is not the cookie')
  const who = await app.inject({ url: '/whoami', cookies: { cm_token: res.cookies[0]!.value } })
  t.match(who.json(), {
    subject: 'api-key:viewer-svc',
    role: 'viewer',
    namespaces: ['team-a'],
    via: 'cookie',
  })
})

t.test('POST /auth/session does not take the cookie itself (no silent refresh)', async (t) => {
  const app = await build(t, { cookie: true })
  const res = await app.inject({
    method: 'POST',
    url: '/auth/session',
    cookies: { cm_token: craftToken(claims()) },
  })
  t.equal(res.statusCode, 401)
  t.equal(res.json().code, 'CM_ERR_UNAUTHORIZED')
  t.notOk(res.headers['set-cookie'])
  t.equal((await app.inject({ method: 'POST', url: '/auth/session' })).statusCode, 401)
})

t.test('DELETE /auth/session clears the cookie', async (t) => {
  const app = await build(t, { cookie: true })
  const res = await app.inject({ method: 'DELETE', url: '/auth/session' })
  t.equal(res.statusCode, 204)
  t.equal(res.body, '')
  const setCookie = String(res.headers['set-cookie'])
  t.match(setCookie, /^cm_token=;/)
  t.match(setCookie, /Max-Age=0/)
  t.match(setCookie, /HttpOnly/)
})

t.test('no session routes without the cookie option, or with routes: false', async (t) => {
  const plain = await build(t)
  t.equal((await plain.inject({ method: 'DELETE', url: '/auth/session' })).statusCode, 404)
  const noRoutes = await build(t, { cookie: true, routes: false })
  t.equal((await noRoutes.inject({ method: 'DELETE', url: '/auth/session' })).statusCode, 404)
  t.equal(
    (await noRoutes.inject({ url: '/read', cookies: { cm_token: craftToken(claims()) } })).statusCode,
    200,
  )
})
