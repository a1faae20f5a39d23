// Guarantee 3: while another process holds the SQLite write lock, callers get CM_ERR_STORE_UNAVAILABLE or
// succeed after backoff (per busyTimeoutMs), the server reports 503 on /health/detailed and recovers on
// its own, and nothing crashes or rejects unhandled.
import { join } from 'node:path'
import { exampleAppOptions } from '@comp-manager/example-server'
import { buildApp, loadConfig } from '@comp-manager/server'
import { SqliteStore } from '@comp-manager/sqlite-store'
import t from 'tap'
import { serverEnv } from './app.js'
import { type Child, killIfAlive, report, SOAK, sleep, spawnFixture, tempDir } from './helpers.js'

const HOLD_MS = SOAK ? 6000 : 3000
const unhandled: unknown[] = []
process.on('unhandledRejection', (err) => {
  unhandled.push(err)
})

t.test('store outage: typed errors or backoff, 503 then recovery, no crash', async (t) => {
  const { dir, cleanup } = tempDir('outage')
  t.teardown(cleanup)
  const path = join(dir, 'comp-manager.db')
  await new SqliteStore({ path }).close() // schema first

  const { env } = serverEnv(dir)
  const app = await buildApp(loadConfig(env), { ...exampleAppOptions(), logger: false })
  t.teardown(() => app.close())
  const admin = app.issueToken({ sub: 'ops', role: 'admin', namespaces: ['*'] }, { expiresIn: '1h' })
  const before = await app.inject({ method: 'GET', url: '/health/detailed' })
  t.equal(before.statusCode, 200, '/health/detailed is 200 before the outage')

  // Callers: one gives up quickly (busyTimeoutMs 1000 < outage), one waits it out (busyTimeoutMs 10 s).
  const children: Child[] = [
    spawnFixture('outage-caller.mjs', [path, '1000', 'quick']),
    spawnFixture('outage-caller.mjs', [path, String(HOLD_MS + 7000), 'patient']),
  ]
  t.teardown(() => children.forEach(killIfAlive))
  await Promise.all(children.map((c) => c.waitFor((m) => m.type === 'ready', 60_000)))

  const locker = spawnFixture('locker.mjs', [path, String(HOLD_MS)])
  t.teardown(() => killIfAlive(locker))
  await locker.waitFor((m) => m.type === 'locked', 30_000)
  for (const c of children) c.proc.send('go')

  // During the outage: a write through the server, and /health/detailed polled.
  const write = app.inject({
    method: 'POST',
    url: '/api/v1/computations',
    headers: { authorization: `Bearer ${admin}` },
    payload: { name: 'during-outage', function: 'during-outage', args: [1] },
  })
  const during: number[] = []
  let released = false
  void locker
    .waitFor((m) => m.type === 'released', HOLD_MS + 30_000)
    .then(
      () => {
        released = true
      },
      () => undefined,
    )
  for (let i = 0; i < 100 && !released; i++) {
    const res = await app.inject({ method: 'GET', url: '/health/detailed' })
    if (!released) during.push(res.statusCode)
    await sleep(150)
  }
  await locker.exited
  const writeRes = await write
  t.ok(
    writeRes.statusCode === 201 ||
      (writeRes.statusCode === 503 && writeRes.json().code === 'CM_ERR_STORE_UNAVAILABLE'),
    `a write through the server during the outage: 201 after backoff or 503 CM_ERR_STORE_UNAVAILABLE (got ${writeRes.statusCode})`,
  )

  // Recovery, on its own.
  let recoveredAfter = -1
  for (let i = 0; i < 100; i++) {
    const res = await app.inject({ method: 'GET', url: '/health/detailed' })
    if (res.statusCode === 200) {
      recoveredAfter = i
      break
    }
    await sleep(100)
  }
  t.ok(recoveredAfter >= 0, '/health/detailed is 200 again after the outage, without a restart')
  const writeAfter = await app.inject({
    method: 'POST',
    url: '/api/v1/computations',
    headers: { authorization: `Bearer ${admin}` },
    payload: { name: 'after-outage', function: 'after-outage', args: [2] },
  })
  t.equal(writeAfter.statusCode, 201, 'writes work again after the outage')

  t.ok(during.length > 0, `/health/detailed polled ${during.length} times during the outage`)
  t.ok(
    during.every((s) => s === 200 || s === 503),
    'health answers 200 or 503 during the outage, never 500',
  )
  t.ok(during.includes(503), '/health/detailed answers 503 while the write lock is held')

  const results = await Promise.all(children.map((c) => c.waitFor((m) => m.type === 'done', 60_000)))
  const exits = await Promise.all(children.map((c) => c.exited))
  const [quick, patient] = results as Array<{
    outcomes: { ok: number; wrong: number; codes: Record<string, number>; other: string[] }
    after: unknown
    unhandled: number
  }>
  for (const [i, r] of [quick, patient].entries()) {
    t.same(r?.outcomes.other, [], `caller ${i}: every error is a CM_ERR_ code`)
    t.equal(r?.outcomes.wrong, 0, `caller ${i}: no wrong value`)
    t.equal(r?.after, true, `caller ${i}: works after the outage without a restart`)
    t.equal(r?.unhandled, 0, `caller ${i}: no unhandled rejection`)
    t.equal(exits[i]?.code, 0, `caller ${i}: exits 0`)
  }
  const quickCodes = Object.keys(quick?.outcomes.codes ?? {})
  t.ok(
    quickCodes.every((c) => c === 'CM_ERR_STORE_UNAVAILABLE'),
    `the quick caller's errors are CM_ERR_STORE_UNAVAILABLE (${quickCodes.join(', ') || 'none'})`,
  )
  t.ok(
    (quick?.outcomes.codes.CM_ERR_STORE_UNAVAILABLE ?? 0) > 0,
    'the quick caller saw the outage as CM_ERR_STORE_UNAVAILABLE',
  )
  t.same(patient?.outcomes.codes, {}, 'the patient caller (busyTimeoutMs > outage) never failed')
  t.same(unhandled, [], 'no unhandled rejection in the test process')

  report(t, 'store-outage', {
    holdMs: HOLD_MS,
    healthDuring: [...new Set(during)],
    healthPolls: during.length,
    serverWriteDuring: writeRes.statusCode,
    quick: quick?.outcomes,
    patient: patient?.outcomes,
  })
})
