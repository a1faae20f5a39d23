import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { buildServer } from '../src/index.js'

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
