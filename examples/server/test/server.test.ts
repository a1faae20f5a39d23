import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { buildServer } from '../src/index.js'

function dataDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'cm-example-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

const env = (t: Test, more: Record<string, string> = {}) => ({
  NODE_ENV: 'test',
  LOG_LEVEL: 'silent',
  COMP_MANAGER_DATA_DIR: dataDir(t),
  ...more,
})

t.test('GET /health answers 200 {status: ok}', async (t) => {
  const app = await buildServer({ env: env(t) })
  t.teardown(() => app.close())
  const res = await app.inject({ method: 'GET', url: '/health' })
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /application\/json/)
  t.same(res.json(), { status: 'ok' })
})

t.test('unknown routes answer 404 in the standard error body', async (t) => {
  const app = await buildServer({ env: env(t) })
  t.teardown(() => app.close())
  const res = await app.inject({ method: 'GET', url: '/nope' })
  t.equal(res.statusCode, 404)
  t.match(res.json(), { statusCode: 404, code: 'CM_ERR_ROUTE_NOT_FOUND', requestId: String })
})

t.test('over real HTTP: a demo run appears in /computations and its result in /cache', async (t) => {
  const app = await buildServer({ env: env(t) })
  t.teardown(() => app.close())
  t.equal(app.compStore.kind, 'sqlite', 'the embedded SQLite store')
  const base = await app.listen({ port: 0, host: '127.0.0.1' })
  const token = app.issueToken({ sub: 'tester', role: 'operator', namespaces: ['*'] })
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' }
  const get = async (path: string) => {
    const res = await fetch(`${base}${path}`, { headers })
    t.equal(res.status, 200, `GET ${path}`)
    return res.json() as Promise<Record<string, unknown>>
  }

  // 2^67 - 1, Mersenne's composite: 193707721 × 761838257287.
  const first = await fetch(`${base}/api/v1/demo/factor`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ n: '147573952589676412927' }),
  })
  t.equal(first.status, 200)
  t.match(await first.json(), {
    n: '147573952589676412927',
    factors: ['193707721', '761838257287'],
    cached: false,
  })
  const again = await fetch(`${base}/api/v1/demo/factor`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ n: '147573952589676412927' }),
  })
  t.match(
    await again.json(),
    { factors: ['193707721', '761838257287'], cached: true },
    'the second call is a cache hit',
  )

  const runs = (await get('/api/v1/computations?function=factorize')) as {
    data: Array<Record<string, unknown>>
  }
  t.equal(runs.data.length, 1, 'computed once')
  t.match(runs.data[0], { function: 'factorize', status: 'finished', progress: { fraction: 1 } })
  const fills = (await get('/api/v1/computations?function=factor')) as {
    data: Array<Record<string, unknown>>
  }
  t.match(fills.data, [{ function: 'factor', status: 'finished' }], "the cache's fill run")

  const entries = (await get('/api/v1/cache?function=factor')) as {
    data: Array<{ key: string }>
    total: number
  }
  t.equal(entries.total, 1, 'one cache entry')
  const entry = await get(`/api/v1/cache/${entries.data[0]!.key}`)
  t.match(entry, { function: 'factor' })
  t.match(JSON.stringify(entry), /193707721/, 'its value, BigInts included')
  const stats = await get('/api/v1/cache/stats')
  t.match(stats, { entries: 1 })

  const matrix = await fetch(`${base}/api/v1/demo/matrix`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ size: 3 }),
  })
  t.equal(matrix.status, 200)
  const { ms, ...matrixBody } = (await matrix.json()) as Record<string, unknown>
  t.type(ms, 'number')
  t.same(matrixBody, {
    size: 3,
    determinant: '1/2160',
    inverse: [
      ['9', '-36', '30'],
      ['-36', '192', '-180'],
      ['30', '-180', '180'],
    ],
    cached: false,
  })
  const matrixAgain = await fetch(`${base}/api/v1/demo/matrix`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ size: 3 }),
  })
  t.match(await matrixAgain.json(), { determinant: '1/2160', cached: true }, 'exact Fractions from the cache')
})

t.test('the demo routes validate and need the operator role', async (t) => {
  const app = await buildServer({ env: env(t) })
  t.teardown(() => app.close())
  const operator = {
    authorization: `Bearer ${app.issueToken({ sub: 'o', role: 'operator', namespaces: ['*'] })}`,
  }
  const viewer = {
    authorization: `Bearer ${app.issueToken({ sub: 'v', role: 'viewer', namespaces: ['*'] })}`,
  }
  const post = (url: string, payload: unknown, headers: Record<string, string> = operator) =>
    app.inject({ method: 'POST', url, payload: payload as object, headers })
  t.match((await post('/api/v1/demo/factor', { n: '12' }, {})).json(), { code: 'CM_ERR_UNAUTHORIZED' })
  t.match((await post('/api/v1/demo/factor', { n: '12' }, viewer)).json(), { code: 'CM_ERR_FORBIDDEN' })
  for (const bad of [{ n: 12 }, { n: '0' }, { n: '1'.repeat(26) }, { n: '12', extra: true }, {}]) {
    const res = await post('/api/v1/demo/factor', bad)
    t.equal(res.statusCode, 400, JSON.stringify(bad))
    t.equal(res.json().code, 'CM_ERR_VALIDATION')
  }
  t.equal((await post('/api/v1/demo/factor', { n: `2${'0'.repeat(24)}` })).statusCode, 400, 'over 10^24')
  for (const bad of [{ size: 0 }, { size: 17 }, { size: 2.5 }, { size: '3' }]) {
    t.equal((await post('/api/v1/demo/matrix', bad)).statusCode, 400, JSON.stringify(bad))
  }
  const doc = (await app.inject('/docs/json')).json()
  t.ok(doc.paths['/api/v1/demo/factor']?.post, 'documented')
  t.ok(doc.tags.some((tag: { name: string }) => tag.name === 'demo'))
})

const main = join(import.meta.dirname, '..', 'dist', 'main.js')
// The embedded default: a MONGODB_URL exported for the MongoDB suites (CI) is not inherited.
const { MONGODB_URL: _url, MONGODB_DB: _db, ...inherited } = process.env

/** Runs `node dist/main.js` until it prints its banner, then stops it with SIGTERM. */
async function runMain(t: Test, extra: Record<string, string>) {
  const child = spawn(process.execPath, [main], {
    env: {
      ...inherited,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      COMP_MANAGER_DATA_DIR: dataDir(t),
      ...extra,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  t.teardown(() => child.kill('SIGKILL'))
  let stdout = ''
  let stderr = ''
  child.stderr.on('data', (chunk) => (stderr += chunk))
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      stdout += chunk
      if (/curl|store: /.test(stdout) && stdout.includes('health:')) setTimeout(resolve, 100)
    })
    child.once('exit', (code) => reject(new Error(`exited with ${code}: ${stderr}`)))
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  t.equal(await exited, 0, 'exits 0 on SIGTERM')
  return stdout
}

t.test(
  'main: prints the URL, the docs and a development token',
  { skip: !existsSync(main) && 'build first' },
  async (t) => {
    const stdout = await runMain(t, { NODE_ENV: 'development' })
    t.match(stdout, /listening on http:\/\/127\.0\.0\.1:\d+/)
    t.match(stdout, /API docs: +http:\/\/127\.0\.0\.1:\d+\/docs/)
    t.match(stdout, /export TOKEN=ey[\w-]+\.[\w-]+\.[\w-]+/)
  },
)

t.test(
  'main: never prints a token in production',
  { skip: !existsSync(main) && 'build first' },
  async (t) => {
    const stdout = await runMain(t, {
      NODE_ENV: 'production',
      JWT_SECRET: 'Xq7vN2pLk9RzT4wYb8HmC3jFs6GdA1eU0oIi',
    })
    t.match(stdout, /API docs:/)
    t.notMatch(stdout, /TOKEN|ey[\w-]{10,}\.[\w-]+\./)
  },
)

t.test(
  'main: a bad variable is named and the exit code is 2',
  { skip: !existsSync(main) && 'build first' },
  async (t) => {
    const child = spawn(process.execPath, [main], {
      env: { ...inherited, NODE_ENV: 'production', PORT: 'eighty' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (chunk) => (stderr += chunk))
    const code = await new Promise((resolve) => child.once('exit', resolve))
    t.equal(code, 2)
    t.match(stderr, /PORT: must be an integer/)
    t.match(stderr, /JWT_SECRET: is required in production/)
  },
)

t.test('main.js: --help prints usage; a busy port is a one-line error naming PORT', async (t) => {
  const main = new URL('../dist/main.js', import.meta.url).pathname
  const run = (args: string[], extra: Record<string, string>) => {
    const child = spawn(process.execPath, [main, ...args], {
      env: { ...inherited, LOG_LEVEL: 'silent', COMP_MANAGER_DATA_DIR: dataDir(t), ...extra },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    child.stdout.on('data', (c) => (out += c))
    child.stderr.on('data', (c) => (out += c))
    return new Promise<{ code: unknown; out: string }>((resolve) =>
      child.once('exit', (code) => resolve({ code, out })),
    )
  }
  const help = await run(['--help'], {})
  t.equal(help.code, 0)
  t.match(help.out, /^Usage:/)
  t.match(help.out, /PORT/)
  const { createServer } = await import('node:net')
  const busy = createServer()
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r))
  t.teardown(() => busy.close())
  const port = String((busy.address() as { port: number }).port)
  const res = await run([], { PORT: port, HOST: '127.0.0.1', NODE_ENV: 'test' })
  t.equal(res.code, 1)
  t.equal(res.out.trim().split('\n').length, 1, res.out)
  t.match(res.out, /PORT/)
})
