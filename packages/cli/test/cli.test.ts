// The built CLI run as a child process (`node dist/bin.js …`) against a real server on a loopback port.
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { type Api, cleanEnv, deadUrl, runCli, spawnCli, startApi } from './fixtures/server.js'

const ESC = String.fromCharCode(27)

let api: Api
let env: Record<string, string>
let finishedId: string

const post = async (body: object) => {
  const res = await fetch(`${api.url}/api/v1/computations`, {
    method: 'POST',
    headers: { authorization: `Bearer ${api.tokens.admin}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  return (await res.json()) as { id: string }
}
const put = (id: string, body: object) =>
  fetch(`${api.url}/api/v1/computations/${id}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${api.tokens.admin}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })

t.before(async () => {
  api = await startApi(t)
  env = cleanEnv({ COMP_MANAGER_URL: api.url, COMP_MANAGER_TOKEN: api.tokens.admin })
  finishedId = (
    await post({ function: 'factor', args: [{ __type__: 'bigint', value: '91' }], status: 'started' })
  ).id
  await put(finishedId, { status: 'finished', message: 'done: 7 × 13' })
  // A running run for the list (the watch test reports one of its own).
  const { id: runningId } = await post({ function: 'matrix/inverse', status: 'started', message: 'running' })
  await put(runningId, { progress: { fraction: 0.4, note: 'row 40 of 100' } })
  for (let i = 0; i < 3; i++) await post({ function: 'queued-job', args: [i] })
  const cache = (api.app as unknown as { cache: { wrap: Function } }).cache
  const square = cache.wrap('square', async (n: bigint) => new Map([['n', n * n]]), {
    storeArgs: true,
    tags: ['demo'],
  })
  await square(12n)
  await square(13n)
})

t.test('computations list: an aligned table, then --json', async (t) => {
  const r = await runCli(['computations', 'list'], env)
  t.equal(r.code, 0, r.stderr)
  const lines = r.stdout.trimEnd().split('\n')
  t.match(lines[0], /^ID\s+FUNCTION\s+STATUS\s+PROGRESS\s+CREATED\s+DURATION\s+MESSAGE$/)
  const statusColumn = lines[0]!.indexOf('STATUS')
  const rows = lines.slice(1, -1)
  t.equal(rows.length, 7, 'five computations and two cache fills')
  for (const row of rows)
    t.match(row.slice(statusColumn), /^(queued|started|finished)\s/, 'the STATUS column is aligned')
  t.match(r.stdout, /matrix\/inverse\s+started\s+40%/)
  t.match(lines.at(-1), /page 1\/1 · 7 computations/)
  t.notOk(r.stdout.includes(ESC), 'no colours when stdout is not a terminal')

  const json = await runCli(['computations', 'list', '--status', 'queued', '--per-page', '2', '--json'], env)
  t.equal(json.code, 0)
  const page = JSON.parse(json.stdout)
  t.match(page, { page: 1, per_page: 2, total: 3, pages: 2 })
  t.equal(page.data.length, 2)

  const all = await runCli(
    ['computations', 'list', '-s', 'queued', '--per-page', '2', '--all', '--json'],
    env,
  )
  t.equal(JSON.parse(all.stdout).length, 3, '--all walks every page')

  const filtered = await runCli(['computations', 'list', '--function', 'factor', '--since', '1h'], env)
  t.match(filtered.stdout, /factor\s+finished/)
  t.notMatch(filtered.stdout, /queued-job/)
})

t.test('colours: on with FORCE_COLOR, off with NO_COLOR or --no-color', async (t) => {
  const colored = await runCli(['computations', 'list'], { ...env, FORCE_COLOR: '1' })
  t.ok(colored.stdout.includes(ESC))
  t.ok(colored.stdout.includes(`${ESC}[32mfinished`), 'finished in green')
  const noColor = await runCli(['computations', 'list'], { ...env, FORCE_COLOR: '1', NO_COLOR: '1' })
  t.notOk(noColor.stdout.includes(ESC))
  const flag = await runCli(['computations', 'list', '--no-color'], { ...env, FORCE_COLOR: '1' })
  t.notOk(flag.stdout.includes(ESC))
})

t.test('computations show: details with decoded args, and --json', async (t) => {
  const r = await runCli(['computations', 'show', finishedId], env)
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, new RegExp(`^id\\s+${finishedId}$`, 'm'))
  t.match(r.stdout, /^status\s+finished$/m)
  t.match(r.stdout, /^args\s+\[ 91n \]$/m, 'BigInt args decoded for display')
  t.match(r.stdout, /^message\s+done: 7 × 13$/m)
  const json = await runCli(['computations', 'show', finishedId, '--json'], env)
  t.match(JSON.parse(json.stdout), {
    id: finishedId,
    status: 'finished',
    args: [{ __type__: 'bigint', value: '91' }],
  })
})

t.test('errors: code, message and request id; a stack trace only with --debug', async (t) => {
  const r = await runCli(['computations', 'show', 'no-such-id'], env)
  t.equal(r.code, 1)
  t.equal(r.stdout, '')
  t.match(r.stderr, /^error: computation no-such-id not found$/m)
  t.match(r.stderr, /code CM_ERR_NOT_FOUND · HTTP 404 · request id [0-9a-f-]{8,}/)
  t.notMatch(r.stderr, /\n\s+at /, 'no stack trace')

  const debug = await runCli(['computations', 'show', 'no-such-id', '--debug'], env)
  t.equal(debug.code, 1)
  t.match(debug.stderr, /\n\s+at /, 'a stack trace with --debug')

  const json = await runCli(['computations', 'show', 'no-such-id', '--json'], env)
  t.equal(json.code, 1)
  t.match(JSON.parse(json.stderr), { error: { code: 'CM_ERR_NOT_FOUND', status: 404, requestId: /\S+/ } })
})

t.test('auth failure: 401 with code, request id and a hint', async (t) => {
  const noToken = await runCli(['computations', 'list'], cleanEnv({ COMP_MANAGER_URL: api.url }))
  t.equal(noToken.code, 1)
  t.match(noToken.stderr, /code CM_ERR_UNAUTHORIZED · HTTP 401 · request id \S+/)
  t.match(noToken.stderr, /--token or --api-key/)

  const badToken = await runCli(['computations', 'list', '--token', 'not-a-jwt'], env)
  t.equal(badToken.code, 1)
  t.match(badToken.stderr, /CM_ERR_UNAUTHORIZED/)

  const viewer = await runCli(['computations', 'delete', finishedId, '--token', api.tokens.viewer], env)
  t.equal(viewer.code, 1)
  t.match(viewer.stderr, /code CM_ERR_FORBIDDEN · HTTP 403/)
})

t.test('usage errors exit 2 with a usage message', async (t) => {
  // A handful through the real binary; the rest of the usage rules run in-process (unit.test.ts).
  const cases: Array<[string[], RegExp]> = [
    [['computations', 'list', '--bogus'], /Unknown option '--bogus'/],
    [['computations', 'list', '--per-page', '0'], /--per-page must be an integer from 1 to 100/],
    [['computations', 'show'], /missing argument <id>/],
    [['computations', 'lst'], /unknown command "computations lst" \(did you mean "computations list"\?\)/],
    [['frobnicate'], /unknown command "frobnicate"/],
  ]
  for (const [args, message] of cases) {
    const r = await runCli(args, env)
    t.equal(r.code, 2, `exit 2: ${args.join(' ')}`)
    t.match(r.stderr, message, args.join(' '))
    t.match(r.stderr, /Run 'comp-manager .*--help' for usage\./)
    t.equal(r.stdout, '')
  }
})

t.test('--help for every command, --version', async (t) => {
  for (const args of [
    ['--help'],
    ['computations', '--help'],
    ['cache', 'list', '--help'],
    ['help', 'serve'],
  ]) {
    const r = await runCli(args, env)
    t.equal(r.code, 0, args.join(' '))
    t.match(r.stdout, /^Usage: comp-manager /)
    t.equal(r.stderr, '')
  }
  const version = await runCli(['--version'], env)
  t.match(version.stdout, /^\d+\.\d+\.\d+/)
})

t.test('cache list, show, stats, invalidate', async (t) => {
  const list = await runCli(['cache', 'list'], env)
  t.equal(list.code, 0, list.stderr)
  t.match(list.stdout, /^KEY\s+FUNCTION\s+VERSION\s+SIZE\s+HITS\s+CREATED\s+EXPIRES\s+TAGS$/m)
  t.match(list.stdout, /page 1\/1 · 2 entries/)
  const [entry] = JSON.parse((await runCli(['cache', 'list', '--json'], env)).stdout).data
  const show = await runCli(['cache', 'show', entry.key], env)
  t.match(show.stdout, /^value\s+Map\(1\) \{ 'n' => 16[49]n \}$/m, 'the value decoded')
  const stats = await runCli(['cache', 'stats', '--json'], env)
  t.match(JSON.parse(stats.stdout), { entries: 2, namespace: 'default' })
  const human = await runCli(['cache', 'stats'], env)
  t.match(human.stdout, /^entries\s+2$/m)
  const invalidate = await runCli(['cache', 'invalidate', '--tag', 'demo'], env)
  t.equal(invalidate.code, 0)
  t.equal(invalidate.stdout, 'invalidated 2 entries in default\n')
  const empty = await runCli(['cache', 'list'], env)
  t.equal(empty.stdout, 'no cache entries\n')
})

t.test('health: plain, --detailed, --json; unreachable server', async (t) => {
  const r = await runCli(['health'], env)
  t.equal(r.code, 0)
  t.match(r.stdout, /^ok /)
  const detailed = await runCli(['health', '--detailed'], env)
  t.match(detailed.stdout, /^store\s+ok\s+[\d.]+ms/m)
  const json = await runCli(['health', '--json'], env)
  t.same(JSON.parse(json.stdout), { status: 'ok' })
  const down = await runCli(['health', '--url', await deadUrl(), '--timeout', '3000'], env)
  t.equal(down.code, 1)
  t.match(down.stderr, /network error \(ECONNREFUSED\)/)
  t.match(down.stderr, /Is the server running/)
})

t.test(
  'computations watch: lines off a terminal, NDJSON with --json, the exit code of the run',
  async (t) => {
    const done = await runCli(['computations', 'watch', finishedId], env)
    t.equal(done.code, 0, 'a finished run exits 0')
    t.match(done.stdout, /status finished/)
    t.match(done.stdout.trimEnd().split('\n').at(-1), /end finished/)

    const json = await runCli(['computations', 'watch', finishedId, '--json'], env)
    const events = json.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l))
    t.same(
      events.map((e) => e.type),
      ['status', 'end'],
    )

    // A live run: watch it while another client drives it to `failed`. A run of its own, reported now:
    // the one made before all the tests may have outlived its lease on a slow machine (then it is lost).
    const liveId = (
      await post({ function: 'matrix/inverse', args: [2], status: 'started', message: 'running' })
    ).id
    t.type(liveId, 'string', "reported (other args than the list test's run: not a duplicate)")
    await put(liveId, { progress: { fraction: 0.4, note: 'row 40 of 100' } })
    const watching = spawnCli(['computations', 'watch', liveId], env)
    await watching.waitFor(/status started/)
    await fetch(`${api.url}/api/v1/computations/${liveId}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${api.tokens.admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'failed', message: 'singular matrix' }),
    })
    const live = await watching.done
    t.equal(live.code, 1, 'a failed run exits 1')
    t.match(live.stdout, /started 40% row 40 of 100/)
    t.match(live.stdout, /end failed/)

    // Ctrl-C while watching: exit 130.
    const created = await fetch(`${api.url}/api/v1/computations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${api.tokens.admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ function: 'waits' }),
    })
    const { id: queued } = (await created.json()) as { id: string }
    const interrupted = spawnCli(['computations', 'watch', queued], env)
    await interrupted.waitFor(/status queued/)
    interrupted.kill('SIGINT')
    const stopped = await interrupted.done
    t.equal(stopped.code, 130, `interrupted: ${JSON.stringify(stopped)}`)
    t.match(stopped.stderr, /^interrupted$/m)
  },
)

t.test('configuration: flags > env > profile > defaults; permissions warning', async (t) => {
  const base = cleanEnv()
  const nowhere = await deadUrl()
  const dir = join(base.HOME!, '.config', 'comp-manager')
  mkdirSync(dir, { recursive: true })
  const file = join(dir, 'config.json')
  writeFileSync(
    file,
    JSON.stringify({
      defaultProfile: 'local',
      profiles: {
        local: { url: api.url, token: api.tokens.admin },
        broken: { url: nowhere },
      },
    }),
  )
  chmodSync(file, 0o600)
  const viaProfile = await runCli(['computations', 'list', '--json'], base)
  t.equal(viaProfile.code, 0, viaProfile.stderr)
  t.equal(viaProfile.stderr, '', 'no warning for a private file')

  const flagWins = await runCli(['health', '--url', nowhere, '--timeout', '2000'], base)
  t.equal(flagWins.code, 1, 'the --url flag overrides the profile')
  const envWins = await runCli(['health', '--timeout', '2000'], { ...base, COMP_MANAGER_URL: nowhere })
  t.equal(envWins.code, 1, 'COMP_MANAGER_URL overrides the profile')
  const named = await runCli(['health', '-p', 'broken', '--timeout', '2000'], base)
  t.equal(named.code, 1, '--profile selects another profile')
  const unknown = await runCli(['health', '--profile', 'nope'], base)
  t.equal(unknown.code, 2)
  t.match(unknown.stderr, /profile "nope" not found in .*config\.json \(profiles: local, broken\)/)

  chmodSync(file, 0o644)
  const loose = await runCli(['health'], base)
  t.equal(loose.code, 0)
  t.match(loose.stderr, /holds credentials and is readable by other users \(mode 0644\); run: chmod 600/)

  const custom = join(base.HOME!, 'elsewhere.json')
  writeFileSync(custom, '{ not json')
  const bad = await runCli(['health'], { ...base, COMP_MANAGER_CONFIG: custom })
  t.equal(bad.code, 2)
  t.match(bad.stderr, /elsewhere\.json is not valid JSON/)
})

t.test('serve: starts the server, answers, stops cleanly on SIGTERM', async (t) => {
  const server = spawnCli(
    ['serve', '--port', '0', '--host', '127.0.0.1'],
    cleanEnv({
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      COMP_MANAGER_DATA_DIR: mkdtempSync(join(tmpdir(), 'cm-serve-')),
      JWT_SECRET: 'cli-serve-test-0123456789-abcdefghijklmnopqrstuvw',
    }),
  )
  await server.waitFor(/listening on http:\/\/\S+\n/)
  const url = /listening on (http:\/\/\S+)/.exec(server.stdout())![1]!
  const health = await runCli(['health', '--url', url, '--json'], cleanEnv())
  t.same(JSON.parse(health.stdout), { status: 'ok' })
  server.kill('SIGTERM')
  const done = await server.done
  t.equal(done.code, 0, done.stderr)

  const bad = await runCli(['serve'], cleanEnv({ NODE_ENV: 'production', PORT: 'eighty' }))
  t.equal(bad.code, 2, 'an invalid server configuration is a usage error')
  t.match(bad.stderr, /PORT/)
})
