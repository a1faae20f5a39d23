// Store faults are loud and safe (issue 13): a deleted database file under a running server (a real
// process), a full database and a read-only one (in-process app over a host-supplied connection, where
// `max_page_count` and `query_only` can be set) all answer 503 CM_ERR_STORE_UNAVAILABLE with retry-after,
// never 500 or a hang; /health/detailed turns 503 within 5 s and 200 again when the fault clears; no
// write is acknowledged that is not in the configured file.
import { unlinkSync } from 'node:fs'
import { join } from 'node:path'
import { exampleAppOptions } from '@comp-manager/example-server'
import { buildApp, loadConfig } from '@comp-manager/server'
import { SqliteStore } from '@comp-manager/sqlite-store'
import Database from 'better-sqlite3'
import t from 'tap'
import { serverEnv } from './app.js'
import { report, sleep, startExampleServer, tempDir } from './helpers.js'

const RED_WITHIN_MS = 5000

async function timeUntil(check: () => Promise<boolean>, limitMs: number): Promise<number> {
  const started = performance.now()
  while (performance.now() - started < limitMs) {
    if (await check()) return Math.round(performance.now() - started)
    await sleep(50)
  }
  return -1
}

t.test(
  'a deleted database file under a running server: 503, red health, no acknowledged write lost',
  async (t) => {
    const { dir, cleanup } = tempDir('deleted')
    t.teardown(cleanup)
    const { env } = serverEnv(dir)
    const server = await startExampleServer({ ...env, LOG_LEVEL: 'warn' })
    t.teardown(() => server.proc.kill('SIGKILL'))
    const headers = { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' }
    const post = (i: number) =>
      fetch(`${server.url}/api/v1/computations`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ function: 'deleted-file', args: [i] }),
      })
    const health = async () => (await fetch(`${server.url}/health/detailed`)).status
    t.equal((await post(0)).status, 201, 'a write before the fault')
    t.equal(await health(), 200)

    unlinkSync(join(dir, 'comp-manager.db'))
    const faultAt = performance.now()
    const statuses: number[] = []
    const acknowledged: number[] = []
    let retryAfter: string | null = null
    let code: string | undefined
    for (let i = 1; i <= 20; i++) {
      const res = await post(i)
      statuses.push(res.status)
      if (res.status === 201) acknowledged.push(i)
      else {
        retryAfter ??= res.headers.get('retry-after')
        code ??= ((await res.json()) as { code?: string }).code
      }
    }
    const redAfterMs = await timeUntil(async () => (await health()) === 503, RED_WITHIN_MS)
    t.same([...new Set(statuses)], [503], 'every write after the deletion is 503')
    t.equal(code, 'CM_ERR_STORE_UNAVAILABLE')
    t.match(retryAfter, /^\d+$/, 'with retry-after')
    t.ok(
      redAfterMs >= 0,
      `/health/detailed is 503 within ${RED_WITHIN_MS} ms of the fault (${redAfterMs} ms)`,
    )
    t.ok(performance.now() - faultAt < 30_000, 'no request hung')
    t.equal((await fetch(`${server.url}/health`)).status, 200, 'liveness still answers')

    server.proc.kill('SIGTERM')
    await server.exited
    const reopened = new SqliteStore({ path: join(dir, 'comp-manager.db') })
    t.teardown(() => reopened.close())
    const { total } = await reopened.computations.list({ namespace: 'default' })
    t.equal(acknowledged.length, 0, 'no write was acknowledged after the deletion')
    t.equal(total, acknowledged.length, 'and the file holds every acknowledged write since')
    report(t, 'store-faults-deleted', {
      writes: statuses.length,
      acknowledged: acknowledged.length,
      redAfterMs,
    })
  },
)

for (const fault of ['full', 'readonly'] as const) {
  t.test(
    `a ${fault} database: 503 with retry-after, red within 5 s, green again without a restart`,
    async (t) => {
      const { dir, cleanup } = tempDir(fault)
      t.teardown(cleanup)
      const db = new Database(join(dir, 'comp-manager.db'))
      t.teardown(() => db.close())
      const store = new SqliteStore({ database: db })
      t.teardown(() => store.close())
      const { env } = serverEnv(dir)
      const app = await buildApp(loadConfig(env), { ...exampleAppOptions(), logger: false, store })
      t.teardown(() => app.close())
      const token = app.issueToken({ sub: 'ops', role: 'admin', namespaces: ['*'] }, { expiresIn: '1h' })
      const post = (i: number) =>
        app.inject({
          method: 'POST',
          url: '/api/v1/computations',
          headers: { authorization: `Bearer ${token}` },
          payload: { function: `${fault}-db`, args: [i, 'x'.repeat(2000)] },
        })
      const health = async () => (await app.inject({ url: '/health/detailed' })).statusCode
      t.equal((await post(0)).statusCode, 201)

      const pages = db.pragma('page_count', { simple: true }) as number
      if (fault === 'full') db.pragma(`max_page_count = ${pages}`)
      else db.pragma('query_only = 1')
      const faultAt = performance.now()
      let acknowledged = 0
      let refused: Awaited<ReturnType<typeof post>> | undefined
      for (let i = 1; i <= 200 && refused === undefined; i++) {
        const res = await post(i)
        if (res.statusCode === 201) acknowledged++
        else refused = res
      }
      t.equal(refused?.statusCode, 503, 'a write that cannot be stored is 503')
      t.equal(refused?.json().code, 'CM_ERR_STORE_UNAVAILABLE')
      t.match(refused?.headers['retry-after'], /^\d+$/)
      const redAfterMs = await timeUntil(async () => (await health()) === 503, RED_WITHIN_MS)
      t.ok(redAfterMs >= 0, `/health/detailed 503 within 5 s (${redAfterMs} ms after the first refusal)`)
      const detail = (await app.inject({ url: '/health/detailed' })).json()
      t.equal(detail.checks?.store?.ok, false, 'the store check names the fault')

      if (fault === 'full') db.pragma(`max_page_count = ${pages + 100_000}`)
      else db.pragma('query_only = 0')
      const greenAfterMs = await timeUntil(async () => (await health()) === 200, RED_WITHIN_MS)
      t.ok(greenAfterMs >= 0, `/health/detailed 200 again within 5 s of the recovery (${greenAfterMs} ms)`)
      t.equal((await post(10_000)).statusCode, 201, 'writes work again')
      const { total } = await store.computations.list({ namespace: 'default' })
      t.equal(total, acknowledged + 2, 'every acknowledged write is in the file')
      report(t, `store-faults-${fault}`, {
        acknowledgedBeforeFault: acknowledged,
        refusedAfterMs: Math.round(performance.now() - faultAt),
        redAfterMs,
        greenAfterMs,
      })
    },
  )
}
