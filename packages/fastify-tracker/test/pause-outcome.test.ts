// The answer of a pause says what happened (issue 13): 200 `paused` when the run is paused, 409 when a
// run of this process ended before it stopped for the pause (never a 200 with a finished record). The
// other case, 202 `pause_requested` for a run another process runs, is test/reliability's
// pause-honesty.test.ts (a second process on the same SQLite file).
import type { RunContext } from '@comp-manager/tracker'
import t from 'tap'
import { build, deferred, seed } from './fixtures/helpers.js'

t.test('POST /:id/pause of a run nobody holds a lease on: 200 outcome paused', async (t) => {
  const app = await build(t)
  const record = await seed(app.compStore, { status: 'started' })
  const res = await app.inject({ method: 'POST', url: `/computations/${record.id}/pause` })
  t.equal(res.statusCode, 200)
  t.match(res.json(), { id: record.id, status: 'paused', outcome: 'paused' })
  const again = await app.inject({ method: 'POST', url: `/computations/${record.id}/pause` })
  t.equal(again.statusCode, 200, 'a paused run: 200 paused again')
  t.equal(again.json().outcome, 'paused')
})

t.test('POST /:id/pause of a run of this process that finishes instead: 409, not 200', async (t) => {
  const app = await build(t, { tracker: { trackerOptions: { heartbeatMs: 2000, leaseMs: 6000 } } })
  const running = deferred()
  const release = deferred()
  // Never looks at its context: once the pause has aborted its signal, it returns anyway.
  const stubborn = app.tracker.track(
    'stubborn',
    async (n: number, ctx: RunContext) => {
      ctx.signal.addEventListener('abort', () => release.resolve())
      running.resolve()
      await release.promise
      return n
    },
    { context: true },
  )
  const started = new Promise<string>((resolve) => {
    const off = app.tracker.on('started', ({ record }) => {
      off()
      resolve(record.id)
    })
  })
  const call = stubborn(7)
  const id = await started
  await running.promise
  const res = await app.inject({ method: 'POST', url: `/computations/${id}/pause` })
  t.equal(await call, 7, 'the call returned its value')
  t.equal(res.statusCode, 409, 'the pause did not happen: 409')
  t.match(res.json(), { code: 'CM_ERR_CONFLICT', details: { id, status: 'finished', action: 'pause' } })
  t.equal((await app.tracker.get(id))?.status, 'finished')
})
