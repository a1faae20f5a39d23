/**
 * The dashboard in Chromium, the parts that need time or a server restart: the attempts history, the
 * charts filling while the page is open, a token expiring mid-session, and the event stream reconnecting
 * by itself after the server went down and came back (same port, same data directory).
 */
import t from 'tap'
import { chromiumPath, launch, newPage, shoot, signIn } from './fixtures/browser.js'
import { call, type RunningServer, restartServer, shortLivedToken, startServer } from './fixtures/server.js'

const executable = chromiumPath()
if (executable === null) {
  console.log('skipped: chromium not found')
  process.exit(0)
}

let server: RunningServer = await startServer()
const browser = await launch(executable)
t.teardown(async () => {
  await browser.close()
  await server.stop()
})
const admin = server.adminToken

/** A queued job of `fn` claimed by the test (as a worker over HTTP): its id and lease token. */
async function queuedAndClaimed(fn: string, attempts = 1): Promise<{ id: string; lease: string }> {
  const made = await call(server, 'POST', '/api/v1/computations', admin, {
    function: fn,
    args: [Math.random()],
    status: 'queued',
    attempts,
  })
  if (made.status !== 201) throw new Error(`create: ${made.status} ${JSON.stringify(made.body)}`)
  const id: string = made.body.id
  for (let i = 0; i < 50; i++) {
    const answer = await call(server, 'POST', '/api/v1/workers/claim', admin, {
      workerId: 'browser-live-test',
      functions: [fn],
      waitMs: 2000,
    })
    const job = answer.body?.jobs?.find((j: { id: string }) => j.id === id)
    if (job !== undefined) return { id, lease: job.leaseToken }
  }
  throw new Error(`job ${id} was never claimed`)
}

/** A run reported by the caller (`status: started`), then finished. */
async function finishedRun(fn: string): Promise<void> {
  const made = await call(server, 'POST', '/api/v1/computations', admin, {
    function: fn,
    args: [Math.random()],
    status: 'started',
  })
  if (made.status !== 201) throw new Error(`create: ${made.status} ${JSON.stringify(made.body)}`)
  const ended = await call(server, 'PUT', `/api/v1/computations/${made.body.id}`, admin, {
    status: 'finished',
  })
  if (ended.status !== 200) throw new Error(`end: ${ended.status} ${JSON.stringify(ended.body)}`)
}

t.test('the attempts history lists every attempt of the call, linked, with its error', async (t) => {
  const first = await queuedAndClaimed('attempts.flaky', 2)
  const failed = await call(server, 'POST', `/api/v1/computations/${first.id}/fail`, admin, {
    leaseToken: first.lease,
    error: { name: 'FlakyError', message: 'the first attempt broke' },
    retryable: true,
  })
  t.equal(failed.status, 200, JSON.stringify(failed.body))
  const attempts = await call(
    server,
    'GET',
    `/api/v1/computations?function=attempts.flaky&per_page=10`,
    admin,
  )
  const second = attempts.body.data.find((r: { attempt: number }) => r.attempt === 2)
  t.ok(second, 'the retryable failure queued attempt 2')
  const { page, problems, close } = await newPage(browser)
  t.teardown(close)
  await signIn(page, server, admin)
  await page.goto(`${server.url}/dashboard/#/computations/${second.id}`)
  const table = page.locator('[data-testid="attempts-table"]')
  await table.locator('tbody tr').nth(1).waitFor()
  t.equal(await table.locator('tbody tr').count(), 2, 'two attempts')
  t.equal(await page.locator('[data-testid="attempt-of"]').textContent(), '2')
  const old = table.locator(`tr[data-id="${first.id}"]`)
  t.equal(await old.getAttribute('data-status'), 'failed')
  t.match(await old.textContent(), /FlakyError: the first attempt broke/)
  t.equal(await table.locator(`tr[data-id="${second.id}"] a`).getAttribute('aria-current'), 'page')
  await shoot(page, 'attempts')
  await old.getByRole('link').click()
  await page.locator(`[data-testid="computation"][data-status="failed"]`).waitFor()
  t.equal(await page.locator('[data-testid="attempt-of"]').textContent(), '1', 'the link opens attempt 1')
  t.match(await page.locator('[data-testid="failure"]').textContent(), /the first attempt broke/)
  t.same(problems, [], 'no CSP violation, no page error')
})

t.test('the queue charts fill with points as runs end while the page is open', async (t) => {
  const { page, problems, close } = await newPage(browser)
  t.teardown(close)
  await signIn(page, server, admin)
  await page.goto(`${server.url}/dashboard/#/workers`)
  const throughput = page.locator('[data-testid="chart-throughput"]')
  await throughput.locator('.chart-canvas[data-drawn="true"] canvas').waitFor()
  await page.locator('main[data-link="live"]').waitFor()
  for (let i = 0; i < 3; i++) await finishedRun('chart.ok')
  const bad = await queuedAndClaimed('chart.bad')
  const failed = await call(server, 'POST', `/api/v1/computations/${bad.id}/fail`, admin, {
    leaseToken: bad.lease,
    error: { name: 'ChartError', message: 'failed on purpose' },
  })
  t.equal(failed.status, 200, JSON.stringify(failed.body))
  // A live sample (every 5 s) counts the events of the last minute: both lines rise above zero.
  await page.locator('[data-testid="chart-throughput"] figcaption', { hasText: /finished [1-9]/ }).waitFor()
  await page.locator('[data-testid="chart-failures"] figcaption', { hasText: /lost [1-9]/ }).waitFor()
  const points = Number(await throughput.getAttribute('data-points'))
  t.ok(points >= 2, `${points} points on the throughput chart`)
  t.ok(
    Number(await page.locator('[data-testid="chart-failures"]').getAttribute('data-points')) >= 2,
    'points on the failure-rate chart',
  )
  const painted = await throughput.locator('canvas').evaluate((c) => {
    const canvas = c as HTMLCanvasElement
    const data = canvas.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data ?? []
    let inked = 0
    for (let i = 3; i < data.length; i += 4) if ((data[i] ?? 0) > 0) inked++
    return inked
  })
  t.ok(painted > 0, `the canvas is drawn on (${painted} pixels)`)
  await shoot(page, 'workers-charts')
  t.same(problems, [], 'no CSP violation, no page error (uPlot and its stylesheet load under the CSP)')
})

t.test('the cache hit-rate chart samples the stats while the page is open', async (t) => {
  const { page, close } = await newPage(browser)
  t.teardown(close)
  await signIn(page, server, admin)
  await page.goto(`${server.url}/dashboard/#/cache`)
  const chart = page.locator('[data-testid="chart-hit-rate"]')
  await chart.locator('.chart-canvas[data-drawn="true"] canvas').waitFor()
  for (let i = 0; i < 2; i++) {
    const answer = await call(server, 'POST', '/api/v1/demo/factor', admin, { n: '99991' })
    t.equal(answer.status, 200, JSON.stringify(answer.body))
  }
  // A miss then a hit: an interval with traffic has a hit rate of 50 % (or 100 % if split across two).
  await chart.locator('figcaption', { hasText: /last interval (50|100)%/ }).waitFor()
  t.ok(Number(await chart.getAttribute('data-points')) >= 2, 'at least two samples')
})

t.test('a token expiring mid-session goes back to sign-in with a message', async (t) => {
  const { page, close } = await newPage(browser)
  t.teardown(close)
  const token = shortLivedToken(server, admin, 15)
  await signIn(page, server, token)
  t.equal(await page.locator('[data-testid="role"]').textContent(), 'admin', 'signed in with it')
  const message = page.locator('[data-testid="signin-message"]')
  await message.waitFor({ timeout: 60_000 })
  t.match(await message.textContent(), /expired/)
  t.equal(await page.locator('[data-testid="role"]').count(), 0, 'the pages are gone')
  t.equal(
    await page.evaluate(() => sessionStorage.getItem('cm.dashboard.session')),
    null,
    'the token is forgotten',
  )
  // The server accepts it for its clock tolerance (5 s by default) past `exp`, then refuses it.
  let refused = await call(server, 'GET', '/api/v1/computations', token)
  for (let i = 0; i < 60 && refused.status !== 401; i++) {
    await new Promise((resolve) => setTimeout(resolve, 1000))
    refused = await call(server, 'GET', '/api/v1/computations', token)
  }
  t.equal(refused.status, 401, 'and the server refuses it too')
})

t.test('the server going down shows the banner; the event stream reconnects once it is back', async (t) => {
  const { page, close } = await newPage(browser)
  t.teardown(close)
  await signIn(page, server, admin)
  await page.locator('main[data-link="live"]').waitFor()
  await server.stop({ keepData: true })
  await page.locator('[data-testid="offline-banner"]').waitFor()
  server = await restartServer(server)
  await page.locator('main[data-link="live"]').waitFor({ timeout: 120_000 })
  t.equal(await page.locator('[data-testid="offline-banner"]').count(), 0, 'the banner is gone')
  const made = await call(server, 'POST', '/api/v1/computations', admin, {
    function: 'after.restart',
    args: [1],
    status: 'queued',
  })
  t.equal(made.status, 201)
  await page.locator(`tr[data-id="${made.body.id}"][data-status="queued"]`).waitFor()
  t.pass('a new event appeared live, without a reload')
})
