// `comp-manager events` as a child process against a real server.
import t from 'tap'
import { cleanEnv, runCli, spawnCli, startApi } from './fixtures/server.js'

t.test('events: NDJSON with --json, filters, live events, Ctrl-C exits 130', async (t) => {
  const api = await startApi(t)
  const env = cleanEnv({ COMP_MANAGER_URL: api.url, COMP_MANAGER_TOKEN: api.tokens.admin })
  const headers = { authorization: `Bearer ${api.tokens.admin}`, 'content-type': 'application/json' }
  const run = async (fn: string, status: 'finished' | 'failed') => {
    const res = await fetch(`${api.url}/api/v1/computations`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ function: fn, status: 'started', args: [Math.random()] }),
    })
    const { id } = (await res.json()) as { id: string }
    await fetch(`${api.url}/api/v1/computations/${id}`, {
      method: 'PUT',
      headers,
      body: JSON.stringify({ status }),
    })
    return id
  }
  const before = await run('evfn', 'finished')
  await run('other', 'finished')
  const json = spawnCli(
    ['events', '--json', '--after', '0', '--function', 'evfn', '--type', 'finished,cancelled'],
    env,
    60_000,
  )
  await json.waitFor(/"finished"/)
  const live = await run('evfn', 'failed')
  await json.waitFor(/"cancelled"/)
  json.kill('SIGINT')
  const stopped = await json.done
  t.equal(stopped.code, 130, 'interrupted')
  const lines = stopped.stdout
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l))
  t.same(
    lines.map((e) => [e.type, e.computationId]),
    [
      ['finished', before],
      // PUT { status: 'failed' } is a cancellation (the route records a CancelledError).
      ['cancelled', live],
    ],
  )

  const text = spawnCli(['events', '--after', '0', '--type', 'started'], env, 60_000)
  await text.waitFor(/started evfn/)
  text.kill('SIGINT')
  t.match((await text.done).stdout, /^\s+\d+ \S.* default started evfn /m)

  const bad = await runCli(['events', '--type', 'exploded'], env)
  t.not(bad.code, 0)
  t.match(bad.stderr, /exploded/)
  const usage = await runCli(['events', '--after', 'yesterday'], env)
  t.equal(usage.code, 2, 'a usage error')
})
