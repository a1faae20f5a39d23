// Starts the example server as the README does (built output, embedded defaults), waits for it to
// listen, checks GET /health, /health/detailed and /docs/json, then stops it with SIGTERM and expects a
// clean exit.
import { spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const root = join(import.meta.dirname, '..')
// The embedded default, as the README's command runs it: a MONGODB_URL exported for the MongoDB suites is not inherited.
const { MONGODB_URL: _url, MONGODB_DB: _db, ...inherited } = process.env
const dataDir = mkdtempSync(join(tmpdir(), 'cm-smoke-'))
const child = spawn(process.execPath, ['dist/main.js'], {
  cwd: join(root, 'examples/server'),
  env: {
    ...inherited,
    PORT: '0',
    HOST: '127.0.0.1',
    COMP_MANAGER_DATA_DIR: dataDir,
    NODE_ENV: 'development',
  },
  stdio: ['ignore', 'pipe', 'inherit'],
})

const fail = (message) => {
  console.error(`smoke: ${message}`)
  child.kill('SIGKILL')
  process.exit(1)
}
const timer = setTimeout(() => fail('server did not start within 30 s'), 30_000)

let output = ''
child.stdout.setEncoding('utf8')
child.stdout.on('data', async (chunk) => {
  output += chunk
  const match = /listening on (http:\/\/[^\s]+)/.exec(output)
  if (!match || child.checked) return
  child.checked = true
  clearTimeout(timer)
  try {
    const res = await fetch(new URL('/health', match[1]))
    const body = await res.json()
    if (res.status !== 200 || body.status !== 'ok')
      fail(`GET /health answered ${res.status} ${JSON.stringify(body)}`)
    console.log(`smoke: GET ${match[1]}/health → ${res.status} ${JSON.stringify(body)}`)
    const detailed = await fetch(new URL('/health/detailed', match[1]))
    const report = await detailed.json()
    if (detailed.status !== 200 || report.status !== 'ok')
      fail(`GET /health/detailed answered ${detailed.status} ${JSON.stringify(report)}`)
    console.log(`smoke: GET /health/detailed → ${detailed.status} (${Object.keys(report.checks).join(', ')})`)
    const docs = await fetch(new URL('/docs/json', match[1]))
    const doc = await docs.json()
    if (docs.status !== 200 || typeof doc.openapi !== 'string') fail(`GET /docs/json answered ${docs.status}`)
    console.log(
      `smoke: GET /docs/json → ${docs.status} (OpenAPI ${doc.openapi}, ${Object.keys(doc.paths).length} paths)`,
    )
  } catch (err) {
    fail(`GET /health failed: ${err.message}`)
  }
  const exitTimer = setTimeout(() => fail('server did not exit within 10 s of SIGTERM'), 10_000)
  child.once('exit', (code, signal) => {
    clearTimeout(exitTimer)
    if (code !== 0) fail(`server exited with ${code ?? signal} after SIGTERM`)
    console.log('smoke: server stopped cleanly')
  })
  child.kill('SIGTERM')
})
child.once('exit', (code) => {
  if (!child.checked) fail(`server exited early with code ${code}\n${output}`)
})
