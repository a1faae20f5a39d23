import t from 'tap'
import { redactPaths } from '../src/index.js'
import {
  apiKeyEntries,
  bearer,
  build,
  claims,
  craftToken,
  keys,
  OTHER_SECRET,
  SECRET,
  secretOf,
} from './fixtures/helpers.js'

/** Every request that fails (or passes) authentication, with the credential text to look for in logs. */
function credentials() {
  const forged = craftToken(claims({ role: 'admin' }), { secret: OTHER_SECRET })
  const expired = craftToken(claims({ exp: Math.floor(Date.now() / 1000) - 3600 }))
  const badClaims = craftToken(claims({ role: 'root' }))
  const none = craftToken(claims(), { header: { alg: 'none' } })
  const valid = craftToken(claims())
  const wrongKey = `${keys.viewer.key.slice(0, -6)}ABCDEF`
  const requests = [
    { headers: bearer(forged) },
    { headers: bearer(expired) },
    { headers: bearer(badClaims) },
    { headers: bearer(none) },
    { headers: bearer(valid), url: '/write', method: 'POST' as const },
    { headers: { 'x-api-key': wrongKey } },
    { headers: { authorization: `ApiKey ${wrongKey}` } },
    { headers: { 'x-api-key': keys.viewer.key }, url: '/write', method: 'POST' as const },
    { headers: { cookie: `cm_token=${forged}` } },
    { headers: { authorization: 'Basic c2VjcmV0LXVzZXI6c2VjcmV0LXBhc3N3b3Jk' } },
    { headers: { 'x-api-key': keys.viewer.key }, url: '/auth/token', method: 'POST' as const },
    { headers: bearer(valid), url: '/auth/token', method: 'POST' as const },
  ]
  // Distinctive parts: payloads and signatures of tokens (headers are all alike), the secret part of keys.
  const secrets = [
    SECRET,
    OTHER_SECRET,
    ...[forged, expired, badClaims, none, valid].flatMap((tok) =>
      tok
        .split('.')
        .slice(1)
        .filter((part) => part.length > 20),
    ),
    secretOf(wrongKey),
    secretOf(keys.viewer.key),
    'c2VjcmV0LXVzZXI6c2VjcmV0LXBhc3N3b3Jk',
  ]
  return { requests, secrets }
}

t.test('logs of failed (and successful) authentication contain no token, key or cookie', async (t) => {
  const lines: string[] = []
  const app = await build(
    t,
    { apiKeys: apiKeyEntries, cookie: true },
    {
      logger: { level: 'trace', stream: { write: (line: string) => lines.push(line) } },
    },
  )
  const { requests, secrets } = credentials()
  const statuses: number[] = []
  for (const request of requests) {
    const res = await app.inject({ url: '/read', ...request })
    statuses.push(res.statusCode)
    for (const secret of secrets) t.notOk(res.body.includes(secret), 'the response does not echo credentials')
  }
  t.same(statuses, [401, 401, 401, 401, 403, 401, 401, 403, 401, 401, 200, 401])
  t.ok(lines.length > requests.length, 'requests were logged')
  t.ok(
    lines.some((line) => line.includes('CM_ERR_UNAUTHORIZED')),
    'failures are logged (by code)',
  )
  const log = lines.join('\n')
  for (const secret of secrets)
    t.notOk(log.includes(secret), `no credential text in the logs (${secret.slice(0, 6)}…)`)
})

t.test('redactPaths hides the credential headers from a logger that logs headers', async (t) => {
  const lines: string[] = []
  const app = await build(
    t,
    { apiKeys: apiKeyEntries, cookie: true },
    {
      logger: {
        level: 'trace',
        stream: { write: (line: string) => lines.push(line) },
        redact: [...redactPaths],
        serializers: {
          req: (req) => ({ method: req.method, url: req.url, headers: req.headers }),
          res: (reply) => ({ statusCode: reply.statusCode, headers: reply.getHeaders?.() }),
        },
      },
    },
  )
  const { requests, secrets } = credentials()
  for (const request of requests) await app.inject({ url: '/read', ...request })
  await app.inject({ method: 'POST', url: '/auth/session', headers: { 'x-api-key': keys.viewer.key } })
  const log = lines.join('\n')
  t.match(log, /"authorization":"\[Redacted\]"/, 'headers are logged, credentials redacted')
  t.match(log, /"x-api-key":"\[Redacted\]"/)
  t.match(log, /"cookie":"\[Redacted\]"/)
  for (const secret of secrets)
    t.notOk(log.includes(secret), `no credential text in the logs (${secret.slice(0, 6)}…)`)
})
