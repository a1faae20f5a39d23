// Bad input is 4xx with the standard error body, and nothing is written.
import { encode } from '@comp-manager/core'
import t from 'tap'
import { build, buildMemory, claim, expectError, submit } from './fixtures/helpers.js'

t.test('claim: bad bodies are 400 CM_ERR_VALIDATION, nothing claimed', async (t) => {
  const { app, store } = await buildMemory(t)
  const job = await submit(app, 'f', [])
  const bad: Array<[string, unknown]> = [
    ['negative waitMs', { workerId: 'w', functions: ['f'], waitMs: -1 }],
    ['max over the cap', { workerId: 'w', functions: ['f'], max: 33 }],
    ['max zero', { workerId: 'w', functions: ['f'], max: 0 }],
    ['waitMs over the server limit', { workerId: 'w', functions: ['f'], waitMs: 60_000 }],
    ['no functions', { workerId: 'w', functions: [] }],
    ['missing workerId', { functions: ['f'] }],
    ['workerId with spaces', { workerId: 'a b', functions: ['f'] }],
    ['functions not strings', { workerId: 'w', functions: [1] }],
    ['unknown field', { workerId: 'w', functions: ['f'], extra: true }],
    ['$ operator', { workerId: 'w', functions: ['f'], namespace: { $ne: 'x' } }],
    ['__proto__ key', JSON.parse('{"workerId":"w","functions":["f"],"__proto__":{"admin":true}}')],
    ['leaseMs too short', { workerId: 'w', functions: ['f'], leaseMs: 10 }],
    ['not an object', [1, 2]],
  ]
  for (const [what, payload] of bad) {
    const res = await app.inject({ method: 'POST', url: '/workers/claim', payload: payload as object })
    t.ok(res.statusCode === 400, `${what}: ${res.statusCode}`)
    t.match(res.json(), { statusCode: 400, code: /^CM_ERR_/, requestId: String })
  }
  t.equal((await store.computations.get('default', job.id))?.status, 'queued', 'nothing claimed')
  t.same(await store.queue!.listWorkers(), [], 'no worker registered')
})

t.test('complete: an oversize or malformed result is refused, the lease kept', async (t) => {
  const { app, store } = await buildMemory(t, { worker: { maxResultBytes: 4096 } })
  const job = await submit(app, 'f', [])
  const [claimed] = await claim(app, { functions: ['f'] })
  const big = await app.inject({
    method: 'POST',
    url: `/computations/${job.id}/complete`,
    payload: { leaseToken: claimed!.leaseToken, result: 'x'.repeat(5000) },
  })
  expectError(t, big, 413, 'CM_ERR_MAX_BYTES')
  const huge = await app.inject({
    method: 'POST',
    url: `/computations/${job.id}/complete`,
    payload: { leaseToken: claimed!.leaseToken, result: 'x'.repeat(200_000) },
  })
  t.equal(huge.statusCode, 413, 'over the body limit')
  const malformed = await app.inject({
    method: 'POST',
    url: `/computations/${job.id}/complete`,
    payload: { leaseToken: claimed!.leaseToken, result: { __type__: 'bigint', value: 'not digits' } },
  })
  t.equal(malformed.statusCode, 400, malformed.body)
  const unknown = await app.inject({
    method: 'POST',
    url: `/computations/${job.id}/complete`,
    payload: { leaseToken: claimed!.leaseToken, result: { __type__: 'NoSuchType', value: 1 } },
  })
  expectError(t, unknown, 400, 'CM_ERR_UNKNOWN_TYPE')
  const missing = await app.inject({
    method: 'POST',
    url: `/computations/${job.id}/complete`,
    payload: { leaseToken: claimed!.leaseToken },
  })
  expectError(t, missing, 400, 'CM_ERR_VALIDATION')
  const record = await store.computations.get('default', job.id)
  t.equal(record?.status, 'started', 'still running: nothing written')
  t.equal(await store.cache.get('default', record!.hash), null, 'no result stored')
  const ok = await app.inject({
    method: 'POST',
    url: `/computations/${job.id}/complete`,
    payload: { leaseToken: claimed!.leaseToken, result: encode(1n) },
  })
  t.equal(ok.statusCode, 200, 'the lease was kept')
})

t.test('heartbeat, fail, release: bad bodies are 400, nothing changed', async (t) => {
  const { app, store } = await buildMemory(t)
  const job = await submit(app, 'f', [])
  const [claimed] = await claim(app, { functions: ['f'] })
  const leaseToken = claimed!.leaseToken
  const before = await store.computations.get('default', job.id)
  const bad: Array<[string, Record<string, unknown>]> = [
    ['heartbeat', { leaseToken, progress: 2 }],
    ['heartbeat', { leaseToken, progress: 'half' }],
    ['heartbeat', { leaseToken, message: 7 }],
    ['heartbeat', { progress: 0.5 }],
    ['heartbeat', { leaseToken, checkpoint: { __type__: 'bigint', value: 'x' } }],
    ['fail', { leaseToken, error: { message: 'no name' } }],
    ['fail', { leaseToken, error: { name: 'E', message: 'm', $where: '1' } }],
    ['fail', { leaseToken, error: 'boom' }],
    ['release', { leaseToken, reason: 'bored' }],
    ['release', { leaseToken }],
  ]
  for (const [route, payload] of bad) {
    const res = await app.inject({ method: 'POST', url: `/computations/${job.id}/${route}`, payload })
    t.equal(res.statusCode, 400, `${route} ${JSON.stringify(payload).slice(0, 60)}`)
    t.match(res.json(), { code: /^CM_ERR_/, requestId: String })
  }
  t.same(await store.computations.get('default', job.id), before, 'nothing changed')
})

t.test(
  'submit: unknown function, malformed args, queue fields on a report: 400, nothing written',
  async (t) => {
    const { app, store } = await buildMemory(t, { tracker: { functions: ['known'] } })
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ['unknown function', { function: 'nope', args: [] }, 'CM_ERR_UNKNOWN_FUNCTION'],
      [
        'malformed args',
        { function: 'known', args: [{ __type__: 'bigint', value: 'zz' }] },
        'CM_ERR_MALFORMED',
      ],
      ['unknown codec tag', { function: 'known', args: [{ __type__: 'Nope' }] }, 'CM_ERR_UNKNOWN_TYPE'],
      ['args not a list', { function: 'known', args: { a: 1 } }, 'CM_ERR_VALIDATION'],
      ['priority out of range', { function: 'known', priority: 5000 }, 'CM_ERR_VALIDATION'],
      ['attempts zero', { function: 'known', attempts: 0 }, 'CM_ERR_VALIDATION'],
      ['runAt not a date', { function: 'known', runAt: 'tomorrow' }, 'CM_ERR_VALIDATION'],
      [
        'runAt two years ahead',
        { function: 'known', runAt: new Date(Date.now() + 2 * 365 * 86_400_000).toISOString() },
        'CM_ERR_INVALID_ARGUMENT',
      ],
      [
        'queue fields on a report',
        { function: 'known', status: 'started', priority: 1 },
        'CM_ERR_VALIDATION',
      ],
    ]
    for (const [what, payload, code] of cases) {
      const res = await app.inject({ method: 'POST', url: '/computations', payload })
      t.equal(res.statusCode, 400, `${what}: ${res.body.slice(0, 200)}`)
      t.equal(res.json().code, code, what)
    }
    t.equal((await store.computations.list({ namespace: 'default' })).total, 0, 'nothing written')
    t.equal(
      (await app.inject({ method: 'POST', url: '/computations', payload: { function: 'known' } })).statusCode,
      201,
    )
  },
)

t.test("submit with functions: 'registered' accepts the functions of live workers", async (t) => {
  const app = await build(t, { tracker: { functions: 'registered' } })
  expectError(
    t,
    await app.inject({ method: 'POST', url: '/computations', payload: { function: 'fib' } }),
    400,
    'CM_ERR_UNKNOWN_FUNCTION',
  )
  await claim(app, { workerId: 'py', functions: ['fib'] })
  t.equal(
    (await app.inject({ method: 'POST', url: '/computations', payload: { function: 'fib' } })).statusCode,
    201,
    'an HTTP worker registered it',
  )
})

t.test('actions: 409 with the current status on an impossible transition', async (t) => {
  const { app } = await buildMemory(t)
  const job = await submit(app, 'f', [])
  t.match(
    expectError(
      t,
      await app.inject({ method: 'POST', url: `/computations/${job.id}/resume` }),
      409,
      'CM_ERR_CONFLICT',
    ).details,
    { status: 'queued', action: 'resume' },
  )
  t.match(
    expectError(
      t,
      await app.inject({ method: 'POST', url: `/computations/${job.id}/retry` }),
      409,
      'CM_ERR_CONFLICT',
    ).details,
    { status: 'queued', action: 'retry' },
  )
  t.match(
    expectError(
      t,
      await app.inject({ method: 'POST', url: `/computations/${job.id}/pause` }),
      409,
      'CM_ERR_CONFLICT',
    ).details,
    { status: 'queued', action: 'pause' },
  )
  expectError(
    t,
    await app.inject({ method: 'POST', url: '/computations/nope/cancel' }),
    404,
    'CM_ERR_NOT_FOUND',
  )
  expectError(
    t,
    await app.inject({ method: 'POST', url: `/computations/${job.id}/cancel`, payload: { reason: 1 } }),
    400,
    'CM_ERR_VALIDATION',
  )
})
