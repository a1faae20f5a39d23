import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { buildHostApp } from '../src/index.js'

const adminToken = 'admin-token-for-tests-0123456789'

async function build(t: Test, dataDir?: string) {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'cm-host-'))
  if (dataDir === undefined) t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const app = await buildHostApp({ adminToken, dataDir: dir, pricingDelayMs: 150 })
  t.teardown(() => app.close())
  return { app, dir }
}

t.test('only the store and the cache are added to the app', async (t) => {
  const { app } = await build(t)
  t.ok(app.hasDecorator('compStore'))
  t.ok(app.hasDecorator('cache'))
  t.notOk(app.hasDecorator('tracker'), 'no tracker')
  t.notOk(app.hasDecorator('authorize'), 'no auth plugin')
  t.equal(app.compStore.kind, 'sqlite')
})

t.test('over real HTTP: computed once, then served from the cache; visible in /admin/cache', async (t) => {
  const { app } = await build(t)
  const base = await app.listen({ port: 0, host: '127.0.0.1' })
  const admin = { 'x-admin-token': adminToken }

  let started = performance.now()
  const first = (await (await fetch(`${base}/products/A-1/price`)).json()) as { computedAt: string }
  const firstMs = performance.now() - started
  started = performance.now()
  const second = await (await fetch(`${base}/products/A-1/price`)).json()
  const secondMs = performance.now() - started
  t.same(second, first, 'the same quote, computedAt included')
  t.ok(firstMs >= 140, `computed (${firstMs.toFixed(0)} ms)`)
  t.ok(secondMs < firstMs, `then cached (${secondMs.toFixed(0)} ms)`)

  t.equal((await fetch(`${base}/admin/cache`)).status, 401, 'the cache routes are behind the admin token')
  const entries = await (await fetch(`${base}/admin/cache`, { headers: admin })).json()
  t.match(entries, { total: 1, data: [{ function: 'priceQuote', tags: ['sku:A-1'] }] })
  const stats = await (await fetch(`${base}/admin/cache/stats`, { headers: admin })).json()
  t.match(stats, { hits: 1, misses: 1, entries: 1 })

  const reprice = await fetch(`${base}/admin/products/A-1/reprice`, { method: 'POST', headers: admin })
  t.same(await reprice.json(), { dropped: 1 })
  const third = (await (await fetch(`${base}/products/A-1/price`)).json()) as { computedAt: string }
  t.not(third.computedAt, first.computedAt, 'computed again after the invalidation')
})

t.test('the cache survives a restart (the SQLite file)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cm-host-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const one = await buildHostApp({ adminToken, dataDir: dir, pricingDelayMs: 50 })
  const before = (await one.inject('/products/B-2/price?currency=USD')).json()
  await one.close()
  const two = await buildHostApp({ adminToken, dataDir: dir, pricingDelayMs: 50 })
  t.teardown(() => two.close())
  t.same((await two.inject('/products/B-2/price?currency=USD')).json(), before)
})

t.test('the health route includes the plugins checks', async (t) => {
  const { app } = await build(t)
  const res = await app.inject('/healthz')
  t.equal(res.statusCode, 200)
  t.match(res.json(), { ok: true, checks: { store: { ok: true }, cache: { ok: true } } })
})

t.test('a weak admin token is refused', async (t) => {
  await t.rejects(buildHostApp({ adminToken: 'short' }), /at least 16 characters/)
})
