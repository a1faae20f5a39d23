import { join } from 'node:path'
import { Writable } from 'node:stream'
import { setImmediate as tick } from 'node:timers/promises'
import { MemoryStore } from '@comp-manager/core'
import { createSqliteStore } from '@comp-manager/sqlite-store'
import type { FastifyInstance } from 'fastify'
import t, { type Test } from 'tap'
import {
  buildApp,
  ConfigError,
  DEFAULT_EVENTS_MAX_COUNT,
  DEFAULT_EVENTS_PRUNE_INTERVAL_MS,
  DEFAULT_EVENTS_RETENTION_MS,
  type EventRetentionConfig,
  SQLITE_FILE_NAME,
} from '../src/index.js'
import { bearer, testConfig, tmpDir } from './fixtures/helpers.js'

/** Waits (polling) until `condition()` holds; fails the test after 10 s. */
async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (condition()) return
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  throw new Error(`timed out waiting for ${what}`)
}

const events = (app: FastifyInstance) => {
  const log = app.compStore.events
  if (log === undefined) throw new Error('the store has no event log')
  return log
}

async function app(
  t: Test,
  retention: EventRetentionConfig | null,
  options: Parameters<typeof buildApp>[1] & { env?: Record<string, string> } = {},
): Promise<FastifyInstance> {
  const { env, ...rest } = options
  const config = { ...testConfig(env), events: retention }
  const built = await buildApp(config, { logger: false, ...rest })
  t.teardown(() => built.close())
  return built
}

let made = 0

/** Creates `n` new computations (distinct args: never deduplicated), one `queued` event each. */
async function create(app: FastifyInstance, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/computations',
      headers: bearer(app, 'operator'),
      payload: { function: 'kept', args: [made++] },
    })
    if (res.statusCode !== 201) throw new Error(`POST /computations: ${res.statusCode} ${res.body}`)
  }
}

t.test('EVENTS_*: defaults, overrides, off, bad values', async (t) => {
  t.same(testConfig().events, {
    maxAgeMs: DEFAULT_EVENTS_RETENTION_MS,
    maxCount: DEFAULT_EVENTS_MAX_COUNT,
    intervalMs: DEFAULT_EVENTS_PRUNE_INTERVAL_MS,
  })
  t.same(DEFAULT_EVENTS_RETENTION_MS, 7 * 86_400_000, '7 days')
  t.same(DEFAULT_EVENTS_MAX_COUNT, 1_000_000)
  t.same(
    testConfig({ EVENTS_RETENTION: '2d', EVENTS_MAX_COUNT: '5000', EVENTS_PRUNE_INTERVAL: '30s' }).events,
    { maxAgeMs: 2 * 86_400_000, maxCount: 5000, intervalMs: 30_000 },
  )
  t.equal(testConfig({ EVENTS_PRUNE_ENABLED: 'false' }).events, null)
  const error = t.throws(() =>
    testConfig({ EVENTS_MAX_COUNT: '0', EVENTS_RETENTION: 'forever', EVENTS_PRUNE_INTERVAL: '10ms' }),
  ) as ConfigError
  t.type(error, ConfigError)
  t.same(error.problems.map((p) => p.variable).sort(), [
    'EVENTS_MAX_COUNT',
    'EVENTS_PRUNE_INTERVAL',
    'EVENTS_RETENTION',
  ])
})

t.test('SQLite file: events older than the retention go, recent ones stay', async (t) => {
  const dir = tmpDir(t)
  // Another process, two hours ago, on the same file: four `started` events of that time.
  const past = createSqliteStore({ path: join(dir, SQLITE_FILE_NAME), clock: () => Date.now() - 7_200_000 })
  for (let i = 0; i < 4; i++) {
    await past.computations.claim({
      namespace: 'default',
      function: 'old',
      functionFull: 'old',
      args: { i },
      hash: `old-${i}`,
      hashAlgorithm: 'sha256',
      owner: 'w',
      pid: 1,
      host: 'h',
      leaseMs: 30_000,
    })
  }
  await past.close()
  const server = await app(
    t,
    { maxAgeMs: 3_600_000, maxCount: 1_000_000, intervalMs: 50 },
    {
      env: { COMP_MANAGER_DATA_DIR: dir },
    },
  )
  t.equal(server.compStore.kind, 'sqlite')
  await create(server, 2)
  const passes = server.compEventRetention.stats.passes
  await until(() => server.compEventRetention.stats.passes >= passes + 2, 'two more passes')
  const kept = await events(server).read({ namespace: 'default' })
  t.same(
    kept.map((e) => [e.type, e.function]),
    [
      ['queued', 'kept'],
      ['queued', 'kept'],
    ],
    'only the two recent events are left',
  )
  t.equal(server.compEventRetention.stats.pruned, 4)
  t.equal(server.compEventRetention.stats.failures, 0)
  t.ok(server.compEventRetention.active)
})

t.test('SQLite file: at most maxCount events, the newest, pass after pass', async (t) => {
  const dir = tmpDir(t)
  const server = await app(
    t,
    { maxAgeMs: 86_400_000, maxCount: 3, intervalMs: 50 },
    {
      env: { COMP_MANAGER_DATA_DIR: dir },
    },
  )
  await create(server, 6)
  const all = await events(server).lastSequence()
  let passes = server.compEventRetention.stats.passes
  await until(() => server.compEventRetention.stats.passes >= passes + 2, 'two more passes')
  t.same(
    (await events(server).read({ namespace: 'default' })).map((e) => e.sequence),
    [all - 2, all - 1, all],
    'the three newest',
  )
  await create(server, 2)
  passes = server.compEventRetention.stats.passes
  await until(() => server.compEventRetention.stats.passes >= passes + 2, 'two more passes')
  t.same(
    (await events(server).read({ namespace: 'default' })).map((e) => e.sequence),
    [all, all + 1, all + 2],
    'a later pass prunes the newer ones too',
  )
  t.equal(server.compEventRetention.stats.pruned, 5)
})

t.test('a failing prune is logged as a warning; the server keeps serving and retries', async (t) => {
  const lines: Array<Record<string, unknown>> = []
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line))
      done()
    },
  })
  const store = new MemoryStore()
  const log = store.events!
  const realPrune = log.prune.bind(log)
  let failing = true
  log.prune = async (retention) => {
    if (failing) throw new Error('disk on fire')
    return realPrune(retention)
  }
  const server = await app(
    t,
    { maxAgeMs: 60_000, maxCount: 10, intervalMs: 20 },
    {
      store,
      logger: { level: 'warn', stream },
    },
  )
  await until(() => server.compEventRetention.stats.failures >= 2, 'two failed passes')
  const warned = lines.filter((l) => l.msg === 'pruning the event log failed')
  t.ok(warned.length >= 2, `${warned.length} warnings`)
  t.match(warned[0], { level: 40, err: { message: 'disk on fire' } })
  t.equal((await server.inject('/health')).statusCode, 200, 'still serving')
  await create(server, 12)
  failing = false
  const passes = server.compEventRetention.stats.passes
  await until(() => server.compEventRetention.stats.passes >= passes + 2, 'two more passes')
  t.equal((await events(server).read({ namespace: 'default' })).length, 10, 'pruned once it works again')
  t.ok(server.compEventRetention.active, 'the timer survived the failures')
})

t.test(
  'a pass still running makes the next ones skipped; close waits for it, then stops the timer',
  async (t) => {
    const store = new MemoryStore()
    let calls = 0
    let release!: () => void
    store.events!.prune = () => {
      calls++
      return new Promise<number>((resolve) => {
        release = () => resolve(0)
      })
    }
    const server = await buildApp(
      { ...testConfig(), events: { maxAgeMs: 60_000, maxCount: 10, intervalMs: 20 } },
      { store, logger: false },
    )
    await until(() => server.compEventRetention.stats.skipped >= 3, 'three skipped passes')
    t.equal(calls, 1, 'one pass at a time')
    let closed = false
    const closing = server.close().then(() => {
      closed = true
    })
    for (let i = 0; i < 20; i++) await tick()
    t.notOk(closed, 'close waits for the pass in progress')
    t.notOk(server.compEventRetention.active, 'the timer is stopped at once')
    release()
    await closing
    t.equal(server.compEventRetention.stats.passes, 1)
    await new Promise((resolve) => setTimeout(resolve, 100))
    t.equal(calls, 1, 'no pass after close')
  },
)

t.test('closing stops the timer', async (t) => {
  const store = new MemoryStore()
  let calls = 0
  const prune = store.events!.prune.bind(store.events!)
  store.events!.prune = (retention) => {
    calls++
    return prune(retention)
  }
  const server = await buildApp(
    { ...testConfig(), events: { maxAgeMs: 60_000, maxCount: 10, intervalMs: 20 } },
    { store, logger: false },
  )
  await until(() => calls >= 3, 'three passes')
  await server.close()
  t.notOk(server.compEventRetention.active)
  const after = calls
  await new Promise((resolve) => setTimeout(resolve, 100))
  t.equal(calls, after, 'no pass after close')
})

t.test('EVENTS_PRUNE_ENABLED=false: never pruned', async (t) => {
  const store = new MemoryStore()
  let calls = 0
  store.events!.prune = async () => {
    calls++
    return 0
  }
  const server = await app(t, null, { store, env: { EVENTS_PRUNE_ENABLED: 'false' } })
  t.equal(server.compEventRetention.config, null)
  t.notOk(server.compEventRetention.active)
  t.equal(await server.compEventRetention.runNow(), 0)
  t.equal(calls, 0)
})
