// A run reported over REST with `status: 'started'` and never heartbeated cannot hang: the tracker's
// lease sweeper declares it lost once its lease runs out, and the same call can then be reported again.
import t, { type Test } from 'tap'
import { type BuildOptions, build, buildMemory, expectError, until } from './fixtures/helpers.js'

/** Both stores: in memory, and a SQLite file. */
const stores = {
  memory: async (t: Test, options: Omit<BuildOptions, 'store'>) => (await buildMemory(t, options)).app,
  sqlite: (t: Test, options: Omit<BuildOptions, 'store'>) => build(t, options),
}

const call = { function: 'external', args: [41] }

for (const [kind, open] of Object.entries(stores)) {
  t.test(
    `${kind}: a reported run that is never heartbeated is declared lost; the same call is accepted again`,
    async (t) => {
      // The shortest lease the tracker allows (1 s) and a periodic sweeper, as a server runs it (default 10 s).
      const app = await open(t, {
        tracker: { leaseMs: 1000, trackerOptions: { sweepIntervalMs: 50 } },
      })
      const first = await app.inject({
        method: 'POST',
        url: '/computations',
        payload: { ...call, status: 'started' },
      })
      t.equal(first.statusCode, 201, first.body)
      const run = first.json()
      t.match(run, { status: 'started', worker: null, attempt: 1 })
      t.type(run.leaseToken, 'string')
      const leaseUntil = Date.parse(run.leaseUntil)
      t.ok(leaseUntil > Date.parse(run.startedAt), 'leased')

      // While the run is live, the same call is refused.
      const live = await app.inject({
        method: 'POST',
        url: '/computations',
        payload: { ...call, status: 'started' },
      })
      t.match(expectError(t, live, 409, 'CM_ERR_DUPLICATE').details, { id: run.id, status: 'started' })

      // A run reported over REST has no worker: the worker plugin's recovery of claimed jobs leaves it alone;
      // the tracker's sweeper is what ends it.
      t.equal(await app.workerProtocol.recover(), 0, 'not a claimed job')
      const lost = await until(async () => {
        const record = (await app.inject(`/computations/${run.id}`)).json()
        return record.status === 'lost' ? record : null
      })
      t.match(lost, {
        id: run.id,
        status: 'lost',
        leaseUntil: null,
        error: null,
        message: /lease expired/,
        result: null,
      })
      t.ok(Date.parse(lost.finishedAt) >= leaseUntil, 'ended once its lease ran out, not before')
      t.ok(Date.parse(lost.finishedAt) >= Date.parse(lost.startedAt))

      // Its lease token holds nothing now.
      const beat = await app.inject({
        method: 'POST',
        url: `/computations/${run.id}/heartbeat`,
        payload: { leaseToken: run.leaseToken },
      })
      expectError(t, beat, 409, 'CM_ERR_LEASE_LOST')
      const late = await app.inject({
        method: 'POST',
        url: `/computations/${run.id}/complete`,
        payload: { leaseToken: run.leaseToken, result: 1 },
      })
      expectError(t, late, 409, 'CM_ERR_LEASE_LOST')

      // The same call reported again is a new run, not 409 CM_ERR_DUPLICATE.
      const again = await app.inject({
        method: 'POST',
        url: '/computations',
        payload: { ...call, status: 'started' },
      })
      t.equal(again.statusCode, 201, again.body)
      const second = again.json()
      t.not(second.id, run.id)
      t.match(second, { status: 'started', hash: run.hash, deduplicated: false })
      t.type(second.leaseToken, 'string')
      t.not(second.leaseToken, run.leaseToken)
      t.match(again.headers.location, new RegExp(`/computations/${second.id}$`))
      // The new run's token works; the old record is unchanged.
      const done = await app.inject({
        method: 'POST',
        url: `/computations/${second.id}/complete`,
        payload: { leaseToken: second.leaseToken, result: { ok: true } },
      })
      t.equal(done.statusCode, 200, done.body)
      t.same((await app.inject(`/computations/${second.id}/result`)).json(), { ok: true })
      t.equal((await app.inject(`/computations/${run.id}`)).json().status, 'lost')
      const attempts = (await app.inject(`/computations?hash=${run.hash}`)).json()
      t.same(
        attempts.data.map((r: { id: string; status: string }) => [r.id, r.status]).sort(),
        [
          [run.id, 'lost'],
          [second.id, 'finished'],
        ].sort(),
      )
    },
  )

  t.test(
    `${kind}: with no sweeper, the next report of the call replaces a run whose lease ran out`,
    async (t) => {
      const app = await open(t, { tracker: { leaseMs: 1000 } })
      const store = app.compStore
      const report = () =>
        app.inject({ method: 'POST', url: '/computations', payload: { ...call, status: 'started' } })
      const run = (await report()).json()
      await until(() => Date.now() > Date.parse(run.leaseUntil) + 10)
      t.equal((await app.inject(`/computations/${run.id}`)).json().status, 'started', 'nobody swept it')
      const again = await report()
      t.equal(again.statusCode, 201, again.body)
      const second = again.json()
      t.match(second, { status: 'started', attempt: 2, hash: run.hash })
      t.type(second.leaseToken, 'string')
      t.match((await app.inject(`/computations/${run.id}`)).json(), { status: 'lost', leaseUntil: null })
      // A run that failed is over without a result: reported again, it is the next attempt.
      await store.computations.update('default', second.id, 'started', {
        status: 'failed',
        error: { name: 'Error', message: 'boom' },
      })
      const third = await report()
      t.equal(third.statusCode, 201, third.body)
      t.equal(third.json().attempt, 3)
      // A finished call, or a live one, stays a duplicate.
      const live = await report()
      t.match(expectError(t, live, 409, 'CM_ERR_DUPLICATE').details, {
        id: third.json().id,
        status: 'started',
      })
      await store.computations.update('default', third.json().id, 'started', { status: 'finished' })
      const finished = await report()
      t.match(expectError(t, finished, 409, 'CM_ERR_DUPLICATE').details, {
        id: third.json().id,
        status: 'finished',
      })
    },
  )
}
