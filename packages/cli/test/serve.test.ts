// `comp-manager serve` as a new user runs it: the URL and a development token, then the token used.
import { mkdtempSync } from 'node:fs'
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
