// Roles and namespaces on every new route: a token of namespace A can neither claim nor complete B's jobs.
import t from 'tap'
import { buildMemory, claim, expectError, submit, tokenFor } from './fixtures/helpers.js'

t.test(
  'roles: a viewer may list workers but not claim; a worker may claim but not submit or control',
  async (t) => {
    const { app } = await buildMemory(t, { auth: true })
    const viewer = tokenFor(app, 'viewer', ['default'])
    const worker = tokenFor(app, 'worker', ['default'])
    const operator = tokenFor(app, 'operator', ['default'])
    expectError(
      t,
      await app.inject({
        method: 'POST',
        url: '/workers/claim',
        headers: viewer,
        payload: { workerId: 'w', functions: ['f'] },
      }),
      403,
      'CM_ERR_FORBIDDEN',
    )
    t.equal((await app.inject({ url: '/workers', headers: viewer })).statusCode, 200)
    expectError(
      t,
      await app.inject({ method: 'POST', url: '/computations', headers: worker, payload: { function: 'f' } }),
      403,
      'CM_ERR_FORBIDDEN',
    )
    const job = await submit(app, 'f', [], {}, operator)
    for (const action of ['cancel', 'pause', 'resume', 'retry']) {
      expectError(
        t,
        await app.inject({ method: 'POST', url: `/computations/${job.id}/${action}`, headers: worker }),
        403,
        'CM_ERR_FORBIDDEN',
      )
      expectError(
        t,
        await app.inject({ method: 'POST', url: `/computations/${job.id}/${action}`, headers: viewer }),
        403,
        'CM_ERR_FORBIDDEN',
      )
    }
    t.equal(
      (await app.inject({ url: `/computations/${job.id}/result`, headers: viewer })).statusCode,
      404,
      'a viewer reads results (none yet)',
    )
    const [claimed] = await claim(app, { functions: ['f'] }, worker)
    t.equal(claimed!.id, job.id, 'the worker role claims')
    for (const route of ['heartbeat', 'complete', 'fail', 'release']) {
      const payload = {
        leaseToken: claimed!.leaseToken,
        result: 1,
        error: { name: 'E', message: 'm' },
        reason: 'shutdown',
      }
      const pick = {
        heartbeat: ['leaseToken'],
        complete: ['leaseToken', 'result'],
        fail: ['leaseToken', 'error'],
        release: ['leaseToken', 'reason'],
      }[route]!
      const body = Object.fromEntries(Object.entries(payload).filter(([k]) => pick.includes(k)))
      expectError(
        t,
        await app.inject({
          method: 'POST',
          url: `/computations/${job.id}/${route}`,
          headers: viewer,
          payload: body,
        }),
        403,
        'CM_ERR_FORBIDDEN',
      )
    }
    const admin = tokenFor(app, 'admin', [])
    const beat = await app.inject({
      method: 'POST',
      url: `/computations/${job.id}/heartbeat`,
      headers: admin,
      payload: { leaseToken: claimed!.leaseToken },
    })
    t.equal(beat.statusCode, 200, 'admin implies worker')
    for (const route of ['/workers', '/workers/claim']) {
      const res = await app.inject({
        method: route === '/workers' ? 'GET' : 'POST',
        url: route,
        ...(route === '/workers' ? {} : { payload: { workerId: 'w', functions: ['f'] } }),
      })
      expectError(t, res, 401, 'CM_ERR_UNAUTHORIZED')
    }
  },
)

t.test("namespaces: a worker of A neither claims, heartbeats, completes nor fails B's jobs", async (t) => {
  const { app, store } = await buildMemory(t, { auth: true })
  const operatorB = tokenFor(app, 'operator', ['team-b'])
  const workerA = tokenFor(app, 'worker', ['team-a'])
  const workerB = tokenFor(app, 'worker', ['team-b'])
  const jobB = await submit(app, 'f', [1], { namespace: 'team-b' }, operatorB)
  t.same(await claim(app, { functions: ['f'] }, workerA), [], 'A sees no job of B')
  expectError(
    t,
    await app.inject({
      method: 'POST',
      url: '/workers/claim',
      headers: workerA,
      payload: { workerId: 'w', functions: ['f'], namespace: 'team-b' },
    }),
    404,
    'CM_ERR_NOT_FOUND',
  )
  const [claimedB] = await claim(app, { workerId: 'wb', functions: ['f'] }, workerB)
  t.equal(claimedB!.id, jobB.id)
  const before = await store.computations.get('team-b', jobB.id)
  const bodies = {
    heartbeat: { leaseToken: claimedB!.leaseToken, progress: 1 },
    complete: { leaseToken: claimedB!.leaseToken, result: 'stolen' },
    fail: { leaseToken: claimedB!.leaseToken, error: { name: 'E', message: 'sabotage' } },
    release: { leaseToken: claimedB!.leaseToken, reason: 'cancel' },
  }
  for (const [route, payload] of Object.entries(bodies)) {
    // Even holding B's token (leaked), A's credentials are not enough: 404, never a hint.
    expectError(
      t,
      await app.inject({
        method: 'POST',
        url: `/computations/${jobB.id}/${route}`,
        headers: workerA,
        payload,
      }),
      404,
      'CM_ERR_NOT_FOUND',
    )
  }
  for (const action of ['cancel', 'pause', 'retry']) {
    expectError(
      t,
      await app.inject({
        method: 'POST',
        url: `/computations/${jobB.id}/${action}`,
        headers: tokenFor(app, 'operator', ['team-a']),
      }),
      404,
      'CM_ERR_NOT_FOUND',
    )
  }
  expectError(
    t,
    await app.inject({ url: `/computations/${jobB.id}/result`, headers: workerA }),
    404,
    'CM_ERR_NOT_FOUND',
  )
  t.same(await store.computations.get('team-b', jobB.id), before, 'nothing changed')
  const listA = (await app.inject({ url: '/workers', headers: workerA })).json()
  t.same(
    listA.data.map((w: { id: string }) => w.id),
    ['w1'],
    "A sees its own worker, not B's",
  )
  const listB = (await app.inject({ url: '/workers', headers: workerB })).json()
  t.same(
    listB.data.map((w: { id: string }) => w.id),
    ['wb'],
  )
})
