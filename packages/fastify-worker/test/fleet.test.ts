// Several clients at once on a SQLite file: identical submits make one job; a killed HTTP worker's job
// is run again elsewhere after its lease.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import t from 'tap'
import { build, claim, submit, until } from './fixtures/helpers.js'

t.test('20 concurrent identical POSTs make one job', async (t) => {
  const app = await build(t)
  const answers = await Promise.all(
    Array.from({ length: 20 }, () =>
      app.inject({
        method: 'POST',
        url: '/computations',
        payload: { function: 'report', args: ['2026-12'] },
      }),
    ),
  )
  const statuses = answers.map((res) => res.statusCode)
  t.equal(statuses.filter((s) => s === 201).length, 1, 'one created')
  t.equal(statuses.filter((s) => s === 200).length, 19, 'nineteen joined')
  const ids = new Set(answers.map((res) => res.json().id))
  t.equal(ids.size, 1, 'one id')
  t.same(answers.filter((res) => res.json().deduplicated).length, 19)
  t.equal((await app.compStore.computations.list({ namespace: 'default' })).total, 1, 'one record')
})

t.test('an HTTP worker killed mid-job: the job is run again by another worker after the lease', async (t) => {
  const app = await build(t, { worker: { recoverIntervalMs: 200, maxLostRetries: 1 } })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  const baseUrl = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`
  const job = await submit(app, 'slow', [42])
  const child = spawn(
    process.execPath,
    [new URL('./fixtures/http-worker-child.mjs', import.meta.url).pathname, baseUrl],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  )
  t.teardown(() => child.kill('SIGKILL'))
  const lines = createInterface({ input: child.stdout! })
  for await (const line of lines) {
    if (line.startsWith(`heartbeat ${job.id} 200`)) break
  }
  const running = (await app.inject(`/computations/${job.id}`)).json()
  t.match(running, { status: 'started', worker: `child-${child.pid}`, progress: { fraction: 0.1 } })
  child.kill('SIGKILL')
  await once(child, 'exit')
  // Nobody renews the lease now: the recovery declares the attempt lost and queues the next one.
  const next = await until(async () => {
    const [claimed] = await claim(app, { workerId: 'survivor', functions: ['slow'], waitMs: 500 })
    return claimed
  }, 15_000)
  t.match(next, { attempt: 2, args: [42] })
  t.not(next.id, job.id, 'a new attempt')
  t.equal((await app.inject(`/computations/${job.id}`)).json().status, 'lost')
  const done = await app.inject({
    method: 'POST',
    url: `/computations/${next.id}/complete`,
    payload: { leaseToken: next.leaseToken, result: 84 },
  })
  t.equal(done.statusCode, 200)
  t.equal((await app.inject(`/computations/${next.id}/result`)).json(), 84)
})

t.test('long-poll: a claim waiting with waitMs gets a job submitted meanwhile', async (t) => {
  const app = await build(t)
  const started = Date.now()
  const waiting = claim(app, { functions: ['later'], waitMs: 10_000 })
  await new Promise((resolve) => setTimeout(resolve, 100))
  const job = await submit(app, 'later', [])
  const [claimed] = await waiting
  t.equal(claimed!.id, job.id)
  t.ok(Date.now() - started < 10_000, 'answered before waitMs ran out')
  const empty = await app.inject({
    method: 'POST',
    url: '/workers/claim',
    payload: { workerId: 'w', functions: ['later'], waitMs: 200 },
  })
  t.equal(empty.statusCode, 204, 'nothing left: 204 after waitMs')
})
