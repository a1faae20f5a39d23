// `login`, `profile add|list|use`: the profile file (0600, where XDG says, or $COMP_MANAGER_CONFIG),
// bad names and bad files refused with a clear usage error, and the active profile used by every command.
import { createHash, randomBytes } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { main } from '../src/main.js'
import { type Api, type CliResult, cleanEnv, deadUrl, runCli, startApi } from './fixtures/server.js'

/** `main()` in this process (the bad-input cases, many and fast); the others run the built CLI. */
async function runMain(args: string[], env: Record<string, string>): Promise<CliResult> {
  let stdout = ''
  let stderr = ''
  const sink = (add: (text: string) => void) => ({
    write(text: string) {
      add(text)
      return true
    },
  })
  const code = await main(args, {
    env,
    stdout: sink((text) => (stdout += text)),
    stderr: sink((text) => (stderr += text)),
  })
  return { code, stdout, stderr }
}

const mode = (path: string) => statSync(path).mode & 0o777
const configOf = (env: Record<string, string>) => join(env.XDG_CONFIG_HOME!, 'comp-manager', 'config.json')
const readConfig = (env: Record<string, string>) =>
  JSON.parse(readFileSync(configOf(env), 'utf8')) as {
    defaultProfile?: string
    profiles: Record<string, Record<string, unknown>>
  }

const apiKey = `cmk_login_${randomBytes(32).toString('base64url')}`
let api: Api

t.before(async () => {
  api = await startApi(t, {
    API_KEYS: `login:operator:*:${createHash('sha256').update(apiKey).digest('hex')}`,
  })
})

t.test('login: the key exchanged for a token, kept in a 0600 file that the next commands use', async (t) => {
  const env = cleanEnv()
  const r = await runCli(['login', '--url', api.url, '--api-key', apiKey], env)
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, /logged in to http:\/\/127\.0\.0\.1:\d+: profile "default", token until \d{4}-/)
  const path = configOf(env)
  t.equal(mode(path), 0o600, 'the file is 0600')
  t.equal(mode(join(env.XDG_CONFIG_HOME!, 'comp-manager')), 0o700, 'its directory 0700')
  const config = readConfig(env)
  t.equal(config.defaultProfile, 'default')
  t.match(config.profiles.default, { url: api.url, token: /^[\w-]+\.[\w-]+\.[\w-]+$/, tokenExpiresAt: /Z$/ })
  t.notOk(readFileSync(path, 'utf8').includes(apiKey), 'the key itself is not saved')

  const listed = await runCli(['computations', 'list', '--json'], env)
  t.equal(listed.code, 0, listed.stderr)
  t.equal(JSON.parse(listed.stdout).total, 0)

  const profiles = await runCli(['profile', 'list'], env)
  t.equal(profiles.code, 0, profiles.stderr)
  t.match(profiles.stdout, /^\*\s+default\s+http:\/\/127\.0\.0\.1:\d+\s+token until /m)
  t.notOk(profiles.stdout.includes(String(config.profiles.default?.token)), 'no secret printed')

  // Flags and environment override the profile.
  const dead = await runCli(['computations', 'list', '--url', await deadUrl()], env)
  t.equal(dead.code, 1)
  t.match(dead.stderr, /Is the server running at that URL/)
  const forged = await runCli(['computations', 'list'], { ...env, COMP_MANAGER_TOKEN: 'e30.e30.forged' })
  t.equal(forged.code, 1)
  t.match(forged.stderr, /CM_ERR_UNAUTHORIZED/)
})

t.test('login with a wrong key: exit 1, a message, nothing written', async (t) => {
  const env = cleanEnv()
  const r = await runCli(['login', '--url', api.url, '--api-key', `${apiKey.slice(0, -3)}xyz`], env)
  t.equal(r.code, 1)
  t.match(r.stderr, /login failed: the server refused the API key \(CM_ERR_UNAUTHORIZED\)/)
  t.equal(r.stdout, '')
  t.notOk(existsSync(configOf(env)), 'no file')

  const noKey = await runCli(['login', '--url', api.url], env)
  t.equal(noKey.code, 2)
  t.match(noKey.stderr, /login needs an API key: --api-key/)
  const token = await runCli(['login', '--url', api.url, '--token', 'x.y.z'], env)
  t.equal(token.code, 2)
  t.match(token.stderr, /login exchanges an API key/)
})

t.test('login to a server without API keys: exit 1, the route is not served', async (t) => {
  const plain = await startApi(t)
  const env = cleanEnv()
  const r = await runCli(['login', '--url', plain.url, '--api-key', apiKey], env)
  t.equal(r.code, 1)
  t.match(r.stderr, /does not exchange API keys \(it has no API_KEYS/)
  t.notOk(existsSync(configOf(env)))
})

t.test('profile add, use, list: the default profile supplies URL and credentials', async (t) => {
  const env = cleanEnv()
  let r = await runCli(['profile', 'add', 'dead', '--url', await deadUrl()], env)
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, /added profile "dead" \(the default\)/)
  r = await runCli(['profile', 'add', 'admin', '--url', api.url, '--token', api.tokens.admin], env)
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, /added profile "admin" in/)
  t.equal(mode(configOf(env)), 0o600)
  t.equal((await runCli(['computations', 'list'], env)).code, 1, 'the default profile (dead) is used')
  t.equal((await runCli(['computations', 'list', '--profile', 'admin'], env)).code, 0)

  r = await runCli(['profile', 'use', 'admin'], env)
  t.equal(r.code, 0, r.stderr)
  t.equal(readConfig(env).defaultProfile, 'admin')
  t.equal((await runCli(['computations', 'list'], env)).code, 0, 'now admin')
  const json = JSON.parse((await runCli(['profile', 'list', '--json'], env)).stdout)
  t.same(
    json.profiles.map((p: { name: string; default: boolean; auth: string }) => [p.name, p.default, p.auth]),
    [
      ['dead', false, 'none'],
      ['admin', true, 'token'],
    ],
  )
  // An update keeps what it is not given, and replaces the credentials as one unit.
  r = await runCli(['profile', 'add', 'admin', '--api-key', apiKey, '--timeout', '5s'], env)
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, /updated profile "admin"/)
  t.same(readConfig(env).profiles.admin, { url: api.url, apiKey, timeoutMs: 5000 })

  r = await runCli(['profile', 'use', 'nope'], env)
  t.equal(r.code, 2)
  t.match(r.stderr, /profile "nope" not found in .*config\.json \(profiles: dead, admin\)/)
})

t.test('a file that was readable by others is 0600 after a change', async (t) => {
  const env = cleanEnv()
  const path = configOf(env)
  mkdirSync(join(env.XDG_CONFIG_HOME!, 'comp-manager'), { recursive: true })
  writeFileSync(path, JSON.stringify({ $schema: 'x', profiles: { a: { token: 't' } } }))
  chmodSync(path, 0o644)
  const warned = await runCli(['profile', 'list'], env)
  t.equal(warned.code, 0)
  const r = await runCli(['profile', 'add', 'b', '--url', api.url], env)
  t.equal(r.code, 0, r.stderr)
  t.equal(mode(path), 0o600)
  t.same(JSON.parse(readFileSync(path, 'utf8')).$schema, 'x', 'other keys kept')
})

t.test('COMP_MANAGER_CONFIG overrides where the file is', async (t) => {
  const env = cleanEnv()
  const path = join(env.HOME!, 'elsewhere', 'cm.json')
  const r = await runCli(['profile', 'add', 'x', '--url', api.url], { ...env, COMP_MANAGER_CONFIG: path })
  t.equal(r.code, 0, r.stderr)
  t.equal(mode(path), 0o600)
  t.notOk(existsSync(configOf(env)))
})

t.test('bad profile names: a usage error, nothing written', async (t) => {
  const env = cleanEnv()
  for (const name of ['__proto__', '../up', 'a b', '_x', '.hidden', 'x/y', 'x'.repeat(65), '']) {
    const r = await runMain(['profile', 'add', name, '--url', api.url], env)
    t.equal(r.code, 2, JSON.stringify(name))
    t.match(r.stderr, /bad profile name/)
  }
  for (const args of [
    ['profile', 'use', '__proto__'],
    ['login', '--profile', '../up', '--url', api.url, '--api-key', apiKey],
  ]) {
    const r = await runMain(args, env)
    t.equal(r.code, 2, args.join(' '))
    t.match(r.stderr, /bad profile name/)
  }
  t.notOk(existsSync(configOf(env)), 'nothing written')
  // `constructor` is a valid name: a plain key of the file, no prototype involved.
  const r = await runMain(
    ['profile', 'add', 'constructor', '--url', api.url, '--token', api.tokens.viewer],
    env,
  )
  t.equal(r.code, 0, r.stderr)
  t.equal((await runMain(['computations', 'list', '--profile', 'constructor'], env)).code, 0)
  t.same(Object.keys(readConfig(env).profiles), ['constructor'])
})

t.test('a missing or corrupt file: a clear error naming it, the file left as it was', async (t) => {
  const env = cleanEnv()
  let r = await runMain(['profile', 'list'], env)
  t.equal(r.code, 0)
  t.match(r.stdout, /no profiles in .*config\.json/)
  r = await runMain(['computations', 'list', '--profile', 'prod'], env)
  t.equal(r.code, 2)
  t.match(r.stderr, /profile "prod" not found: there is no config file at /)
  r = await runMain(['profile', 'use', 'prod'], env)
  t.equal(r.code, 2)
  t.match(r.stderr, /there are no profiles/)

  const path = configOf(env)
  mkdirSync(join(env.XDG_CONFIG_HOME!, 'comp-manager'), { recursive: true })
  for (const [text, message] of [
    ['{"profiles": {', /is not valid JSON/],
    ['[1, 2]', /must hold a JSON object/],
    ['{"profiles": {"a": {"url": "x", "passwd": "y"}}}', /profile "a".*passwd/],
    ['{"profiles": {"a": {"timeoutMs": "soon"}}}', /timeoutMs/],
  ] as const) {
    writeFileSync(path, text)
    for (const args of [
      ['profile', 'add', 'b', '--url', api.url],
      ['login', '--url', api.url, '--api-key', apiKey],
      ['computations', 'list'],
    ]) {
      r = await runMain(args, env)
      t.equal(r.code, 2, `${text}: ${args.join(' ')}`)
      t.match(r.stderr, message)
      t.match(r.stderr, path)
    }
    t.equal(readFileSync(path, 'utf8'), text, 'untouched')
  }
})
