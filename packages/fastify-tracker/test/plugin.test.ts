// Registration: options validated at register(), decorator, health check, close only what it opened.
import { isCompManagerError, MemoryStore } from '@comp-manager/core'
import fastifyAuth from '@comp-manager/fastify-auth'
import { runHealthChecks } from '@comp-manager/fastify-kit'
import fastifyCompStore from '@comp-manager/fastify-store'
import { createTracker, Tracker } from '@comp-manager/tracker'
import Fastify from 'fastify'
import t from 'tap'
import fastifyTrackerDefault, { fastifyTracker, PLUGIN_NAME } from '../src/index.js'
import { resolveOptions } from '../src/options.js'
import { build, buildMemory, SECRET } from './fixtures/helpers.js'

function bare(t: Parameters<typeof buildMemory>[0]) {
  const store = new MemoryStore()
  const app = Fastify()
  t.teardown(async () => {
    await app.close()
    await store.close()
  })
  return { app, store }
}

t.test('exported as default and named; decorates fastify.tracker on fastify.compStore', async (t) => {
  t.equal(fastifyTrackerDefault, fastifyTracker)
  const { app, store } = await buildMemory(t)
  t.ok(app.tracker instanceof Tracker)
  t.equal(app.tracker.store, store)
  t.equal(app.tracker.namespace, 'default')
  t.ok(app.hasPlugin(PLUGIN_NAME))
})

t.test('bad options make ready() reject with CM_ERR_INVALID_ARGUMENT naming the option', async (t) => {
  const cases: Array<[string, Record<string, unknown>]> = [
    ['namespace', { namespace: 'bad namespace' }],
    ['namespace', { namespace: '' }],
    ['prefix', { prefix: 'computations' }],
    ['prefix', { prefix: '/computations/' }],
    ['prefix', { prefix: 42 }],
    ['tracker', { tracker: { namespace: 'x' } }],
    ['trackerOptions', { trackerOptions: 'fast' }],
    ['trackerOptions.store', { trackerOptions: { store: new MemoryStore() } }],
    ['trackerOptions.namespace', { trackerOptions: { namespace: 'x' } }],
    ['sse', { sse: true }],
    ['sse.pollMs', { sse: { pollMs: 0 } }],
    ['sse.pollMs', { sse: { pollMs: 1.5 } }],
    ['sse.heartbeatMs', { sse: { heartbeatMs: '15 s' } }],
    ['sse.heartbeatMs', { sse: { heartbeatMs: '2h' } }],
    ['sse.every', { sse: { every: 1 } }],
    ['development', { development: 'yes' }],
    ['codec', { codec: {} }],
    ['namepsace', { namepsace: 'typo' }],
  ]
  for (const [option, options] of cases) {
    const { app, store } = bare(t)
    await app.register(fastifyCompStore, { store })
    app.register(fastifyTracker, options as never)
    const err = await app.ready().then(
      () => undefined,
      (e: unknown) => e,
    )
    t.ok(isCompManagerError(err, 'CM_ERR_INVALID_ARGUMENT'), `${option}: CM_ERR_INVALID_ARGUMENT`)
    t.match(err, {
      details: { option },
      message: new RegExp(`${PLUGIN_NAME}: \`${option.replace('.', '\\.')}\``),
    })
  }
  // Bad tracker options are the tracker's own errors, naming the option too.
  const { app, store } = bare(t)
  await app.register(fastifyCompStore, { store })
  app.register(fastifyTracker, { trackerOptions: { leaseMs: -1 } })
  await t.rejects(async () => app.ready(), {
    code: 'CM_ERR_INVALID_ARGUMENT',
    details: { option: 'leaseMs' },
  })
})

t.test(
  'the sse durations take milliseconds or a duration string, as every comp-manager duration',
  async (t) => {
    const budgets = {
      maxStreams: 1000,
      maxStreamsPerClient: 8,
      idleTimeoutMs: 1_800_000,
      stallTimeoutMs: 60_000,
    }
    t.same(resolveOptions({ sse: { pollMs: '1s', heartbeatMs: '15s' } }).sse, {
      pollMs: 1000,
      heartbeatMs: 15_000,
      ...budgets,
    })
    t.same(resolveOptions({ sse: { pollMs: 20 } }).sse, { pollMs: 20, heartbeatMs: 15_000, ...budgets })
    t.same(resolveOptions(undefined).sse, { pollMs: 250, heartbeatMs: 15_000, ...budgets })
    t.same(resolveOptions({ sse: { idleTimeoutMs: '10m', stallTimeoutMs: '30s' } }).sse, {
      ...budgets,
      pollMs: 250,
      heartbeatMs: 15_000,
      idleTimeoutMs: 600_000,
      stallTimeoutMs: 30_000,
    })
  },
)

t.test('needs fastify-store, refuses a second registration in the same context', async (t) => {
  {
    const app = Fastify()
    t.teardown(() => app.close())
    app.register(fastifyTracker)
    await t.rejects(async () => app.ready(), /fastify-store/)
  }
  {
    const { app, store } = bare(t)
    await app.register(fastifyCompStore, { store })
    await app.register(fastifyTracker)
    app.register(fastifyTracker, { prefix: '/again' })
    await t.rejects(async () => app.ready(), {
      code: 'CM_ERR_INVALID_ARGUMENT',
      details: { decorator: 'tracker' },
    })
  }
  {
    // Two instances in separate encapsulated contexts, each with its own namespace and prefix.
    const { app, store } = bare(t)
    await app.register(fastifyCompStore, { store })
    await app.register(async (child) => {
      await child.register(fastifyTracker, { namespace: 'a', prefix: '/a', eventsPrefix: '/a-events' })
    })
    await app.register(async (child) => {
      await child.register(fastifyTracker, { namespace: 'b', prefix: '/b', eventsPrefix: false })
    })
    await app.ready()
    t.equal((await app.inject({ url: '/a' })).statusCode, 200)
    t.equal((await app.inject({ url: '/b' })).statusCode, 200)
    const report = await runHealthChecks(app)
    t.ok(report.checks.tracker, 'first check: tracker')
    t.ok(report.checks['tracker:b'], 'second: tracker:<namespace>')
  }
})

t.test('onClose closes the tracker it created, never one passed in', async (t) => {
  {
    const { app, store } = bare(t)
    await app.register(fastifyCompStore, { store })
    await app.register(fastifyTracker)
    await app.ready()
    let closed = 0
    const close = app.tracker.close.bind(app.tracker)
    app.tracker.close = async () => {
      closed++
      return close()
    }
    await app.close()
    t.equal(closed, 1, 'own tracker closed')
  }
  {
    const { app, store } = bare(t)
    const tracker = createTracker({ store, namespace: 'mine' })
    let closed = 0
    tracker.close = async () => {
      closed++
    }
    await app.register(fastifyCompStore, { store })
    await app.register(fastifyTracker, { tracker })
    await app.ready()
    t.equal(app.tracker, tracker, 'the tracker passed in is decorated')
    t.equal(
      (await app.inject({ method: 'POST', url: '/computations', payload: { function: 'f' } })).json()
        .namespace,
      'mine',
    )
    await app.close()
    t.equal(closed, 0, 'a tracker passed in is left open')
    t.equal(typeof (await tracker.list()).total, 'number', 'and still usable')
  }
})

t.test('a tracker passed in must record to fastify.compStore and match `namespace`', async (t) => {
  {
    const { app, store } = bare(t)
    const other = new MemoryStore()
    t.teardown(() => other.close())
    await app.register(fastifyCompStore, { store })
    app.register(fastifyTracker, { tracker: createTracker({ store: other, namespace: 'x' }) })
    await t.rejects(async () => app.ready(), {
      code: 'CM_ERR_INVALID_ARGUMENT',
      details: { option: 'tracker' },
    })
  }
  {
    const { app, store } = bare(t)
    await app.register(fastifyCompStore, { store })
    app.register(fastifyTracker, { tracker: createTracker({ store, namespace: 'x' }), namespace: 'y' })
    await t.rejects(async () => app.ready(), {
      code: 'CM_ERR_INVALID_ARGUMENT',
      details: { option: 'namespace' },
    })
  }
  {
    const { app, store } = bare(t)
    await app.register(fastifyCompStore, { store })
    app.register(fastifyTracker, { tracker: createTracker({ store, namespace: 'x' }), trackerOptions: {} })
    await t.rejects(async () => app.ready(), {
      code: 'CM_ERR_INVALID_ARGUMENT',
      details: { option: 'trackerOptions' },
    })
  }
})

t.test('the tracker health check: store reachable, sweeper state', async (t) => {
  const app = await build(t, { tracker: { trackerOptions: { sweepIntervalMs: 50 } } })
  const report = await runHealthChecks(app)
  t.ok(report.ok)
  t.match(report.checks.tracker, {
    ok: true,
    details: { namespace: 'default', store: 'sqlite', sweeper: 'running' },
  })
  t.type(report.checks.tracker?.latencyMs, 'number')

  // A sweep that fails makes the check fail until sweeps stop failing.
  const store = app.compStore
  const findExpired = store.computations.findExpired.bind(store.computations)
  store.computations.findExpired = async () => {
    throw new Error('disk on fire')
  }
  await new Promise((resolve) => setTimeout(resolve, 120))
  const failing = await runHealthChecks(app)
  t.notOk(failing.ok)
  t.match(failing.checks.tracker, {
    ok: false,
    error: /sweeper is failing: disk on fire/,
    details: { sweeper: 'failing' },
  })
  store.computations.findExpired = findExpired

  // The store unreachable.
  const { app: memoryApp, store: memory } = await buildMemory(t)
  t.match((await runHealthChecks(memoryApp)).checks.tracker, { ok: true, details: { sweeper: 'off' } })
  await memory.close()
  const down = await runHealthChecks(memoryApp)
  t.match(down.checks.tracker, { ok: false, error: /store unreachable/ })
})

t.test('the tracker logs to fastify.log; the default sweeper runs', async (t) => {
  const lines: string[] = []
  const app = Fastify({
    logger: { level: 'warn', stream: { write: (line: string) => void lines.push(line) } },
  })
  const store = new MemoryStore()
  t.teardown(async () => {
    await app.close()
    await store.close()
  })
  await app.register(fastifyCompStore, { store })
  await app.register(fastifyTracker)
  await app.ready()
  t.match((await runHealthChecks(app)).checks.tracker, { details: { sweeper: 'running' } })
  const job = app.tracker.track('boom', async () => 1)
  const update = store.computations.update
  store.computations.update = async () => {
    throw new Error('write refused')
  }
  // The final status cannot be written: the tracker retries, then reports through fastify.log.
  app.tracker.on('error', () => {})
  await job().catch(() => undefined)
  await new Promise((resolve) => setTimeout(resolve, 50))
  t.ok(
    lines.some((line) => /write refused|final status/.test(line)),
    'tracker messages reach fastify.log',
  )
  store.computations.update = update // let the retries succeed
})

t.test('an auth plugin registered after the tracker makes ready() fail', async (t) => {
  const { app, store } = bare(t)
  await app.register(fastifyCompStore, { store })
  await app.register(fastifyTracker)
  await app.register(fastifyAuth, { secret: SECRET })
  await t.rejects(async () => app.ready(), { code: 'CM_ERR_INVALID_ARGUMENT', message: /register it before/ })
})

t.test('the error handler and validator stay inside the plugin', async (t) => {
  const { app, store } = bare(t)
  await app.register(fastifyCompStore, { store })
  await app.register(fastifyTracker)
  app.get(
    '/host',
    { schema: { querystring: { type: 'object', properties: { a: { type: 'integer' } } } } },
    async (request) => ({
      query: request.query,
    }),
  )
  app.get('/host-error', async () => {
    throw Object.assign(new Error('host failure'), { statusCode: 418 })
  })
  await app.ready()
  // Fastify's default: unknown query keys are kept (no additionalProperties: false here), default error body.
  t.same((await app.inject({ url: '/host?a=1&b=2' })).json(), { query: { a: 1, b: '2' } })
  const res = await app.inject({ url: '/host-error' })
  t.equal(res.statusCode, 418)
  t.notOk('requestId' in res.json(), "the host's error handler, not the plugin's")
})

t.test('prefix and development options', async (t) => {
  const { app, store } = bare(t)
  await app.register(fastifyCompStore, { store })
  await app.register(fastifyTracker, { prefix: '/api/v1/runs', development: true })
  await app.ready()
  t.equal((await app.inject({ url: '/api/v1/runs' })).statusCode, 200)
  t.equal((await app.inject({ url: '/computations' })).statusCode, 404)
  const created = await app.inject({ method: 'POST', url: '/api/v1/runs', payload: { function: 'f' } })
  t.equal(created.headers.location, `/api/v1/runs/${created.json().id}`)

  // An unexpected error: details with the cause and stack in development only.
  store.computations.list = async () => {
    throw new TypeError('unexpected')
  }
  const body = (await app.inject({ url: '/api/v1/runs' })).json()
  t.match(body, {
    statusCode: 500,
    code: 'CM_ERR_INTERNAL',
    message: 'Internal server error',
    details: { cause: 'unexpected' },
  })
  t.type(body.details.stack, 'string')
})

t.test('no stack or internal message outside development', async (t) => {
  const { app, store } = await buildMemory(t)
  store.computations.list = async () => {
    throw new TypeError('secret internals')
  }
  const body = (await app.inject({ url: '/computations' })).json()
  t.same(Object.keys(body).sort(), ['code', 'error', 'message', 'requestId', 'statusCode'])
  t.equal(body.message, 'Internal server error')
  t.notMatch(JSON.stringify(body), /secret internals/)
})
