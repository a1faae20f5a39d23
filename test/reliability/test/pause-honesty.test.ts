// Issue 13, "honest lifecycle answers": a pause asked over REST of a run that another process runs. The
// server (buildApp, listening on loopback) and a second process (fixtures/pause-runner.mjs, its own
// tracker) share one SQLite file. The answer must say what happened: 202 `pause_requested` while the
// run goes on — and the run that never looks at its context then finishes, never shows as `paused` —
// 200 `paused` once a run that honours its signal has stopped.
import { join } from 'node:path'
import { buildApp, loadConfig } from '@comp-manager/server'
import t, { type Test } from 'tap'
import { type Child, killIfAlive, report, spawnFixture, tempDir, until } from './helpers.js'

interface Answer {
  status: number
  body: Record<string, unknown>
}

async function startServer(t: Test, dataDir: string) {
  const config = loadConfig({
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    JWT_SECRET: 'pause-honesty-Q8vN2pLk9RzT4wYb8HmC3jFs6GdA1eU0',
    COMP_MANAGER_DATA_DIR: dataDir,
    RATE_LIMIT_MAX: '100000',
    LOG_LEVEL: 'silent',
  })
  const app = await buildApp(config)
  t.teardown(() => app.close())
  const url = await app.listen({ port: 0, host: '127.0.0.1' })
  const token = app.issueToken({ sub: 'ops', role: 'operator', namespaces: ['default'] })
  const call = async (method: string, path: string, body?: unknown): Promise<Answer> => {
    const res = await fetch(`${url}/api/v1/computations/${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    return { status: res.status, body: (await res.json()) as Record<string, unknown> }
  }
  return { call }
}

/** Spawns the second process running `fn`; resolves with it and its run's id once the run started. */
async function runElsewhere(t: Test, file: string, fn: 'stubborn' | 'polite') {
  const child: Child = spawnFixture('pause-runner.mjs', [file, fn])
  t.teardown(() => killIfAlive(child))
  const started = await child.waitFor((m) => m.type === 'started', 60_000)
  return { child, id: started.id as string }
}

t.test('a pause the run does not honour is answered pause_requested, and the run finishes', async (t) => {
  const { dir, cleanup } = tempDir('pause')
  t.teardown(cleanup)
  const { call } = await startServer(t, dir)
  const { child, id } = await runElsewhere(t, join(dir, 'comp-manager.db'), 'stubborn')

  const first = await call('POST', `${id}/pause`)
  t.equal(first.status, 202, 'POST /pause: 202, not 200')
  t.equal(first.body.outcome, 'pause_requested', 'outcome pause_requested, not paused')
  t.equal(first.body.status, 'started', 'the record is still started')
  t.type(first.body.pauseRequestedAt, 'string', 'pauseRequestedAt set')

  // The second process sees the request at its next heartbeat: its signal fires, the function ignores it.
  const signalled = await child.waitFor((m) => m.type === 'signalled', 30_000)
  t.equal(signalled.code, 'CM_ERR_PAUSED', "the run's signal fired with CM_ERR_PAUSED")
  const meanwhile = await call('GET', id)
  t.equal(meanwhile.body.status, 'started', 'not shown as paused while the function goes on')
  const again = await call('PUT', id, { status: 'paused' })
  t.equal(again.status, 202, 'PUT status paused: 202 too')
  t.equal(again.body.status, 'started')

  child.proc.send('finish')
  const ended = await child.waitFor((m) => m.type === 'ended', 30_000)
  t.same(ended, { type: 'ended', outcome: 'finished', value: 42 }, 'the call returned its value')
  const after = await call('GET', id)
  t.equal(after.body.status, 'finished', 'the run finished: the pause was not honoured')
  t.equal(after.body.pausedAt, null, 'it was never paused')
  t.equal(after.body.pauseRequestedAt, null, 'the request is settled by the ending')
  const late = await call('POST', `${id}/pause`)
  t.equal(late.status, 409, 'pausing a finished run is 409')
  t.match(late.body, { code: 'CM_ERR_CONFLICT', details: { status: 'finished', action: 'pause' } })
  const exit = await child.exited
  t.equal(exit.code, 0, 'the second process exits 0', { stderr: child.stderr().slice(-2000) })
  report(t, 'pause-honesty', {
    stubborn: { first: first.status, afterSignal: meanwhile.body.status, end: after.body.status },
  })
})

t.test('a pause the run honours ends paused, and asking again answers 200 paused', async (t) => {
  const { dir, cleanup } = tempDir('pause')
  t.teardown(cleanup)
  const { call } = await startServer(t, dir)
  const { child, id } = await runElsewhere(t, join(dir, 'comp-manager.db'), 'polite')

  const first = await call('POST', `${id}/pause`)
  t.equal(first.status, 202)
  t.equal(first.body.outcome, 'pause_requested')
  const ended = await child.waitFor((m) => m.type === 'ended', 30_000)
  t.same(ended, { type: 'ended', outcome: 'rejected', code: 'CM_ERR_PAUSED' }, 'the function stopped')
  let record: Answer = await call('GET', id)
  await until(
    async () => {
      record = await call('GET', id)
      return record.body.status === 'paused'
    },
    30_000,
    50,
  )
  t.equal(record.body.status, 'paused', 'the record is paused')
  t.type(record.body.pausedAt, 'string')
  const again = await call('POST', `${id}/pause`)
  t.equal(again.status, 200, 'a paused run: 200')
  t.equal(again.body.outcome, 'paused')
  await child.exited
})
