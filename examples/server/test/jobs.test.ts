import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { buildServer, demoWorkerEnabled } from '../src/index.js'

t.test("POST /demo/jobs queues a computation that the server's worker runs", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cm-example-jobs-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const app = await buildServer({
    env: { NODE_ENV: 'test', LOG_LEVEL: 'silent', COMP_MANAGER_DATA_DIR: dir },
  })
  t.teardown(() => app.close())
  await app.ready()
  const token = app.issueToken({ sub: 'tester', role: 'operator', namespaces: ['*'] })
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' }
  const res = await app.inject({
    method: 'POST',
    url: '/api/v1/demo/jobs',
    headers,
    payload: { function: 'demo.invertHilbert', size: 5 },
  })
  t.equal(res.statusCode, 202)
  const { id, status, created } = res.json()
  t.equal(status, 'queued')
  t.equal(created, true)
  let record: { status: string; worker: string | null } | undefined
  for (let i = 0; i < 500; i++) {
    record = (await app.inject({ method: 'GET', url: `/api/v1/computations/${id}`, headers })).json()
    if (record?.status === 'finished') break
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  t.equal(record?.status, 'finished', 'the worker ran it')
  t.type(record?.worker, 'string', 'claimed by the worker')
  const bad = await app.inject({
    method: 'POST',
    url: '/api/v1/demo/jobs',
    headers,
    payload: { function: 'rm -rf', size: 5 },
  })
  t.equal(bad.statusCode, 400, 'an unknown job is refused')
})

t.test('worker: false (DEMO_WORKER=off) leaves queued jobs to other workers', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cm-example-jobs-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const app = await buildServer({
    env: { NODE_ENV: 'test', LOG_LEVEL: 'silent', COMP_MANAGER_DATA_DIR: dir },
    worker: false,
  })
  t.teardown(() => app.close())
  await app.ready()
  const token = app.issueToken({ sub: 'tester', role: 'operator', namespaces: ['*'] })
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' }
  const res = await app.inject({
    method: 'POST',
    url: '/api/v1/demo/jobs',
    headers,
    payload: { function: 'demo.invertHilbert', size: 3 },
  })
  t.equal(res.statusCode, 202, 'the route still queues')
  const { id } = res.json()
  // The in-process worker claims within milliseconds when it runs (test above): 50 polls is plenty.
  for (let i = 0; i < 50; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20))
    const record = (await app.inject({ method: 'GET', url: `/api/v1/computations/${id}`, headers })).json()
    if (record.status !== 'queued') t.fail(`claimed by ${record.worker}`)
  }
  t.pass('still queued after 1 s')
})

t.test('demoWorkerEnabled reads DEMO_WORKER', async (t) => {
  t.equal(demoWorkerEnabled({}), true)
  t.equal(demoWorkerEnabled({ DEMO_WORKER: 'on' }), true)
  for (const off of ['off', 'OFF', 'false', 'no', '0', ' off '])
    t.equal(demoWorkerEnabled({ DEMO_WORKER: off }), false, off)
})
