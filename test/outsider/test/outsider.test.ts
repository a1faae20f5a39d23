// Issue #15: comp-manager as an outside user gets it. Every publishable package is packed (pnpm pack:
// `workspace:` ranges rewritten as they are published), installed with npm into a project outside the
// workspace next to @fastify/sensible, cors, swagger and caching; a strict TypeScript host app
// (skipLibCheck: false) is compiled against the packed types, started, and driven by the packed client
// and the packed CLI (login, submit --wait, list, show).
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import t from 'tap'
import { hostPackages, projectDir, publishable, repoRoot, run, writeProject } from './project.js'

const dir = projectDir()
const tarballDir = join(dir, 'tarballs')
const bin = (name: string) => join(dir, 'node_modules', '.bin', name)
const env = { ...process.env, NO_UPDATE_NOTIFIER: '1', npm_config_update_notifier: 'false' }
/**
 * `cookie@2` declares `engines.node >= 22`; fastify 5 pulls it in through light-my-request (and
 * @fastify/cookie does too), so every fastify app on Node 20 gets this warning, ours or not. It still
 * works on Node 20 (the test runs on it).
 */
const ENGINE_WARNINGS_OF_FASTIFY = ['cookie@2.']
const scratch = mkdtempSync(join(tmpdir(), 'cm-outsider-run-'))
t.teardown(() => rmSync(scratch, { recursive: true, force: true }))

t.test('pack every publishable package', async (t) => {
  rmSync(tarballDir, { recursive: true, force: true })
  mkdirSync(tarballDir, { recursive: true })
  const packages = publishable()
  const packed = await run(
    'npx',
    ['-y', 'pnpm@10.34.9', '-r', '--filter', './packages/*', 'pack', '--pack-destination', tarballDir],
    { cwd: repoRoot, env },
  )
  t.equal(packed.code, 0, `pnpm pack\n${packed.stderr}`)
  const files = readdirSync(tarballDir).filter((f) => f.endsWith('.tgz'))
  t.equal(files.length, packages.length, `one tarball per package (${files.join(', ')})`)
})

t.test('npm install the tarballs outside the workspace', async (t) => {
  const tarballs: Record<string, string> = {}
  for (const name of hostPackages) {
    const base = name.replace('@', '').replace('/', '-')
    const file = readdirSync(tarballDir).find(
      (f) => f.startsWith(`${base}-`) && /-\d/.test(f.slice(base.length)),
    )
    if (file === undefined) throw new Error(`no tarball for ${name}`)
    tarballs[name] = `./tarballs/${file}`
  }
  writeProject(dir, tarballs)
  // Our packages are replaced on every run (the tarballs change while their version does not);
  // the third-party ones, better-sqlite3's compiled addon included, stay when they still fit.
  rmSync(join(dir, 'node_modules', '@comp-manager'), { recursive: true, force: true })
  rmSync(join(dir, 'package-lock.json'), { force: true })
  const installed = await run('npm', ['install', '--no-audit', '--no-fund', '--strict-allow-scripts'], {
    cwd: dir,
    env,
  })
  t.equal(installed.code, 0, `npm install\n${installed.stdout}\n${installed.stderr}`)
  // npm's engine warnings name the package (`package: 'cookie@2.0.2'`): each must be one that
  // fastify itself brings, not one of ours.
  const engineWarnings = [...installed.stderr.matchAll(/EBADENGINE\s+package: '([^']+)'/g)].map((m) => m[1])
  t.same(
    engineWarnings.filter((p) => !ENGINE_WARNINGS_OF_FASTIFY.some((allowed) => p?.startsWith(allowed))),
    [],
    `no engine warning of ours on Node ${process.versions.node} (fastify's own: ${engineWarnings.join(', ') || 'none'})`,
  )
  t.notMatch(installed.stderr, /deprecated/i, 'no deprecated package')
  for (const unchosen of ['mongodb', '@comp-manager/mongo-store', '@comp-manager/server'])
    t.notOk(existsSync(join(dir, 'node_modules', unchosen)), `${unchosen} is not installed (not chosen)`)
})

t.test('tsc compiles the strict host app against the packed types', async (t) => {
  const compiled = await run(bin('tsc'), ['-p', 'tsconfig.json'], { cwd: dir, env })
  t.equal(compiled.code, 0, `tsc (strict, skipLibCheck: false)\n${compiled.stdout}${compiled.stderr}`)
})

/** Starts the host app; resolves with its url once it prints it. */
async function startHost(extraEnv: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['dist/host.js'], {
    cwd: dir,
    env: { ...env, ...extraEnv, PORT: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const lines = createInterface({ input: child.stdout! })
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`the host app exited (${code}) before listening`)
  })
  const listening = (async () => {
    for await (const line of lines) {
      if (line.startsWith('{')) return (JSON.parse(line) as { url: string }).url
    }
    throw new Error('the host app closed its output before listening')
  })()
  const url = await Promise.race([listening, exited])
  return { child, url }
}

t.test('the host app runs, driven by the packed client and CLI', async (t) => {
  const keyGen = await run(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      "import { generateApiKey } from '@comp-manager/fastify-auth'; console.log(JSON.stringify(generateApiKey('outsider')))",
    ],
    { cwd: dir, env },
  )
  t.equal(keyGen.code, 0, `generateApiKey from the packed fastify-auth\n${keyGen.stderr}`)
  const { key, hash } = JSON.parse(keyGen.stdout) as { key: string; hash: string }
  const dataDir = join(scratch, 'data')
  const { child, url } = await startHost({
    DATA_DIR: dataDir,
    JWT_SECRET: 'outsider-secret-outsider-secret-0123456789',
    API_KEY_HASH: hash,
  })
  t.teardown(async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM')
      await once(child, 'exit')
    }
  })

  const driven = await run(process.execPath, ['dist/drive.js'], {
    cwd: dir,
    env: { ...env, BASE_URL: url, API_KEY: key },
  })
  t.equal(driven.code, 0, `the client's run\n${driven.stdout}${driven.stderr}`)
  const seen = JSON.parse(driven.stdout.trim().split('\n').pop() ?? '{}') as { problems?: string[] }
  t.same(seen.problems, [], 'the client saw what it expected')

  const config = join(scratch, 'cli', 'config.json')
  const cliEnv = { ...env, COMP_MANAGER_CONFIG: config, COMP_MANAGER_URL: '', COMP_MANAGER_TOKEN: '' }
  const cli = (...args: string[]) => run(bin('comp-manager'), args, { cwd: dir, env: cliEnv })

  const login = await cli('login', '--url', url, '--api-key', key)
  t.equal(login.code, 0, `comp-manager login\n${login.stdout}${login.stderr}`)
  t.equal(statSync(config).mode & 0o777, 0o600, 'the profile file is 0600')

  const submitted = await cli('submit', 'fib', '[20]', '--wait')
  t.equal(submitted.code, 0, `comp-manager submit --wait\n${submitted.stdout}${submitted.stderr}`)
  t.match(submitted.stdout, /6765/, 'the result of fib(20) is printed')

  const listed = await cli('computations', 'list', '--function', 'fib', '--json')
  t.equal(listed.code, 0, `comp-manager computations list\n${listed.stderr}`)
  const rows = JSON.parse(listed.stdout) as
    | { id: string; status: string }[]
    | { data: { id: string; status: string }[] }
  const list = Array.isArray(rows) ? rows : rows.data
  t.ok(list.length >= 2, `both fib jobs are listed (${list.length})`)
  t.ok(
    list.every((c) => c.status === 'finished'),
    'and finished',
  )

  const first = list[0]
  if (first === undefined) return
  const shown = await cli('computations', 'show', first.id)
  t.equal(shown.code, 0, `comp-manager computations show\n${shown.stderr}`)
  t.match(shown.stdout, first.id, 'show prints the computation')

  const unauthorized = await run(bin('comp-manager'), ['computations', 'list', '--url', url], {
    cwd: dir,
    env: { ...cliEnv, COMP_MANAGER_CONFIG: join(scratch, 'none.json') },
  })
  t.not(unauthorized.code, 0, 'without a token the CLI fails')
  t.match(unauthorized.stderr, /401|CM_ERR_UNAUTHORIZED|login/i, 'and says why')
})
