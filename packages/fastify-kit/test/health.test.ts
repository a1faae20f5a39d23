// The health registry: registerHealthCheck and runHealthChecks on a bare Fastify instance.
import { mock } from 'node:test'
import Fastify, { type FastifyInstance } from 'fastify'
import t, { type Test } from 'tap'
import {
  DEFAULT_HEALTH_CHECK_TIMEOUT_MS,
  type HealthCheck,
  registerHealthCheck,
  runHealthChecks,
} from '../src/index.js'

/** A fresh Fastify instance, closed when the test ends. */
function newApp(t: Test): FastifyInstance {
  const app = Fastify()
  t.teardown(() => app.close())
  return app
}

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
    message:
      /@comp-manager\/fastify-kit runHealthChecks: `timeoutMs` must be a number of milliseconds from 1/,
    details: { option: 'timeoutMs' },
  })
  await t.rejects(runHealthChecks(app, { timeoutMs: '2 s' as never }), {
    code: 'CM_ERR_INVALID_ARGUMENT',
    details: { option: 'timeoutMs' },
  })
})

t.test(
  'runHealthChecks takes the one duration format: milliseconds or a string such as "50ms"',
  async (t) => {
    const app = newApp(t)
    registerHealthCheck(app, 'stuck', () => new Promise(() => {}))
    const report = await runHealthChecks(app, { timeoutMs: '50ms' })
    t.match(report, { ok: false, checks: { stuck: { ok: false, error: 'no answer within 50 ms' } } })
  },
)
