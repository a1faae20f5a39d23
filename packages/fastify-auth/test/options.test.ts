import { generateKeyPairSync } from 'node:crypto'
import Fastify from 'fastify'
import t, { type Test } from 'tap'
import { fastifyAuth, generateApiKey } from '../src/index.js'
import { apiKeyEntries, SECRET, secretOf } from './fixtures/helpers.js'

async function rejects(t: Test, options: unknown, option: string, message?: RegExp) {
  const app = Fastify()
  t.teardown(() => app.close())
  app.register(fastifyAuth, options as never)
  const err = await app.ready().then(
    () => null,
    (e: unknown) => e as { code?: string; message: string; details?: { option?: string } },
  )
  t.ok(err, `rejected: ${option}`)
  if (err === null) return
  t.equal(err.code, 'CM_ERR_INVALID_ARGUMENT', `code (${option})`)
  t.equal(err.details?.option, option, `details.option is ${option}`)
  t.match(err.message, `\`${option}\``, 'the message names the option')
  if (message) t.match(err.message, message)
  return err
}

const key = generateApiKey('svc')
const entry = { id: 'svc', hash: key.hash, role: 'viewer', namespaces: ['team-a'] }

t.test('secret: missing, short, wrong type', async (t) => {
  await rejects(t, undefined, 'secret', /required/)
  await rejects(t, {}, 'secret', /required/)
  await rejects(t, { secret: '' }, 'secret', /required/)
  await rejects(t, { secret: 'x'.repeat(31) }, 'secret', /at least 32 characters \(got 31\)/)
  await rejects(t, { secret: Buffer.alloc(16) }, 'secret', /at least 32 bytes/)
  await rejects(t, { secret: 42 }, 'secret', /string or a Buffer/)
  await rejects(t, { secret: { public: 'x', private: 'y' } }, 'secret', /string or a Buffer/)
})

t.test('the secret never appears in an error message', async (t) => {
  const err = await rejects(t, { secret: 'hunter2-is-my-password' }, 'secret')
  t.notMatch(err?.message, 'hunter2')
})

t.test('algorithms: unknown, none, empty, mixed families, wrong key type', async (t) => {
  await rejects(t, { secret: SECRET, algorithms: ['none'] }, 'algorithms', /unknown or refused/)
  await rejects(t, { secret: SECRET, algorithms: ['HS1'] }, 'algorithms', /unknown or refused/)
  await rejects(t, { secret: SECRET, algorithms: ['hs256'] }, 'algorithms')
  await rejects(t, { secret: SECRET, algorithms: [] }, 'algorithms')
  await rejects(t, { secret: SECRET, algorithms: 'HS256' }, 'algorithms')
  await rejects(t, { secret: SECRET, algorithms: ['HS256', 'RS256'] }, 'algorithms', /mix/)
  await rejects(t, { secret: SECRET, algorithms: ['RS256'] }, 'secret', /key pair/)
  await rejects(t, { secret: { public: 'not a pem' }, algorithms: ['RS256'] }, 'secret', /public/)
  const { publicKey } = generateKeyPairSync('ec', {
    namedCurve: 'P-256',
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  })
  await rejects(
    t,
    { secret: { public: publicKey, private: 'nope' }, algorithms: ['ES256'] },
    'secret',
    /private/,
  )
})

t.test('issuer, audience, expiresIn, clockTolerance', async (t) => {
  await rejects(t, { secret: SECRET, issuer: '' }, 'issuer')
  await rejects(t, { secret: SECRET, issuer: 42 }, 'issuer')
  await rejects(t, { secret: SECRET, audience: [] }, 'audience')
  await rejects(t, { secret: SECRET, audience: ['ok', ''] }, 'audience')
  await rejects(t, { secret: SECRET, expiresIn: 'soon' }, 'expiresIn')
  await rejects(t, { secret: SECRET, expiresIn: '15' }, 'expiresIn', /duration/)
  await rejects(t, { secret: SECRET, expiresIn: 0 }, 'expiresIn')
  await rejects(t, { secret: SECRET, expiresIn: -5 }, 'expiresIn')
  await rejects(t, { secret: SECRET, clockTolerance: 1000 }, 'clockTolerance')
  await rejects(t, { secret: SECRET, clockTolerance: -1 }, 'clockTolerance')
  // One duration format: numbers (seconds, the JWT unit) or '15m'-style strings, nothing longer.
  await rejects(t, { secret: SECRET, expiresIn: '15 minutes' }, 'expiresIn', /duration such as '15m'/)
  await rejects(t, { secret: SECRET, clockTolerance: '6m' }, 'clockTolerance', /0 to 300/)
  await rejects(
    t,
    { secret: SECRET, apiKeys: [entry], routes: { rateLimit: { max: 5, timeWindow: '1 minute' } } },
    'routes.rateLimit',
  )
})

t.test('a key passed where the keys or the secret go is never echoed', async (t) => {
  const key = generateApiKey('leak').key
  const err = await rejects(t, { secret: SECRET, apiKeys: key }, 'apiKeys')
  t.notMatch(err?.message, key.slice(4), 'the key is not in the message')
  const secretErr = await rejects(t, { secret: { public: key } }, 'secret')
  t.notMatch(secretErr?.message, key.slice(4))
})

t.test('claims', async (t) => {
  await rejects(t, { secret: SECRET, claims: { role: '__proto__' } }, 'claims.role')
  await rejects(t, { secret: SECRET, claims: { role: 'exp' } }, 'claims.role')
  await rejects(t, { secret: SECRET, claims: { subject: '' } }, 'claims.subject')
  await rejects(t, { secret: SECRET, claims: { roles: 'r' } }, 'claims.roles')
  await rejects(t, { secret: SECRET, claims: { role: 'ns' } }, 'claims', /different/)
  await rejects(t, { secret: SECRET, claims: 'sub' }, 'claims')
})

t.test('cookie', async (t) => {
  await rejects(t, { secret: SECRET, cookie: 'yes' }, 'cookie')
  await rejects(t, { secret: SECRET, cookie: { name: 'bad name;' } }, 'cookie.name')
  await rejects(
    t,
    { secret: SECRET, cookie: { sameSite: 'none', secure: false } },
    'cookie.sameSite',
    /secure/,
  )
  await rejects(t, { secret: SECRET, cookie: { sameSite: 'loose' } }, 'cookie.sameSite')
  await rejects(t, { secret: SECRET, cookie: { path: 'api' } }, 'cookie.path')
  await rejects(t, { secret: SECRET, cookie: { secure: 'yes' } }, 'cookie.secure')
  await rejects(t, { secret: SECRET, cookie: { httpOnly: false } }, 'cookie.httpOnly', /is not an option/)
})

t.test('apiKeys: bad entries are named, plaintext keys refused and not echoed', async (t) => {
  await rejects(t, { secret: SECRET, apiKeys: 'cmk_a_b' }, 'apiKeys')
  await rejects(t, { secret: SECRET, apiKeys: [null] }, 'apiKeys[0]')
  await rejects(t, { secret: SECRET, apiKeys: [entry, { ...entry, id: 'bad_id' }] }, 'apiKeys[1].id')
  await rejects(t, { secret: SECRET, apiKeys: [{ ...entry, hash: 'abc' }] }, 'apiKeys[0].hash', /SHA-256/)
  const plain = await rejects(
    t,
    { secret: SECRET, apiKeys: [{ ...entry, hash: key.key }] },
    'apiKeys[0].hash',
    /plaintext/,
  )
  t.notMatch(plain?.message, secretOf(key.key), 'the key is not in the message')
  const withKey = await rejects(
    t,
    { secret: SECRET, apiKeys: [{ ...entry, key: key.key }] },
    'apiKeys[0]',
    /plaintext/,
  )
  t.notMatch(withKey?.message, secretOf(key.key))
  await rejects(
    t,
    { secret: SECRET, apiKeys: [{ ...entry, role: 'root' }] },
    'apiKeys[0].role',
    /viewer, worker, operator, admin/,
  )
  await rejects(t, { secret: SECRET, apiKeys: [{ ...entry, role: undefined }] }, 'apiKeys[0].role')
  await rejects(t, { secret: SECRET, apiKeys: [{ ...entry, namespaces: 'team-a' }] }, 'apiKeys[0].namespaces')
  await rejects(
    t,
    { secret: SECRET, apiKeys: [{ ...entry, namespaces: ['bad ns'] }] },
    'apiKeys[0].namespaces',
  )
  await rejects(t, { secret: SECRET, apiKeys: [{ ...entry, subject: '' }] }, 'apiKeys[0].subject')
  await rejects(t, { secret: SECRET, apiKeys: [entry, { ...entry }] }, 'apiKeys[1].id', /twice/)
})

t.test('routes and unknown options', async (t) => {
  await rejects(t, { secret: SECRET, routes: { token: true } }, 'routes.token', /apiKeys/)
  await rejects(t, { secret: SECRET, routes: { session: true } }, 'routes.session', /cookie/)
  await rejects(t, { secret: SECRET, routes: { prefix: 'auth' } }, 'routes.prefix')
  await rejects(t, { secret: SECRET, routes: { prefix: '/auth/' } }, 'routes.prefix')
  await rejects(
    t,
    { secret: SECRET, apiKeys: apiKeyEntries, routes: { rateLimit: { max: 0 } } },
    'routes.rateLimit',
  )
  await rejects(t, { secret: SECRET, routes: { path: '/x' } }, 'routes.path')
  await rejects(t, { secret: SECRET, routes: true }, 'routes')
  await rejects(t, { secret: SECRET, apikeys: [] }, 'apikeys', /is not an option/)
})

t.test('valid option sets register', async (t) => {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519', {
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  })
  const sets = [
    { secret: SECRET },
    { secret: Buffer.alloc(32, 7), algorithms: ['HS512', 'HS256'] },
    { secret: { public: publicKey, private: privateKey }, algorithms: ['EdDSA'] },
    { secret: SECRET, expiresIn: 120, clockTolerance: 0, issuer: 'i', audience: ['a', 'b'] },
    { secret: SECRET, cookie: { name: 'sid', sameSite: 'none', secure: true, domain: 'example.com' } },
    { secret: SECRET, apiKeys: [entry], routes: { prefix: '' } },
    { secret: SECRET, apiKeys: async () => null, routes: false },
    { secret: SECRET, expiresIn: '2h', clockTolerance: '10s' },
    { secret: SECRET, apiKeys: [entry], routes: { rateLimit: { max: 5, timeWindow: '1m' } } },
  ]
  for (const options of sets) {
    const app = Fastify()
    t.teardown(() => app.close())
    await app.register(fastifyAuth, options as never)
    await t.resolves(async () => void (await app.ready()), JSON.stringify(Object.keys(options)))
  }
})
