// `api-key create` and `token create` against a real listening server started by `comp-manager serve`.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { cleanEnv, runCli, spawnCli } from './fixtures/server.js'

const SECRET = 'cli-credentials-test-0123456789-abcdefghijklmnop'

t.test('an API key and a signed token that the server accepts', async (t) => {
  const created = await runCli(
    ['api-key', 'create', 'svc-1', '--role', 'operator', '--namespaces', 'default', '--json'],
    cleanEnv(),
  )
  t.equal(created.code, 0, created.stderr)
  const { key, hash, entry } = JSON.parse(created.stdout) as { key: string; hash: string; entry: string }
  t.match(key, /^cmk_svc-1_/)
  t.equal(entry, `svc-1:operator:default:${hash}`)
  t.notMatch(entry, new RegExp(key), 'the entry holds the hash, never the key')

  const signed = await runCli(
    ['token', 'create', '--role', 'viewer', '--subject', 'ops'],
    cleanEnv({ JWT_SECRET: SECRET, NODE_ENV: 'test' }),
  )
  t.equal(signed.code, 0, signed.stderr)
  const token = signed.stdout.trim()
  const otherSecret = await runCli(
    ['token', 'create'],
    cleanEnv({ JWT_SECRET: `${SECRET}-other`, NODE_ENV: 'test' }),
  )
  const server = spawnCli(
    ['serve', '--port', '0', '--host', '127.0.0.1'],
    cleanEnv({
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      COMP_MANAGER_DATA_DIR: mkdtempSync(join(tmpdir(), 'cm-credentials-')),
      JWT_SECRET: SECRET,
      API_KEYS: entry,
    }),
    180_000,
  )
  t.teardown(() => server.kill('SIGKILL'))
  await server.waitFor(/listening on http:\/\/\S+\n/)
  const url = /listening on (http:\/\/\S+)/.exec(server.stdout())![1]!

  const withKey = await runCli(['computations', 'list', '--json', '--url', url, '--api-key', key], cleanEnv())
  t.equal(withKey.code, 0, withKey.stderr)
  t.equal(JSON.parse(withKey.stdout).total, 0)

  const withToken = await runCli(['computations', 'list', '--url', url, '--token', token], cleanEnv())
  t.equal(withToken.code, 0, withToken.stderr)

  const refused = await runCli(
    ['computations', 'list', '--url', url, '--token', otherSecret.stdout.trim()],
    cleanEnv(),
  )
  t.equal(refused.code, 1, 'a token of another secret is refused')
  t.match(refused.stderr, /CM_ERR_UNAUTHORIZED/)

  server.kill('SIGTERM')
  t.equal((await server.done).code, 0)
})

t.test('bad input: a usage error (exit 2), nothing printed on stdout', async (t) => {
  for (const [args, message] of [
    [['api-key', 'create', 'bad id!'], /<id> must be 1 to 64/],
    [['api-key', 'create', 'svc', '--role', 'root'], /--role must be one of viewer, worker, operator, admin/],
    [['token', 'create', '--role', '__proto__'], /--role must be one of/],
    [['token', 'create'], /JWT_SECRET/],
  ] as const) {
    const env = cleanEnv({ NODE_ENV: 'production' })
    const res = await runCli([...args], env)
    t.equal(res.code, 2, `${args.join(' ')}: exit 2`)
    t.match(res.stderr, message)
    t.equal(res.stdout, '')
  }
})
