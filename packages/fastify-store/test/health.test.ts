import { mock } from 'node:test'
import { MemoryStore } from '@comp-manager/core'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import t from 'tap'
import fastifyCompStore, {
  DEFAULT_HEALTH_CHECK_TIMEOUT_MS,
  type HealthCheck,
  registerHealthCheck,
  runHealthChecks,
} from '../src/index.js'
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

t.test('the default timeout is 2 s', async (t) => {
  t.equal(DEFAULT_HEALTH_CHECK_TIMEOUT_MS, 2000)
  const app = newApp(t)
  registerHealthCheck(app, 'stuck', () => new Promise(() => {}))
  mock.timers.enable({ apis: ['setTimeout'] })
  t.teardown(() => mock.timers.reset())
  let settled = false
  const running = runHealthChecks(app).then((report) => {
    settled = true
    return report
  })
  mock.timers.tick(1999)
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(settled, false, 'still waiting at 1999 ms')
  mock.timers.tick(1)
  const report = await running
  t.match(report, { ok: false, checks: { stuck: { ok: false, error: 'no answer within 2000 ms' } } })
})

t.test('checks that throw, reject or answer nonsense count as failed', async (t) => {
  const app = newApp(t)
  const checks: Record<string, HealthCheck> = {
    syncThrow: (() => {
      throw new Error('sync boom')
    }) as HealthCheck,
    rejects: async () => {
      throw new TypeError('async boom')
    },
    rejectsString: () => Promise.reject('plain string'),
    rejectsObject: () => Promise.reject({ weird: true }),
    undefinedResult: async () => undefined as never,
    noOk: async () => ({ latencyMs: 1 }) as never,
    okFalse: async () => ({ ok: false }),
    okWithDetails: async () => ({ ok: true, latencyMs: 3, details: { queue: 0 } }),
  }
  for (const [name, check] of Object.entries(checks)) registerHealthCheck(app, name, check)
  const report = await runHealthChecks(app)
  t.equal(report.ok, false)
  t.match(report.checks, {
    syncThrow: { ok: false, error: 'sync boom' },
    rejects: { ok: false, error: 'async boom' },
    rejectsString: { ok: false, error: 'plain string' },
    rejectsObject: { ok: false, error: 'threw Object' },
    undefinedResult: { ok: false, error: 'the check returned undefined, not { ok: boolean }' },
    noOk: { ok: false, error: /not \{ ok: boolean \}/ },
    okFalse: { ok: false, error: 'the check failed' },
    okWithDetails: { ok: true, latencyMs: 3, details: { queue: 0 } },
  })
  for (const result of Object.values(report.checks)) t.type(result.latencyMs, 'number')
})

t.test('checks run concurrently', async (t) => {
  const app = newApp(t)
  const sleep = () => new Promise<{ ok: boolean }>((resolve) => setTimeout(() => resolve({ ok: true }), 100))
  for (const name of ['a', 'b', 'c', 'd']) registerHealthCheck(app, name, sleep)
  const started = performance.now()
  const report = await runHealthChecks(app)
  t.equal(report.ok, true)
  t.ok(performance.now() - started < 390, 'four 100 ms checks take about 100 ms, not 400')
})

t.test('no checks registered: ok, empty', async (t) => {
  const app = newApp(t)
  t.same(await runHealthChecks(app), { ok: true, checks: {} })
  t.notOk(app.hasDecorator('compHealthChecks'), 'running does not create the registry')
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

t.test('registerHealthCheck refuses duplicates, bad names and non-functions', async (t) => {
  const app = newApp(t)
  registerHealthCheck(app, 'x', async () => ({ ok: true }))
  t.throws(() => registerHealthCheck(app, 'x', async () => ({ ok: true })), {
    code: 'CM_ERR_INVALID_ARGUMENT',
    message: /a health check named `x` is already registered/,
  })
  t.throws(() => registerHealthCheck(app, '', async () => ({ ok: true })), {
    message: /health check name must be/,
  })
  t.throws(() => registerHealthCheck(app, '__proto__', async () => ({ ok: true })), {
    message: /health check name/,
  })
  t.throws(() => registerHealthCheck(app, 'y', 'nope' as never), {
    code: 'CM_ERR_INVALID_ARGUMENT',
    message: /the health check `y` must be a function/,
  })
})

t.test('runHealthChecks refuses a bad timeout', async (t) => {
  const app = newApp(t)
  await t.rejects(runHealthChecks(app, { timeoutMs: 0 }), {
    code: 'CM_ERR_INVALID_ARGUMENT',
    message: /`timeoutMs` must be a positive number/,
  })
})
