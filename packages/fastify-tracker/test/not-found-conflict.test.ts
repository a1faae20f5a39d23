// 404 (absent id, other namespace) and 409 (invalid transition, duplicate, resume elsewhere).
import t from 'tap'
import { buildMemory, expectError, seed } from './fixtures/helpers.js'

t.test('404 CM_ERR_NOT_FOUND for an absent id, on every record route', async (t) => {
  const { app } = await buildMemory(t)
  const id = '01a20000-0000-7000-8000-000000000000'
  for (const [method, url, payload] of [
    ['GET', `/computations/${id}`],
    ['PUT', `/computations/${id}`, { message: 'x' }],
    ['DELETE', `/computations/${id}`],
    ['GET', `/computations/${id}/events`],
  ] as const) {
    const res = await app.inject({ method, url, ...(payload === undefined ? {} : { payload }) })
    const body = expectError(t, res, 404, 'CM_ERR_NOT_FOUND')
    t.same(body.details, { id }, `${method} ${url}`)
  }
})

t.test('a record of another namespace is 404 (without auth: the plugin namespace only)', async (t) => {
  const { app, store } = await buildMemory(t)
  const other = await seed(store, { namespace: 'team-b' })
  for (const url of [
    `/computations/${other.id}`,
    `/computations/${other.id}?namespace=team-b`,
    `/computations/${other.id}/events`,
  ]) {
    expectError(t, await app.inject({ url }), 404, 'CM_ERR_NOT_FOUND')
  }
  expectError(
    t,
    await app.inject({ method: 'DELETE', url: `/computations/${other.id}` }),
    404,
    'CM_ERR_NOT_FOUND',
  )
  expectError(
    t,
    await app.inject({ method: 'PUT', url: `/computations/${other.id}`, payload: { status: 'failed' } }),
    404,
    'CM_ERR_NOT_FOUND',
  )
  expectError(t, await app.inject({ url: '/computations?namespace=team-b' }), 404, 'CM_ERR_NOT_FOUND')
  expectError(
    t,
    await app.inject({
      method: 'POST',
      url: '/computations',
      payload: { function: 'f', namespace: 'team-b' },
    }),
    404,
    'CM_ERR_NOT_FOUND',
  )
  t.equal((await store.computations.get('team-b', other.id))?.status, 'queued', 'untouched')
})

t.test('the plugin namespace option scopes everything', async (t) => {
  const { app, store } = await buildMemory(t, { tracker: { namespace: 'reports' } })
  const mine = await seed(store, { namespace: 'reports' })
  await seed(store, { namespace: 'default' })
  t.equal(app.tracker.namespace, 'reports')
  const list = (await app.inject({ url: '/computations' })).json()
  t.same(
    list.data.map((r: { id: string }) => r.id),
    [mine.id],
  )
  const created = await app.inject({ method: 'POST', url: '/computations', payload: { function: 'f' } })
  t.equal(created.json().namespace, 'reports')
})

t.test('409 CM_ERR_INVALID_TRANSITION for a change the state machine refuses', async (t) => {
  const { app, store } = await buildMemory(t)
  const queued = await seed(store)
  const cases: Array<[string, string]> = [
    ['paused', 'queued → paused'],
    ['finished', 'queued → finished'],
    ['lost', 'queued → lost'],
  ]
  for (const [status, what] of cases) {
    const res = await app.inject({ method: 'PUT', url: `/computations/${queued.id}`, payload: { status } })
    const body = expectError(t, res, 409, 'CM_ERR_INVALID_TRANSITION')
    t.match(body.details, { from: 'queued', to: status }, what)
  }
  const done = await seed(store)
  await store.computations.update('default', done.id, 'queued', { status: 'started' })
  await store.computations.update('default', done.id, 'started', { status: 'finished' })
  for (const status of ['queued', 'started', 'paused', 'failed', 'lost']) {
    const res = await app.inject({ method: 'PUT', url: `/computations/${done.id}`, payload: { status } })
    expectError(t, res, 409, 'CM_ERR_INVALID_TRANSITION')
  }
  t.equal((await store.computations.get('default', done.id))?.status, 'finished', 'unchanged')
})

t.test(
  'a submit of a queued call joins it (200, deduplicated); a report of it is 409 CM_ERR_DUPLICATE',
  async (t) => {
    const { app } = await buildMemory(t)
    const payload = { function: 'report', args: ['2024-05'] }
    const first = await app.inject({ method: 'POST', url: '/computations', payload })
    t.equal(first.statusCode, 201)
    t.equal(first.json().deduplicated, false)
    const second = await app.inject({ method: 'POST', url: '/computations', payload })
    t.equal(second.statusCode, 200)
    t.match(second.json(), { id: first.json().id, status: 'queued', deduplicated: true })
    const reported = await app.inject({
      method: 'POST',
      url: '/computations',
      payload: { ...payload, status: 'started' },
    })
    const body = expectError(t, reported, 409, 'CM_ERR_DUPLICATE')
    t.match(body.details, { id: first.json().id, status: 'queued', hash: first.json().hash })
    // Other arguments, another version or another namespace's record: other hashes, no conflict.
    t.equal(
      (await app.inject({ method: 'POST', url: '/computations', payload: { ...payload, args: ['2024-06'] } }))
        .statusCode,
      201,
    )
    t.equal(
      (await app.inject({ method: 'POST', url: '/computations', payload: { ...payload, version: 2 } }))
        .statusCode,
      201,
    )
  },
)

t.test('a live tracked run is a duplicate too', async (t) => {
  const { app } = await buildMemory(t)
  let release!: () => void
  const job = app.tracker.track('job', (_x: number) => new Promise<void>((resolve) => (release = resolve)))
  const started = new Promise<void>((resolve) => app.tracker.on('started', () => resolve()))
  const call = job(7)
  await started
  const res = await app.inject({
    method: 'POST',
    url: '/computations',
    payload: { function: 'job', args: [7], status: 'started' },
  })
  t.match(expectError(t, res, 409, 'CM_ERR_DUPLICATE').details, { status: 'started' })
  const joined = await app.inject({
    method: 'POST',
    url: '/computations',
    payload: { function: 'job', args: [7] },
  })
  t.equal(joined.statusCode, 200, 'a submit joins the live run')
  t.match(joined.json(), { status: 'started', deduplicated: true })
  release()
  await call
})

t.test('409 CM_ERR_CONFLICT: a paused run is resumed only where its function is tracked', async (t) => {
  const { app, store } = await buildMemory(t)
  const record = await seed(store, { fn: 'elsewhere' })
  await store.computations.update('default', record.id, 'queued', { status: 'started' })
  await store.computations.update('default', record.id, 'started', { status: 'paused' })
  const res = await app.inject({
    method: 'PUT',
    url: `/computations/${record.id}`,
    payload: { status: 'started' },
  })
  t.match(expectError(t, res, 409, 'CM_ERR_CONFLICT').details, { id: record.id, functionFull: 'elsewhere' })
  t.equal((await store.computations.get('default', record.id))?.status, 'paused', 'still paused')
})
