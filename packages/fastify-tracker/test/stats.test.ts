// GET /computations/stats: queue depth, running, paused and the runs that ended in the last hour,
// counted in the store (a second app on the same SQLite file answers the same).
import type { Store } from '@comp-manager/core'
import { SqliteStore } from '@comp-manager/sqlite-store'
import t from 'tap'
import { build, expectError, seed, tokenFor } from './fixtures/helpers.js'

t.test('counts by status, and the last hour by outcome; another instance agrees', async (t) => {
  const app = await build(t)
  const store = app.compStore as Store
  for (let i = 0; i < 3; i++) await seed(store, { fn: 'queued-job' })
  const started: string[] = []
  for (let i = 0; i < 4; i++) started.push((await seed(store, { fn: 'work', status: 'started' })).id)
  await store.computations.update('default', started[0]!, 'started', { status: 'paused' })
  await store.computations.update('default', started[1]!, 'started', {
    status: 'failed',
    error: { name: 'Error', message: 'boom' },
  })
  await store.computations.update('default', started[2]!, 'started', { status: 'finished' })
  await seed(store, { fn: 'other-ns', namespace: 'elsewhere' })
  const res = await app.inject('/computations/stats')
  t.equal(res.statusCode, 200)
  t.match(res.json(), {
    namespaces: ['default'],
    queued: 3,
    running: 1,
    paused: 1,
    lastHour: { failed: 1, finished: 1, lost: 0 },
    lowerBound: false,
  })
  // A second instance on another connection to the same SQLite file counts the same.
  const other = new SqliteStore({ path: (store as SqliteStore).path })
  t.teardown(() => other.close())
  const second = await build(t, { store: other })
  const { at: _a, ...mine } = res.json()
  const { at: _b, ...theirs } = (await second.inject('/computations/stats')).json()
  t.same(theirs, mine)
})

t.test('bad input and access', async (t) => {
  const app = await build(t, { auth: true })
  expectError(t, await app.inject('/computations/stats'), 401, 'CM_ERR_UNAUTHORIZED')
  const viewer = tokenFor(app, 'viewer', ['team-a'])
  t.equal((await app.inject({ url: '/computations/stats', headers: viewer })).statusCode, 200)
  expectError(
    t,
    await app.inject({ url: '/computations/stats?namespace=team-b', headers: viewer }),
    404,
    'CM_ERR_NOT_FOUND',
  )
  expectError(
    t,
    await app.inject({ url: '/computations/stats?$where=1', headers: viewer }),
    400,
    'CM_ERR_VALIDATION',
  )
  expectError(
    t,
    await app.inject({ url: '/computations/stats?namespace=bad%20ns!', headers: viewer }),
    400,
    'CM_ERR_VALIDATION',
  )
})
