// Bad input on the admin routes: malformed and forbidden targets, unknown event types, wrong
// types, $-operators, prototype keys, unknown subscriptions, and the roles.
import { lookup } from 'node:dns/promises'
import { hostname } from 'node:os'
import type { Store } from '@comp-manager/core'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import { checkTarget, isForbiddenAddress } from '../src/index.js'
import { build, receiver } from './fixtures/helpers.js'

function expectError(t: Test, res: LightMyRequestResponse, statusCode: number, code: string) {
  t.equal(res.statusCode, statusCode, `status ${statusCode}: ${res.body}`)
  const body = res.json()
  t.match(body, { statusCode, code, error: String, message: String, requestId: String })
  return body
}

const post = (app: FastifyInstance, payload: unknown, headers = {}) =>
  app.inject({ method: 'POST', url: '/webhooks', payload: payload as object, headers })

t.test('malformed and forbidden targets are 400 CM_ERR_VALIDATION', async (t) => {
  const app = await build(t, { webhooks: { pollMs: 50 } })
  const refused: Array<[string, string]> = [
    ['not a url', 'malformed'],
    ['/relative/path', 'malformed'],
    ['ftp://example.com/x', 'scheme'],
    ['javascript:alert(1)', 'scheme'],
    ['http://user:pw@example.com/', 'credentials'],
    ['http://127.0.0.1:8080/', 'forbidden-address'],
    ['http://localhost/', 'forbidden-address'],
    ['http://[::1]/', 'forbidden-address'],
    ['http://169.254.169.254/latest/meta-data', 'forbidden-address'],
    ['http://10.1.2.3/', 'forbidden-address'],
    ['http://172.16.0.1/', 'forbidden-address'],
    ['http://192.168.1.1/', 'forbidden-address'],
    ['http://100.64.0.1/', 'forbidden-address'],
    ['http://0.0.0.0/', 'forbidden-address'],
    ['http://[fe80::1]/', 'forbidden-address'],
    ['http://[fd00::1]/', 'forbidden-address'],
    ['http://[::ffff:127.0.0.1]/', 'forbidden-address'],
    ['http://2130706433/', 'forbidden-address'],
    ['http://0x7f.1/', 'forbidden-address'],
  ]
  for (const [url, reason] of refused) {
    const body = expectError(t, await post(app, { url }), 400, 'CM_ERR_VALIDATION')
    t.equal(body.details?.reason, reason, `${url}: ${reason}`)
  }
  t.equal((await app.inject('/webhooks')).json().data.length, 0, 'nothing was created')
  // A public IP literal is accepted (no DNS needed); changing it to a forbidden one is refused.
  const created = await post(app, { url: 'http://93.184.215.14/hook' })
  t.equal(created.statusCode, 201)
  const patched = await app.inject({
    method: 'PATCH',
    url: `/webhooks/${created.json().id}`,
    payload: { url: 'http://[::1]/' },
  })
  t.equal(expectError(t, patched, 400, 'CM_ERR_VALIDATION').details?.reason, 'forbidden-address')
})

t.test('a host name that resolves to a loopback address is refused after resolution', async (t) => {
  const name = hostname()
  const resolved = await lookup(name, { all: true }).catch(() => [])
  if (resolved.length === 0 || !resolved.every((a) => isForbiddenAddress(a.address))) {
    t.pass(`${name} does not resolve to loopback/private addresses only here`)
    return
  }
  const app = await build(t, { webhooks: { pollMs: 50 } })
  const body = expectError(t, await post(app, { url: `http://${name}:9/hook` }), 400, 'CM_ERR_VALIDATION')
  t.match(body, { details: { reason: 'forbidden-address' }, message: /resolves to a forbidden address/ })
  t.match(
    await checkTarget(`http://${name}/`, { allowPrivate: true, allowHttp: true }),
    null,
    'allowed by configuration',
  )
})

t.test('allowPrivateTargets lets a local receiver be subscribed; https-only refuses http', async (t) => {
  const hook = await receiver(t, () => 200)
  const app = await build(t, { webhooks: { allowPrivateTargets: true, pollMs: 50 } })
  t.equal((await post(app, { url: hook.url })).statusCode, 201)
  const strict = await build(t, {
    path: `${t.testdir()}/strict.db`,
    webhooks: { allowHttp: false, pollMs: 50 },
  })
  t.match(expectError(t, await post(strict, { url: 'http://example.com/' }), 400, 'CM_ERR_VALIDATION'), {
    details: { reason: 'scheme' },
  })
})

t.test(
  'schema errors: unknown types, wrong types, extra fields, $-keys, __proto__, bad secrets',
  async (t) => {
    const app = await build(t, { webhooks: { allowPrivateTargets: true, pollMs: 50 } })
    const url = 'http://127.0.0.1:9/hook'
    for (const payload of [
      {},
      { url: 42 },
      { url, types: ['no.such.type'] },
      { url, types: [] },
      { url, types: 'queued' },
      { url, enabled: 'yes' },
      { url, extra: 1 },
      { url, secret: 'not-a-secret' },
      { url, namespace: 'bad namespace!' },
      { url: { $gt: '' } },
    ]) {
      expectError(t, await post(app, payload), 400, 'CM_ERR_VALIDATION')
    }
    // A prototype key is refused by the JSON parser itself (secure-json-parse): 400 CM_ERR_MALFORMED.
    const polluted = await app.inject({
      method: 'POST',
      url: '/webhooks',
      headers: { 'content-type': 'application/json' },
      payload: `{"url":"${url}","__proto__":{"admin":true}}`,
    })
    expectError(t, polluted, 400, 'CM_ERR_MALFORMED')
    const created = (await post(app, { url })).json()
    expectError(
      t,
      await app.inject({ method: 'PATCH', url: `/webhooks/${created.id}`, payload: {} }),
      400,
      'CM_ERR_VALIDATION',
    )
    expectError(
      t,
      await app.inject({ method: 'PATCH', url: `/webhooks/${created.id}`, payload: { types: ['bogus'] } }),
      400,
      'CM_ERR_VALIDATION',
    )
    expectError(t, await app.inject('/webhooks/wh_nope'), 404, 'CM_ERR_NOT_FOUND')
    expectError(t, await app.inject('/webhooks/..%2Fetc'), 400, 'CM_ERR_VALIDATION')
    expectError(t, await app.inject({ method: 'DELETE', url: '/webhooks/wh_nope' }), 404, 'CM_ERR_NOT_FOUND')
    expectError(
      t,
      await app.inject({ method: 'POST', url: '/webhooks/wh_nope/test' }),
      404,
      'CM_ERR_NOT_FOUND',
    )
  },
)

t.test('CRUD: create returns the secret once, list and get never; rotate; delete', async (t) => {
  const hook = await receiver(t, () => 200)
  const app = await build(t, { webhooks: { allowPrivateTargets: true, pollMs: 50 } })
  const created = (
    await post(app, { url: hook.url, types: ['finished', 'failed'], description: 'ops' })
  ).json()
  t.match(created, {
    id: /^wh_/,
    namespace: 'default',
    secret: /^whsec_/,
    types: ['finished', 'failed'],
    enabled: true,
  })
  const listed = (await app.inject('/webhooks')).json().data
  t.equal(listed.length, 1)
  t.notOk('secret' in listed[0], 'no secret in the list')
  t.notOk('secret' in (await app.inject(`/webhooks/${created.id}`)).json(), 'no secret in a read')
  const rotated = (
    await app.inject({
      method: 'PATCH',
      url: `/webhooks/${created.id}`,
      payload: { rotateSecret: true, types: null },
    })
  ).json()
  t.match(rotated, { secret: /^whsec_/, types: null })
  t.not(rotated.secret, created.secret)
  const test = (await app.inject({ method: 'POST', url: `/webhooks/${created.id}/test` })).json()
  t.match(test, { ok: true, status: 200, type: 'webhook.test', sequence: null })
  t.match(JSON.parse(hook.received[0]!.body), { type: 'webhook.test', data: { subscriptionId: created.id } })
  const log = (await app.inject(`/webhooks/${created.id}/deliveries`)).json().data
  t.match(log, [{ type: 'webhook.test', ok: true }])
  t.equal((await app.inject({ method: 'DELETE', url: `/webhooks/${created.id}` })).statusCode, 204)
  t.equal((await app.inject(`/webhooks/${created.id}`)).statusCode, 404)
})

t.test('roles and namespaces: admin only; another namespace is a 404', async (t) => {
  const app = await build(t, { auth: true, webhooks: { allowPrivateTargets: true, pollMs: 50 } })
  const token = (role: 'viewer' | 'operator' | 'admin', namespaces: string[]) => ({
    authorization: `Bearer ${app.issueToken({ sub: role, role, namespaces })}`,
  })
  const url = 'http://127.0.0.1:9/hook'
  expectError(t, await post(app, { url }), 401, 'CM_ERR_UNAUTHORIZED')
  expectError(
    t,
    await post(app, { url }, { authorization: 'Bearer forged.token.here' }),
    401,
    'CM_ERR_UNAUTHORIZED',
  )
  expectError(t, await post(app, { url }, token('operator', ['team-a'])), 403, 'CM_ERR_FORBIDDEN')
  expectError(
    t,
    await app.inject({ url: '/webhooks', headers: token('viewer', ['team-a']) }),
    403,
    'CM_ERR_FORBIDDEN',
  )
  const created = (await post(app, { url, namespace: 'team-a' }, token('admin', ['team-a']))).json()
  t.equal(created.namespace, 'team-a')
  t.equal(
    (
      await app.inject({
        url: `/webhooks/${created.id}?namespace=team-a`,
        headers: token('admin', ['team-a']),
      })
    ).statusCode,
    200,
  )
  t.equal(
    (await app.inject({ url: `/webhooks/${created.id}`, headers: token('admin', []) })).statusCode,
    200,
    'an admin sees every namespace',
  )
  const store = app.compStore as Store
  t.equal((await store.documents!.list('webhook', { namespace: 'team-a' })).length, 1)
})
