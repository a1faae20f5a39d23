// `comp-manager serve` as a new user runs it: the URL and a development token, then the token used.
import { mkdtempSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { loadServer, tokenHelp } from '../src/commands/serve.js'
import { UsageError } from '../src/errors.js'
import { cleanEnv, runCli, spawnCli } from './fixtures/server.js'

t.test('serve in development prints the URL and a token that the other commands accept', async (t) => {
  const server = spawnCli(
    ['serve', '--port', '0', '--host', '127.0.0.1'],
    cleanEnv({
      NODE_ENV: 'development',
      LOG_LEVEL: 'silent',
      COMP_MANAGER_DATA_DIR: mkdtempSync(join(tmpdir(), 'cm-serve-dev-')),
      JWT_SECRET: 'cli-serve-dev-0123456789-abcdefghijklmnopqrstuvwx',
    }),
    180_000,
  )
  t.teardown(() => server.kill('SIGKILL'))
  await server.waitFor(/export COMP_MANAGER_TOKEN=\S+\n/)
  const out = server.stdout()
  const url = /listening on (http:\/\/\S+)/.exec(out)![1]!
  const token = /export COMP_MANAGER_TOKEN=(\S+)/.exec(out)![1]!
  t.match(out, /development token \(admin, all namespaces, 12 h/)

  const unauthenticated = await runCli(['computations', 'list', '--url', url], cleanEnv())
  t.equal(unauthenticated.code === 0, false, 'without the token: refused')
  const listed = await runCli(
    ['computations', 'list', '--json'],
    cleanEnv({ COMP_MANAGER_URL: url, COMP_MANAGER_TOKEN: token }),
  )
  t.equal(listed.code, 0, listed.stderr)
  t.equal(JSON.parse(listed.stdout).total, 0, 'an empty data directory')

  server.kill('SIGTERM')
  t.equal((await server.done).code, 0)
})

t.test('tokenHelp: a token only in development, the way to get one otherwise', async (t) => {
  const issued: object[] = []
  const app = {
    issueToken(claims: object) {
      issued.push(claims)
      return 'tok'
    },
  }
  t.match(tokenHelp(app, 'development').join('\n'), /COMP_MANAGER_TOKEN=tok/)
  t.same(issued, [{ sub: 'developer', role: 'admin', namespaces: ['*'] }])
  const production = tokenHelp(app, 'production').join('\n')
  t.notMatch(production, /tok\b/, 'no token in production')
  t.match(production, /POST \/api\/v1\/auth\/token/)
  t.equal(issued.length, 1)
  t.match(tokenHelp({}, 'development').join('\n'), /auth is off/)
})

t.test('serve without @comp-manager/server installed: a usage error saying what to install', async (t) => {
  const missing = Object.assign(new Error("Cannot find package '@comp-manager/server' imported from x"), {
    code: 'ERR_MODULE_NOT_FOUND',
  })
  const err = await loadServer(() => Promise.reject(missing)).catch((e: unknown) => e)
  t.ok(err instanceof UsageError)
  t.match((err as Error).message, /npm install @comp-manager\/server/)
  const other = new Error('boom inside the server')
  t.equal(await loadServer(() => Promise.reject(other)).catch((e: unknown) => e), other, 'other errors pass')
  const real = await loadServer()
  t.type(real.startServer, 'function', 'the installed server loads')
})

t.test('serve --api-key in development: a first key, printed once, that login exchanges', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cm-serve-key-'))
  const server = spawnCli(
    ['serve', '--port', '0', '--host', '127.0.0.1', '--api-key', 'first'],
    cleanEnv({ NODE_ENV: 'development', LOG_LEVEL: 'silent', COMP_MANAGER_DATA_DIR: dataDir }),
    180_000,
  )
  t.teardown(() => server.kill('SIGKILL'))
  await server.waitFor(/API_KEYS='\S+'\n/)
  const out = server.stdout()
  const login = /comp-manager login --url (\S+) --api-key (cmk_first_\S+)/.exec(out)
  t.ok(login, out)
  const [, url, key] = login!
  t.match(out, /API key "first" \(admin, all namespaces; shown once/)
  t.match(out, /API_KEYS='first:admin:\*:[0-9a-f]{64}'/)
  t.equal(out.split(key!).length, 2, 'the key is printed once')

  const env = cleanEnv()
  const logged = await runCli(['login', '--url', url!, '--api-key', key!], env)
  t.equal(logged.code, 0, logged.stderr)
  const listed = await runCli(['computations', 'list', '--json'], env)
  t.equal(listed.code, 0, listed.stderr)
  t.equal(JSON.parse(listed.stdout).total, 0)
  server.kill('SIGTERM')
  t.equal((await server.done).code, 0)
})

t.test('serve --api-key outside development, or a bad id: a usage error, no server', async (t) => {
  const base = { LOG_LEVEL: 'silent', COMP_MANAGER_DATA_DIR: mkdtempSync(join(tmpdir(), 'cm-serve-k2-')) }
  const production = await runCli(
    ['serve', '--port', '0', '--api-key', 'first'],
    cleanEnv({
      ...base,
      NODE_ENV: 'production',
      JWT_SECRET: 'cli-serve-prod-0123456789-abcdefghijklmnopqrstuvwx',
    }),
  )
  t.equal(production.code, 2)
  t.match(production.stderr, /--api-key creates a key only in development \(NODE_ENV=production\)/)
  t.equal(production.stdout, '')
  const badId = await runCli(
    ['serve', '--port', '0', '--api-key', 'no way!'],
    cleanEnv({ ...base, NODE_ENV: 'development' }),
  )
  t.equal(badId.code, 2)
  t.match(badId.stderr, /1 to 64 letters, digits or '-'/)
})

t.test('serve on a busy port: exit 1 and one line naming PORT', async (t) => {
  const busy = createServer()
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve))
  t.teardown(() => busy.close())
  const { port } = busy.address() as { port: number }
  const r = await runCli(
    ['serve', '--port', String(port), '--host', '127.0.0.1'],
    cleanEnv({
      NODE_ENV: 'development',
      LOG_LEVEL: 'silent',
      COMP_MANAGER_DATA_DIR: mkdtempSync(join(tmpdir(), 'cm-serve-busy-')),
    }),
  )
  t.equal(r.code, 1)
  t.equal(
    r.stderr,
    `comp-manager: port ${port} on 127.0.0.1 is already in use: set PORT (or --port) to a free port\n`,
  )
})
