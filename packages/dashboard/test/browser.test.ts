/**
 * The dashboard in Chromium against the example server (a child process on a temp SQLite file): the
 * test plays the worker over HTTP, so each step of a run is seen by the page before the next one.
 */
import { encode } from '@comp-manager/core'
import t from 'tap'
import { chromiumPath, launch, newPage, shoot, signIn } from './fixtures/browser.js'
import { call, startServer } from './fixtures/server.js'

const executable = chromiumPath()
if (executable === null) {
  console.log('skipped: chromium not found')
  process.exit(0)
}
const { factorize } = (await import('../../../examples/server/dist/index.js')) as {
  factorize: (n: bigint) => Promise<bigint[]>
}

const server = await startServer()
const browser = await launch(executable)
t.teardown(async () => {
  await browser.close()
  await server.stop()
})
const admin = server.adminToken

async function submit(n: string): Promise<string> {
  const job = await call(server, 'POST', '/api/v1/demo/jobs', admin, { function: 'demo.factorize', n })
  if (job.status !== 202) throw new Error(`submit: ${job.status} ${JSON.stringify(job.body)}`)
  return job.body.id
}

/** The test as the worker of one job: it holds the lease with heartbeats (the page is slow to watch). */
interface Run {
  lease: string
  fraction: number
  requested: string | null
  beat(fraction: number): Promise<number>
  stop(): void
}

async function claim(id: string): Promise<Run> {
  for (let i = 0; i < 50; i++) {
    const answer = await call(server, 'POST', '/api/v1/workers/claim', admin, {
      workerId: 'browser-test',
      functions: ['demo.factorize'],
      waitMs: 2000,
    })
    const job = answer.body?.jobs?.find((j: { id: string }) => j.id === id)
    if (job === undefined) continue
    const run: Run = {
      lease: job.leaseToken,
      fraction: 0,
      requested: null,
      async beat(fraction) {
        run.fraction = fraction
        const answer = await call(server, 'POST', `/api/v1/computations/${id}/heartbeat`, admin, {
          leaseToken: run.lease,
          progress: { fraction, note: 'test' },
        })
        run.requested = answer.body?.requested ?? null
        return answer.status
      },
      stop: () => clearInterval(timer),
    }
    const timer = setInterval(
      () => void run.beat(run.fraction).catch(() => undefined),
      Math.max(200, job.heartbeatMs / 3),
    )
    return run
  }
  throw new Error(`job ${id} was never claimed`)
}

async function apiKeyToken(key: string): Promise<string> {
  const response = await fetch(`${server.url}/api/v1/auth/token`, {
    method: 'POST',
    headers: { 'x-api-key': key },
  })
  return ((await response.json()) as { token: string }).token
}

t.test(
  'sign in, watch a demo job go queued → finished with its progress moving, see its exact BigInt result',
  async (t) => {
    const { page, problems, close } = await newPage(browser)
    t.teardown(close)
    await signIn(page, server, admin)
    t.equal(await page.locator('[data-testid="role"]').textContent(), 'admin')
    const n = 600851475143n
    const id = await submit(String(n))
    const row = page.locator(`tr[data-id="${id}"]`)
    await row.and(page.locator('[data-status="queued"]')).waitFor()
    const run = await claim(id)
    t.teardown(run.stop)
    await page.locator(`tr[data-id="${id}"][data-status="started"]`).waitFor()
    for (const fraction of [0.25, 0.75]) {
      t.equal(await run.beat(fraction), 200)
      await row.locator(`progress[data-fraction="${fraction}"]`).waitFor()
    }
    const factors = await factorize(n)
    run.stop()
    const done = await call(server, 'POST', `/api/v1/computations/${id}/complete`, admin, {
      leaseToken: run.lease,
      result: encode(factors),
    })
    t.equal(done.status, 200, JSON.stringify(done.body))
    await page.locator(`tr[data-id="${id}"][data-status="finished"]`).waitFor()
    await page.locator('[data-count="finished"] .count', { hasText: '1' }).waitFor()
    await shoot(page, 'computations')
    await row.getByRole('link').click()
    const result = page.locator('[data-testid="result"]')
    await result.locator('[data-bigint]').first().waitFor()
    const shown = await result.locator('[data-bigint]').allTextContents()
    t.same(
      shown,
      factors.map((f) => `${f}n`),
      'every factor exactly, as a BigInt',
    )
    t.match(await page.locator('[data-testid="args"]').textContent(), `${n}n`)
    await shoot(page, 'computation')
    t.same(problems, [], 'no CSP violation, no page error')
  },
)

t.test('an operator pauses, resumes and cancels a run, with confirmations', async (t) => {
  const { page, close } = await newPage(browser)
  t.teardown(close)
  await signIn(page, server, server.keys.operator.key, 'key')
  t.equal(await page.locator('[data-testid="role"]').textContent(), 'operator')
  const id = await submit('1000000007')
  const run = await claim(id)
  t.teardown(run.stop)
  await page.goto(`${server.url}/dashboard/#/computations/${id}`)
  const view = page.locator('[data-testid="computation"]')
  await page.locator('[data-testid="computation"][data-status="started"]').waitFor()
  t.equal(await page.locator('[data-action="delete"]').count(), 0, 'no delete for an operator')
  await page.locator('[data-action="pause"]').click()
  await page.locator('[data-confirm="pause"]').click()
  await page.locator('[data-testid="computation"] th', { hasText: 'pauseRequestedAt' }).waitFor()
  await run.beat(0.5)
  t.equal(run.requested, 'pause', 'the worker is asked to pause')
  run.stop()
  await call(server, 'POST', `/api/v1/computations/${id}/release`, admin, {
    leaseToken: run.lease,
    reason: 'pause',
  })
  await page.locator('[data-testid="computation"][data-status="paused"]').waitFor()
  await page.locator('[data-action="resume"]').click()
  await page.locator('[data-confirm="resume"]').click()
  await page.locator('[data-testid="computation"][data-status="queued"]').waitFor()
  await page.locator('[data-action="cancel"]').click()
  await page.locator('[data-confirm="cancel"]').click()
  await page.locator('[data-testid="computation"]:not([data-status="queued"])').waitFor()
  t.not(await view.getAttribute('data-status'), 'queued', 'cancelled')
})

t.test('a viewer sees no action, and a crafted request is 403', async (t) => {
  const { page, close } = await newPage(browser)
  t.teardown(close)
  await signIn(page, server, server.keys.viewer.key, 'key')
  const id = await submit('1000000009')
  await page.goto(`${server.url}/dashboard/#/computations/${id}`)
  await page.locator('[data-testid="computation"][data-status="queued"]').waitFor()
  t.equal(await page.locator('[data-testid="actions"] button').count(), 0, 'no action button')
  const status = await page.evaluate(async (id) => {
    const saved = JSON.parse(sessionStorage.getItem('cm.dashboard.session') ?? '{}') as { token: string }
    const response = await fetch(`/api/v1/computations/${id}/cancel`, {
      method: 'POST',
      headers: { authorization: `Bearer ${saved.token}`, 'content-type': 'application/json' },
      body: '{}',
    })
    return response.status
  }, id)
  t.equal(status, 403)
  t.equal(
    localStorageKeys(await page.evaluate(() => Object.keys(localStorage))),
    0,
    'nothing in localStorage',
  )
  t.notMatch(page.url(), /cmk_|eyJ/, 'no credential in the URL')
})

function localStorageKeys(keys: string[]): number {
  return keys.length
}

t.test('invalidating a cache tag changes the stats', async (t) => {
  const filled = await call(server, 'POST', '/api/v1/demo/factor', admin, { n: '1234567' })
  t.equal(filled.status, 200, JSON.stringify(filled.body))
  const { page, close } = await newPage(browser)
  t.teardown(close)
  await signIn(page, server, server.keys.operator.key, 'key')
  await page.goto(`${server.url}/dashboard/#/cache`)
  const entries = page.locator('[data-stat="entries"] dd')
  await page.locator('[data-testid="cache-entries"] tbody tr').first().waitFor()
  const before = Number(await entries.textContent())
  t.ok(before >= 1, `entries before: ${before}`)
  await shoot(page, 'cache')
  await page.locator('select[name="by"]').selectOption('tag')
  await page.locator('input[name="value"]').fill('demo')
  await page.locator('[data-action="invalidate"]').click()
  await page.locator('[data-confirm="invalidate"]').click()
  const notice = page.locator('[data-testid="cache-notice"]', { hasText: 'invalidated' })
  await notice.waitFor()
  const dropped = Number(/(\d+) entries/.exec((await notice.textContent()) ?? '')?.[1])
  t.ok(dropped >= 1, `${dropped} entries of tag demo dropped`)
  await page.locator('[data-stat="entries"] dd', { hasText: new RegExp(`^${before - dropped}$`) }).waitFor()
  t.pass(`entries went from ${before} to ${before - dropped}`)
})

t.test('a namespace-A token never shows B records', async (t) => {
  const mk = (namespace: string, fn: string) =>
    call(server, 'POST', '/api/v1/computations', admin, {
      function: fn,
      args: [namespace],
      status: 'queued',
      namespace,
    })
  const a = await mk('team-a', 'a.only')
  const b = await mk('team-b', 'b.secret')
  t.equal(a.status, 201)
  t.equal(b.status, 201)
  const { page, close } = await newPage(browser)
  t.teardown(close)
  await signIn(page, server, server.keys.viewerA.key, 'key')
  await page.locator(`tr[data-id="${a.body.id}"]`).waitFor()
  t.equal(await page.locator(`tr[data-id="${b.body.id}"]`).count(), 0)
  t.notMatch(await page.locator('main').textContent(), /b\.secret/)
  await page.goto(`${server.url}/dashboard/#/computations/${b.body.id}`)
  const error = page.locator('[data-testid="api-error"]')
  await error.waitFor()
  t.match(await error.textContent(), /404/)
  t.match(await page.locator('[data-testid="request-id"]').textContent(), /\S{6,}/, 'the request id is shown')
  t.notMatch(await page.locator('main').textContent(), /b\.secret/)
  await page.goto(`${server.url}/dashboard/#/workers`)
  await page.locator('[data-testid="queue-depth"]').waitFor()
  await shoot(page, 'workers')
  void apiKeyToken
})

t.test(
  'measure: the list of 100 rows under 20 progress events/s (frames per second, reported)',
  async (t) => {
    const ids: string[] = []
    for (let i = 0; i < 100; i++) {
      const made = await call(server, 'POST', '/api/v1/computations', admin, {
        function: 'fps.row',
        args: [i],
        status: 'started',
      })
      ids.push(made.body.id)
    }
    const { page, close } = await newPage(browser)
    t.teardown(close)
    await signIn(page, server, admin)
    await page.locator('select[name="perPage"]').selectOption('100')
    await page.locator('input[name="function"]').fill('fps.row')
    await page.getByRole('button', { name: 'Apply' }).click()
    await page.locator('[data-testid="computations"] tbody tr:nth-child(100)').waitFor()
    const countFrames = () =>
      page.evaluate(() => {
        const w = window as unknown as { frames_: number; stopFrames: boolean }
        w.frames_ = 0
        w.stopFrames = false
        const tick = () => {
          w.frames_++
          if (!w.stopFrames) requestAnimationFrame(tick)
        }
        requestAnimationFrame(tick)
      })
    const stopFrames = () =>
      page.evaluate(() => {
        const w = window as unknown as { frames_: number; stopFrames: boolean }
        w.stopFrames = true
        return w.frames_
      })
    // Baseline: the same page without updates, on this machine, now.
    await countFrames()
    const idleStart = performance.now()
    await new Promise((r) => setTimeout(r, 3000))
    const idleFps = (await stopFrames()) / ((performance.now() - idleStart) / 1000)
    await countFrames()
    const started = performance.now()
    let sent = 0
    const seconds = 5
    while (performance.now() - started < seconds * 1000) {
      const next = started + sent * 50
      if (performance.now() < next) await new Promise((r) => setTimeout(r, next - performance.now()))
      const id = ids[sent % ids.length] as string
      void call(server, 'PUT', `/api/v1/computations/${id}`, admin, {
        progress: { fraction: ((sent % 97) + 1) / 100 },
      })
      sent++
    }
    const elapsed = (performance.now() - started) / 1000
    const fps = (await stopFrames()) / elapsed
    const moved = await page
      .locator('[data-testid="computations"] progress[data-fraction]:not([data-fraction=""])')
      .count()
    console.log(
      `fps: ${fps.toFixed(1)} frames/s with 100 rows under ${(sent / elapsed).toFixed(1)} updates/s ` +
        `(idle baseline ${idleFps.toFixed(1)} frames/s, ratio ${(fps / idleFps).toFixed(2)}); ${moved} rows showing progress`,
    )
    t.ok(moved > 0, 'live progress reached the rows')
  },
)

t.test('sign-in page, and the server going down shows the banner', async (t) => {
  const { page, close } = await newPage(browser)
  t.teardown(close)
  await page.goto(`${server.url}/dashboard/`)
  await shoot(page, 'signin')
  await signIn(page, server, admin)
  await page.locator('main[data-link="live"]').waitFor()
  server.child.kill('SIGTERM')
  await page.locator('[data-testid="offline-banner"]').waitFor()
  t.pass('banner shown')
})
