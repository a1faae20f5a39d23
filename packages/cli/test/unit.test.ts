// In-process tests of the CLI's parts: usage rules through `main()`, configuration, output helpers,
// and the live progress bar of `watch` on a (fake) terminal against a real server.
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { resolveConfig } from '../src/config.js'
import { commands, main } from '../src/main.js'
import {
  formatBytes,
  formatDuration,
  formatPercent,
  formatTime,
  painter,
  progressBar,
  table,
  visibleLength,
  wantsColor,
} from '../src/output.js'
import { timeFlag, timeoutFlag } from '../src/values.js'
import { startApi } from './fixtures/server.js'

/** The escape character: ANSI sequences are built from it (a literal one in a regex is a lint error). */
const ESC = String.fromCharCode(27)
const ansi = (pattern: string) => new RegExp(`\\x1b${pattern}`)

class Capture {
  text = ''
  isTTY: boolean
  constructor(isTTY = false) {
    this.isTTY = isTTY
  }
  write(chunk: string) {
    this.text += chunk
    return true
  }
}

async function run(
  args: string[],
  env: Record<string, string | undefined> = { HOME: mkdtempSync(join(tmpdir(), 'cm-')) },
  tty = false,
) {
  const stdout = new Capture(tty)
  const stderr = new Capture()
  const code = await main(args, { env, stdout, stderr })
  return { code, stdout: stdout.text, stderr: stderr.text }
}

t.test('usage errors: exit 2, a message and where to look', async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [['computations', 'list', '--status', 'done'], /--status must be one of queued, started/],
    [['computations', 'list', '--since', 'yesterday'], /--since must be an ISO date/],
    [['computations', 'list', '--sort', 'name'], /--sort must be one of createdAt/],
    [['computations', 'list', '--page', '1.5'], /--page must be an integer/],
    [['computations', 'list', '--url'], /Option '--url <value>' argument missing/],
    [['computations', 'show', 'a', 'b'], /unexpected argument "b"/],
    [['computations', 'watch'], /missing argument <id>/],
    [['computations'], /missing subcommand: comp-manager computations list\|show\|watch\|delete/],
    [['cach', 'list'], /unknown command "cach" \(did you mean "cache"\?\)/],
    [[], /missing command/],
    [['cache', 'invalidate'], /say what to invalidate/],
    [['cache', 'invalidate', '--all', '--tag', 'x'], /--all cannot be combined/],
    [['health', '--timeout', 'soon'], /--timeout must be a positive number/],
    [['health', '--url', 'ftp://x'], /must be an http\(s\) URL/],
    [['health', '--token', 'a', '--api-key', 'b'], /--token or --api-key, not both/],
    [['serve', '--port', '70000'], /--port must be an integer from 1 to 65535/],
  ]
  for (const [args, message] of cases) {
    const r = await run(args)
    t.equal(r.code, 2, `exit 2: ${args.join(' ')}`)
    t.match(r.stderr, message, args.join(' '))
    t.match(r.stderr, /Run 'comp-manager .*--help' for usage\./)
  }
  const json = await run(['computations', 'list', '--bogus', '--json'])
  t.match(JSON.parse(json.stderr), { error: { code: 'USAGE', message: "Unknown option '--bogus'" } })
})

t.test('a server URL ending in /api/v1: exit 2 with the hint to give the root', async (t) => {
  const hint = /the server URL is its root, without \/api\/v1 \(the API paths are added to it\)/
  for (const url of ['http://127.0.0.1:3000/api/v1', 'https://cm.example.com/api/v1/']) {
    const r = await run(['computations', 'list', '--url', url])
    t.equal(r.code, 2, `exit 2: --url ${url}`)
    t.match(r.stderr, hint, `the hint for ${url}`)
    t.match(r.stderr, `got ${JSON.stringify(url)} (from flag)`, 'naming the URL and where it came from')
    t.equal(r.stdout, '', 'nothing on stdout')
  }
  const home = mkdtempSync(join(tmpdir(), 'cm-'))
  const file = join(home, 'cm.json')
  writeFileSync(file, JSON.stringify({ profiles: { a: { url: 'http://a.test/api/v1' } } }))
  const fromEnv = await run(['health'], { HOME: home, COMP_MANAGER_URL: 'http://e.test/api/v1' })
  t.equal(fromEnv.code, 2)
  t.match(fromEnv.stderr, /got "http:\/\/e\.test\/api\/v1" \(from env\)/)
  t.throws(() => resolveConfig({ profile: 'a' }, { HOME: home, COMP_MANAGER_CONFIG: file }), {
    name: 'UsageError',
    message: /without \/api\/v1 .*got "http:\/\/a\.test\/api\/v1" \(from profile\)/,
  })
  // Only the API path is refused: a server behind a path prefix, or a path that merely contains it, is not.
  for (const url of ['http://proxy.test/cm', 'http://proxy.test/api/v1x', 'http://proxy.test/api/v1/cm']) {
    t.equal(resolveConfig({ url }, { HOME: home }).url, url, `${url} is accepted`)
  }
})

t.test('--help of every command', async (t) => {
  for (const spec of commands) {
    const r = await run([...spec.name.split(' '), '--help'])
    t.equal(r.code, 0, spec.name)
    t.match(r.stdout, new RegExp(`^Usage: comp-manager ${spec.name}`))
    t.match(r.stdout, /Global options:/)
    t.match(r.stdout, /Examples:/)
  }
  const program = await run(['--help'])
  for (const spec of commands) t.match(program.stdout, spec.name)
  t.match(program.stdout, /Exit codes: 0 ok · 1 error .* 2 usage/)
})

t.test('configuration priority: flags > env > profile > defaults', async (t) => {
  const home = mkdtempSync(join(tmpdir(), 'cm-'))
  const empty = resolveConfig({}, { HOME: home })
  t.match(empty, { url: 'http://127.0.0.1:3000', token: undefined, timeoutMs: 30_000, profile: undefined })
  t.same(empty.sources, { url: 'default', auth: undefined, timeoutMs: 'default' })

  const file = join(home, 'cm.json')
  writeFileSync(
    file,
    JSON.stringify({
      defaultProfile: 'a',
      profiles: {
        a: { url: 'http://a.test', token: 'ta', timeoutMs: 5000 },
        b: { url: 'http://b.test', apiKey: 'kb' },
      },
    }),
  )
  chmodSync(file, 0o600)
  const env = { HOME: home, COMP_MANAGER_CONFIG: file }
  t.match(resolveConfig({}, env), {
    url: 'http://a.test',
    token: 'ta',
    apiKey: undefined,
    timeoutMs: 5000,
    profile: 'a',
  })
  t.match(resolveConfig({}, { ...env, COMP_MANAGER_PROFILE: 'b' }), {
    url: 'http://b.test',
    apiKey: 'kb',
    token: undefined,
  })
  t.match(
    resolveConfig({ profile: 'b' }, { ...env, COMP_MANAGER_PROFILE: 'a' }),
    { profile: 'b' },
    'flag beats env',
  )
  const fromEnv = resolveConfig(
    {},
    { ...env, COMP_MANAGER_URL: 'http://env.test', COMP_MANAGER_API_KEY: 'ke' },
  )
  t.match(fromEnv, {
    url: 'http://env.test',
    apiKey: 'ke',
    token: undefined,
    sources: { url: 'env', auth: 'env' },
  })
  const fromFlags = resolveConfig(
    { url: 'http://flag.test', token: 'tf', timeoutMs: 10 },
    { ...env, COMP_MANAGER_URL: 'http://env.test', COMP_MANAGER_TOKEN: 'te' },
  )
  t.match(fromFlags, {
    url: 'http://flag.test',
    token: 'tf',
    timeoutMs: 10,
    sources: { url: 'flag', auth: 'flag' },
  })
  t.equal(resolveConfig({}, env).warnings.length, 0)

  chmodSync(file, 0o640)
  t.match(resolveConfig({}, env).warnings, [/readable by other users \(mode 0640\)/])
  writeFileSync(file, JSON.stringify({ profiles: { a: { url: 'http://a.test', password: 'x' } } }))
  t.throws(() => resolveConfig({ profile: 'a' }, env), /profile "a": `password` is not an option/)
  t.throws(() => resolveConfig({ profile: 'zz' }, { HOME: home }), /there is no config file at/)
  const xdg = resolveConfig({}, { HOME: home, XDG_CONFIG_HOME: join(home, 'xdg') })
  t.equal(xdg.configPath, join(home, 'xdg', 'comp-manager', 'config.json'))
})

t.test(
  'durations: a profile, the environment and --timeout take milliseconds or 30s-style strings',
  async (t) => {
    const home = mkdtempSync(join(tmpdir(), 'cm-'))
    const file = join(home, 'cm.json')
    writeFileSync(file, JSON.stringify({ profiles: { a: { timeoutMs: '2s' }, b: { timeoutMs: '1 h' } } }))
    const env = { HOME: home, COMP_MANAGER_CONFIG: file }
    t.throws(() => resolveConfig({ profile: 'a' }, env), {
      name: 'UsageError',
      message:
        /^@comp-manager\/cli config file .*cm\.json, profile "b": `timeoutMs` must be .*duration such as '30s'/,
    })
    writeFileSync(file, '{"profiles": {"a": {"timeoutMs": "2s"}, "__proto__": {"url": "http://p.test"}}}')
    t.match(resolveConfig({ profile: 'a' }, env), { timeoutMs: 2000, sources: { timeoutMs: 'profile' } })
    t.match(
      resolveConfig({ profile: '__proto__' }, env),
      { url: 'http://p.test' },
      'a profile may be called anything',
    )
    t.match(resolveConfig({ profile: 'a' }, { ...env, COMP_MANAGER_TIMEOUT_MS: '1.5m' }), {
      timeoutMs: 90_000,
    })
    t.throws(
      () => resolveConfig({}, { ...env, COMP_MANAGER_TIMEOUT_MS: 'soon' }),
      /COMP_MANAGER_TIMEOUT_MS must be/,
    )
    t.equal(timeoutFlag('1m'), 60_000)
    t.equal(timeoutFlag('250'), 250)
    t.throws(() => timeoutFlag('0'), /--timeout must be a positive number of milliseconds or a duration/)
  },
)

t.test('output helpers', async (t) => {
  const paint = painter(true)
  const rows = [
    { a: 'x', b: 'finished' },
    { a: 'longer', b: 'failed' },
  ]
  const text = table(
    rows,
    [
      { header: 'A', value: (r) => r.a },
      { header: 'STATUS', value: (r) => r.b, style: (r) => (r.b === 'failed' ? 'red' : 'green') },
    ],
    paint,
  )
  const lines = text.trimEnd().split('\n')
  t.equal(lines.length, 3)
  t.same(lines.map(visibleLength), [14, 16, 14], 'cells padded by visible width, escapes not counted')
  t.match(lines[2], ansi('\\[31mfailed'))
  t.equal(table(rows, [{ header: 'A', value: (r) => r.a, max: 3 }], painter(false)), 'A\nx\nlo…\n')
  t.equal(formatDuration(850), '850ms')
  t.equal(formatDuration(12_340), '12.3s')
  t.equal(formatDuration(245_000), '4m05s')
  t.equal(formatDuration(7_380_000), '2h03m')
  t.equal(formatBytes(512), '512 B')
  t.equal(formatBytes(1536), '1.5 KiB')
  t.equal(formatPercent(0.456), '46%')
  t.equal(formatPercent(null), '-')
  t.equal(formatTime('2026-01-02T03:04:05.678Z'), '2026-01-02T03:04:05Z')
  t.equal(formatTime(null), '-')
  t.equal(progressBar(0.5, 10), '[█████░░░░░]')
  t.equal(wantsColor({}, true), true)
  t.equal(wantsColor({ NO_COLOR: '1' }, true), false)
  t.equal(wantsColor({ FORCE_COLOR: '1' }, false), true)
  t.equal(wantsColor({}, true, false), false)
  const now = Date.parse('2026-01-10T00:00:00Z')
  t.equal(timeFlag('2d', 'since', 'x', now), '2026-01-08T00:00:00.000Z')
  t.equal(timeFlag('2026-01-31', 'since', 'x', now), '2026-01-31T00:00:00.000Z')
})

t.test('watch on a terminal: a live progress bar redrawn in place', async (t) => {
  const api = await startApi(t)
  const headers = { authorization: `Bearer ${api.tokens.admin}`, 'content-type': 'application/json' }
  const created = (await (
    await fetch(`${api.url}/api/v1/computations`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ function: 'render', status: 'started' }),
    })
  ).json()) as { id: string }
  const put = (body: object) =>
    fetch(`${api.url}/api/v1/computations/${created.id}`, {
      method: 'PUT',
      headers,
      body: JSON.stringify(body),
    })
  const env = {
    HOME: mkdtempSync(join(tmpdir(), 'cm-')),
    COMP_MANAGER_URL: api.url,
    COMP_MANAGER_TOKEN: api.tokens.admin,
  }
  const watching = run(['computations', 'watch', created.id], env, true)
  await new Promise((r) => setTimeout(r, 300))
  await put({ progress: { fraction: 0.5, note: 'frame 50' } })
  await new Promise((r) => setTimeout(r, 400))
  await put({ status: 'finished' })
  const r = await watching
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, ansi('\\[2K'), 'the line is cleared and redrawn')
  t.ok(r.stdout.includes(`\r${ESC}[2K`))
  t.match(r.stdout, /\[█{15}░{15}\]\s+50%.*frame 50/, 'half the bar')
  t.match(r.stdout, /started\S* → \S*finished\S*\n/, 'the status change on its own line')
  t.match(r.stdout, /\[█{30}\] 100%/, 'a full bar at the end')
  t.ok(r.stdout.endsWith('\n'))
  t.match(r.stdout, ansi('\\[36mstarted'), 'colours on a terminal')
  const plain = await run(['computations', 'watch', created.id], { ...env, NO_COLOR: '1' }, true)
  t.notMatch(plain.stdout, ansi('\\[3\\dm'), 'NO_COLOR: no colours, still redrawn')
})
