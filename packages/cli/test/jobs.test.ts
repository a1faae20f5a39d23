// submit / worker / workers list / cancel|pause|resume|retry, the built CLI against a real server.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { type Api, cleanEnv, runCli, spawnCli, startApi } from './fixtures/server.js'

let api: Api
let env: Record<string, string>
let module: string

t.before(async () => {
  api = await startApi(t)
  env = cleanEnv({ COMP_MANAGER_URL: api.url, COMP_MANAGER_TOKEN: api.tokens.admin })
  module = join(mkdtempSync(join(tmpdir(), 'cm-cli-worker-')), 'jobs.mjs')
  writeFileSync(
    module,
    'export const double = (n) => 2n * BigInt(n)\n' +
      'export const fails = () => { throw new TypeError("nope") }\n',
  )
})

t.test(
  'worker --functions runs submitted jobs; submit --wait prints the result; workers list shows it',
  async (t) => {
    const worker = spawnCli(['worker', '--functions', module, '--id', 'cli-worker-1', '--json'], env, 120_000)
    t.teardown(() => worker.kill('SIGKILL'))
    await worker.waitFor(/"event":"started"/)
    const r = await runCli(['submit', 'double', '[21]', '--wait'], env)
    t.equal(r.code, 0, r.stderr)
    t.match(r.stdout, /^queued [0-9a-f-]+$/m)
    t.match(r.stdout, /^42n$/m, 'the decoded result')
    const json = await runCli(['submit', 'double', '[21]', '--wait', '--json'], env)
    t.equal(json.code, 0, json.stderr)
    const lines = json.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
    t.same(lines.at(-1), { result: { __type__: 'bigint', value: '42' } }, 'the codec JSON result, last line')
    const failed = await runCli(['submit', 'fails', '--wait'], env)
    t.equal(failed.code, 1, 'a failed job exits 1')
    t.match(failed.stdout, /TypeError: nope/)
    const listed = await runCli(['workers', 'list'], env)
    t.equal(listed.code, 0, listed.stderr)
    const rows = listed.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
    t.ok(
      rows.some((w) => w.id === 'cli-worker-1' && w.functions.includes('double')),
      'NDJSON when piped',
    )
    worker.kill('SIGINT')
    const done = await worker.done
    t.match(done.stdout, /"event":"stopped"/)
  },
)

t.test('submit without --wait, then cancel, retry; pause of a queued job is 409 (exit 1)', async (t) => {
  const queued = await runCli(['submit', 'nobody-runs-this', '[1]', '--json'], env)
  t.equal(queued.code, 0, queued.stderr)
  const job = JSON.parse(queued.stdout)
  t.match(job, { status: 'queued', deduplicated: false })
  const joined = JSON.parse((await runCli(['submit', 'nobody-runs-this', '[1]', '--json'], env)).stdout)
  t.match(joined, { id: job.id, deduplicated: true })
  const pause = await runCli(['pause', job.id], env)
  t.equal(pause.code, 1)
  t.match(pause.stderr, /CM_ERR_CONFLICT/)
  const cancel = await runCli(['cancel', job.id, '--reason', 'not needed'], env)
  t.equal(cancel.code, 0, cancel.stderr)
  t.match(cancel.stdout, new RegExp(`${job.id} is failed`))
  const retry = await runCli(['retry', job.id, '--json'], env)
  t.equal(retry.code, 0, retry.stderr)
  t.match(JSON.parse(retry.stdout), { attempt: 2, status: 'queued' })
})

t.test('usage errors exit 2', async (t) => {
  t.equal((await runCli(['submit'], env)).code, 2)
  t.equal((await runCli(['submit', 'f', 'not json'], env)).code, 2)
  t.equal((await runCli(['worker'], env)).code, 2)
  t.equal((await runCli(['worker', '--functions', '/nonexistent.mjs'], env)).code, 2)
  t.equal((await runCli(['cancel'], env)).code, 2)
})
