// A stale, foreign or forged lease token is 409 CM_ERR_LEASE_LOST and changes nothing.
import { encode } from '@comp-manager/core'
import type { FastifyInstance } from 'fastify'
import t from 'tap'
import { build, buildMemory, claim, expectError, sleep, submit } from './fixtures/helpers.js'

/** The stored record as the API shows it, without the derived running time (it grows while it runs). */
async function stored(app: FastifyInstance, id: string) {
  const { runningTimeMs: _derived, ...record } = (await app.inject(`/computations/${id}`)).json()
  return record
}

const routes = (token: string) =>
  [
    ['heartbeat', { leaseToken: token, progress: 0.9, message: 'overwrite?' }],
    ['complete', { leaseToken: token, result: encode('stale result') }],
    ['fail', { leaseToken: token, error: { name: 'E', message: 'stale failure' }, retryable: true }],
    ['release', { leaseToken: token, reason: 'cancel' }],
    ['release', { leaseToken: token, reason: 'shutdown' }],
    ['release', { leaseToken: token, reason: 'pause', checkpoint: { step: 1 } }],
  ] as const

t.test('a worker whose lease ran out can never overwrite the run that replaced it', async (t) => {
  const app = await build(t, { worker: { maxLostRetries: 1 } })
  const job = await submit(app, 'slow', [1])
  const [old] = await claim(app, { workerId: 'dead', functions: ['slow'], leaseMs: 1000 })
  await sleep(1100)
  t.equal(await app.workerProtocol.recover(), 1, 'the expired lease is recovered')
  const lost = await stored(app, job.id)
  t.equal(lost.status, 'lost')
  const [replacement] = await claim(app, { workerId: 'alive', functions: ['slow'], leaseMs: 30_000 })
  t.equal(replacement!.attempt, 2)
  const before = [await stored(app, job.id), await stored(app, replacement!.id)]
  for (const [route, payload] of routes(old!.leaseToken)) {
    for (const id of [job.id, replacement!.id]) {
      const res = await app.inject({ method: 'POST', url: `/computations/${id}/${route}`, payload })
      const body = expectError(t, res, 409, 'CM_ERR_LEASE_LOST')
      if (id === job.id) t.match(body.details, { id, status: 'lost' }, `${route}: the lost run`)
    }
  }
  const after = [await stored(app, job.id), await stored(app, replacement!.id)]
  t.same(after, before, 'nothing changed')
  t.equal((await app.inject(`/computations/${job.id}/result`)).statusCode, 409, 'no result for the lost run')
  const done = await app.inject({
    method: 'POST',
    url: `/computations/${replacement!.id}/complete`,
    payload: { leaseToken: replacement!.leaseToken, result: 'fresh' },
  })
  t.equal(done.statusCode, 200, 'the live claim still completes')
})

t.test('a token released and claimed again by another worker is stale', async (t) => {
  const app = await build(t)
  const job = await submit(app, 'g', [])
  const [first] = await claim(app, { workerId: 'a', functions: ['g'] })
  await app.inject({
    method: 'POST',
    url: `/computations/${job.id}/release`,
    payload: { leaseToken: first!.leaseToken, reason: 'shutdown' },
  })
  const [second] = await claim(app, { workerId: 'b', functions: ['g'] })
  t.equal(second!.id, job.id, 'the same record, another claim')
  const before = await stored(app, job.id)
  for (const [route, payload] of routes(first!.leaseToken)) {
    const res = await app.inject({ method: 'POST', url: `/computations/${job.id}/${route}`, payload })
    t.match(expectError(t, res, 409, 'CM_ERR_LEASE_LOST').details, { status: 'started' }, route)
  }
  t.same(await stored(app, job.id), before, 'nothing changed')
})

t.test('forged, truncated, re-signed and misdirected tokens are 409, nothing changed', async (t) => {
  const app = await build(t)
  const job = await submit(app, 'g', [1])
  const other = await submit(app, 'g', [2])
  const [claimed] = await claim(app, { functions: ['g'] })
  const token: string = claimed!.leaseToken
  const [v, body, sig] = token.split('.')
  const claimBody = JSON.parse(Buffer.from(body!, 'base64url').toString())
  const forgedBody = Buffer.from(
    JSON.stringify([...claimBody.slice(0, 3), 'intruder', claimBody[4]]),
  ).toString('base64url')
  const bad = [
    ['garbage', 'not-a-token'],
    ['truncated signature', token.slice(0, -3)],
    ['other body, same signature', `${v}.${forgedBody}.${sig}`],
    ['unsigned', `${v}.${body}.`],
    ['extra part', `${token}.x`],
    ['wrong version', `v2.${body}.${sig}`],
  ]
  const before = await stored(app, job.id)
  for (const [what, leaseToken] of bad) {
    const res = await app.inject({
      method: 'POST',
      url: `/computations/${job.id}/complete`,
      payload: { leaseToken, result: 1 },
    })
    expectError(t, res, 409, 'CM_ERR_LEASE_LOST')
    t.pass(what!)
  }
  const misdirected = await app.inject({
    method: 'POST',
    url: `/computations/${other.id}/complete`,
    payload: { leaseToken: token, result: 1 },
  })
  expectError(t, misdirected, 409, 'CM_ERR_LEASE_LOST')
  t.same(await stored(app, job.id), before, 'nothing changed')
  t.equal((await stored(app, other.id)).status, 'queued')
})

t.test('a token from another server (another lease secret) is refused', async (t) => {
  const { app: a } = await buildMemory(t, {
    worker: { leaseSecret: 'secret-of-server-a-0123456789' },
    tracker: { leaseSecret: 'secret-of-server-a-0123456789' },
  })
  const { app: b } = await buildMemory(t, {
    worker: { leaseSecret: 'secret-of-server-b-0123456789' },
    tracker: { leaseSecret: 'secret-of-server-b-0123456789' },
  })
  await submit(a, 'g', [])
  const [claimed] = await claim(a, { functions: ['g'] })
  const res = await b.inject({
    method: 'POST',
    url: `/computations/${claimed!.id}/heartbeat`,
    payload: { leaseToken: claimed!.leaseToken },
  })
  t.ok(res.statusCode === 409 || res.statusCode === 404, `refused (${res.statusCode})`)
})

t.test(
  'different lease secrets for the tracker and the worker plugin are refused at register()',
  async (t) => {
    await t.rejects(
      build(t, {
        worker: { leaseSecret: 'one-secret-0123456789abcdef' },
        tracker: { leaseSecret: 'another-secret-0123456789ab' },
      }),
      { code: 'CM_ERR_INVALID_ARGUMENT', details: { option: 'leaseSecret' } },
    )
  },
)

t.test('an HTTP claim records the plugin maxLostRetries: expire by anyone else honours it', async (t) => {
  const app = await build(t, { worker: { maxLostRetries: 0 } })
  const job = await submit(app, 'slow', [2])
  await claim(app, { workerId: 'dead', functions: ['slow'], leaseMs: 1000 })
  await sleep(1100)
  // A tracker's sweeper or a waiter notices first (not the plugin's recovery).
  const lost = await app.compStore.computations.expire(job.namespace, job.id)
  t.equal(lost?.status, 'lost')
  const { data } = await app.compStore.computations.list({ namespace: job.namespace, hash: job.hash })
  t.same(
    data.map((r) => [r.attempt, r.status]),
    [[1, 'lost']],
    'maxLostRetries 0: no next attempt (the default would queue attempt 2)',
  )
})
