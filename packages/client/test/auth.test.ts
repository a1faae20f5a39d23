// client.auth.token(): the API key exchanged for a token at POST /api/v1/auth/token, then used.
import t from 'tap'
import { createClient, isApiError, TOKEN_EXPIRY_MARGIN_MS } from '../src/index.js'
import { startApi } from './fixtures/server.js'

/** A fetch that records the credentials each request carried. */
function recordingFetch() {
  const sent: Array<{ path: string; authorization: string | null; apiKey: string | null }> = []
  const fetch = (request: Request) => {
    sent.push({
      path: new URL(request.url).pathname,
      authorization: request.headers.get('authorization'),
      apiKey: request.headers.get('x-api-key'),
    })
    return globalThis.fetch(request)
  }
  return { sent, fetch }
}

t.test('token(): exchanges the key, then the client sends the token instead', async (t) => {
  const api = await startApi(t)
  const { sent, fetch } = recordingFetch()
  const cm = createClient({ baseUrl: api.url, apiKey: api.apiKey, fetch })
  const issued = await cm.auth.token()
  t.equal(issued.tokenType, 'Bearer')
  t.match(issued.token, /^[\w-]+\.[\w-]+\.[\w-]+$/, 'a JWT')
  t.ok(issued.expiresIn > 0)
  t.ok(Date.parse(issued.expiresAt) > Date.now())
  t.same(sent[0], { path: '/api/v1/auth/token', authorization: null, apiKey: api.apiKey })

  const page = await cm.computations.list()
  t.equal(page.total, 0)
  t.same(sent[1], { path: '/api/v1/computations', authorization: `Bearer ${issued.token}`, apiKey: null })
  const raw = await cm.raw.GET('/api/v1/cache/stats')
  t.equal(raw.response.status, 200, 'client.raw uses the token too')
  t.equal(sent[2]?.authorization, `Bearer ${issued.token}`)
})

t.test('token(): shortly before it expires, the client sends the key again', async (t) => {
  const api = await startApi(t)
  const { sent, fetch } = recordingFetch()
  const cm = createClient({ baseUrl: api.url, apiKey: api.apiKey, fetch })
  const issued = await cm.auth.token()
  const realNow = Date.now
  const expiry = Date.parse(issued.expiresAt)
  Date.now = () => expiry - TOKEN_EXPIRY_MARGIN_MS + 1
  t.teardown(() => {
    Date.now = realNow
  })
  await cm.health()
  Date.now = realNow
  t.same(sent.at(-1), { path: '/health', authorization: null, apiKey: api.apiKey })
  await cm.health()
  t.equal(sent.at(-1)?.authorization, `Bearer ${issued.token}`, 'before the margin: the token')
})

t.test('token() with a wrong key: 401 CM_ERR_UNAUTHORIZED, and the client keeps the key', async (t) => {
  const api = await startApi(t)
  const { sent, fetch } = recordingFetch()
  const forged = `${api.apiKey.slice(0, -4)}AAAA`
  const cm = createClient({ baseUrl: api.url, apiKey: forged, fetch })
  const err = await cm.auth.token().catch((e: unknown) => e)
  if (!isApiError(err, 'CM_ERR_UNAUTHORIZED')) throw err
  t.equal(err.status, 401)
  t.equal(sent.length, 1, 'not retried')
  await cm.computations.list().catch(() => undefined)
  t.equal(sent[1]?.apiKey, forged, 'still the key')
  t.equal(sent[1]?.authorization, null)
})

t.test('token() without an apiKey: a TypeError, nothing sent', async (t) => {
  const api = await startApi(t)
  const { sent, fetch } = recordingFetch()
  for (const cm of [
    createClient({ baseUrl: api.url, fetch }),
    createClient({ baseUrl: api.url, token: api.tokens.admin, fetch }),
  ]) {
    await t.rejects(cm.auth.token(), { name: 'TypeError', message: /create it with `apiKey`/ })
  }
  t.equal(sent.length, 0)
})
