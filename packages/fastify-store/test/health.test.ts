// The `store` health check the plugin registers, in the registry of @comp-manager/fastify-kit (whose
// own behaviour is tested there).
import { MemoryStore } from '@comp-manager/core'
import { registerHealthCheck, runHealthChecks } from '@comp-manager/fastify-kit'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import t from 'tap'
import fastifyCompStore from '../src/index.js'
import { newApp, storeWithPing } from './fixtures/helpers.js'

/** The route the composed server serves, as a user would write it. */
function healthRoute(app: FastifyInstance, timeoutMs?: number): void {
  app.get('/health/detailed', async (_request, reply) => {
    const report = await runHealthChecks(app, timeoutMs === undefined ? {} : { timeoutMs })
    return reply.code(report.ok ? 200 : 503).send(report)
  })
}

t.test('the plugin registers a `store` check: ok, with latency and kind', async (t) => {
  const app = newApp(t)
  await app.register(fastifyCompStore, { sqlite: { path: ':memory:' } })
  healthRoute(app)
  await app.ready()
  t.ok(app.compHealthChecks instanceof Map)
  t.same([...app.compHealthChecks.keys()], ['store'])

  const res = await app.inject('/health/detailed')
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^application\/json/)
  const body = res.json()
  t.match(body, { ok: true, checks: { store: { ok: true, latencyMs: Number, details: { kind: 'sqlite' } } } })
  t.notOk('error' in body.checks.store)
  t.ok(body.checks.store.latencyMs >= 0)
})

t.test('a failing store ping gives ok: false with its error, and 503 from the route', async (t) => {
  const app = newApp(t)
  const store = storeWithPing(async () => ({ ok: false, latencyMs: 12.5, error: 'connection refused' }))
  await app.register(fastifyCompStore, { store })
  healthRoute(app)
  const res = await app.inject('/health/detailed')
  t.equal(res.statusCode, 503)
  t.same(res.json(), {
    ok: false,
    checks: {
      store: { ok: false, latencyMs: 12.5, error: 'connection refused', details: { kind: 'memory' } },
    },
  })
})

t.test('a closed store fails its check (the plugin-opened store after close)', async (t) => {
  const store = new MemoryStore()
  const app = newApp(t)
  await app.register(fastifyCompStore, { store })
  await app.ready()
  await store.close()
  const report = await runHealthChecks(app)
  t.match(report, { ok: false, checks: { store: { ok: false, error: /closed/ } } })
})

t.test('a store whose ping throws (breaking its contract) fails the check, nothing crashes', async (t) => {
  const app = newApp(t)
  await app.register(fastifyCompStore, {
    store: storeWithPing(async () => {
      throw new Error('socket hang up')
    }),
  })
  await app.ready()
  const report = await runHealthChecks(app)
  t.match(report, { ok: false, checks: { store: { ok: false, error: 'socket hang up', latencyMs: Number } } })
})

t.test('a check that hangs fails after the timeout, and the others still report', async (t) => {
  const app = newApp(t)
  await app.register(fastifyCompStore, { store: new MemoryStore() })
  registerHealthCheck(app, 'stuck', () => new Promise(() => {}))
  healthRoute(app, 50)
  const started = performance.now()
  const res = await app.inject('/health/detailed')
  const elapsed = performance.now() - started
  t.equal(res.statusCode, 503)
  t.match(res.json(), {
    ok: false,
    checks: { store: { ok: true }, stuck: { ok: false, error: 'no answer within 50 ms', latencyMs: Number } },
  })
  t.ok(elapsed < 1000, `answered within the timeout (${Math.round(elapsed)} ms)`)
})

t.test('healthCheck option: a custom name, or false for none', async (t) => {
  const named = newApp(t)
  await named.register(fastifyCompStore, { store: new MemoryStore(), healthCheck: 'primary-store' })
  t.same(Object.keys((await runHealthChecks(named)).checks), ['primary-store'])

  const none = newApp(t)
  await none.register(fastifyCompStore, { store: new MemoryStore(), healthCheck: false })
  await none.ready()
  t.same(await runHealthChecks(none), { ok: true, checks: {} })
})

t.test('one registry shared by every plugin, whichever registers first', async (t) => {
  const other = fp(
    async (fastify) => {
      registerHealthCheck(fastify, 'cache', async () => ({ ok: true, details: { l1: 0 } }))
    },
    { name: 'other-comp-manager-plugin' },
  )
  const before = newApp(t)
  await before.register(other)
  await before.register(fastifyCompStore, { store: new MemoryStore() })
  await before.ready()
  t.same([...before.compHealthChecks.keys()], ['cache', 'store'])

  const after = newApp(t)
  await after.register(fastifyCompStore, { store: new MemoryStore() })
  await after.register(other)
  await after.ready()
  t.same([...after.compHealthChecks.keys()], ['store', 'cache'])
  t.match(await runHealthChecks(after), {
    ok: true,
    checks: { store: { ok: true }, cache: { details: { l1: 0 } } },
  })
})
