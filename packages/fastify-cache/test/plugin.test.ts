import { join } from 'node:path'
import { Cache } from '@comp-manager/cache'
import { MemoryStore } from '@comp-manager/core'
import { fastifyAuth } from '@comp-manager/fastify-auth'
import { runHealthChecks } from '@comp-manager/fastify-kit'
import { fastifyCompStore } from '@comp-manager/fastify-store'
import Fastify from 'fastify'
import fp from 'fastify-plugin'
import t from 'tap'
import '../src/decorator.js'
import fastifyCacheDefault, { fastifyCache, PLUGIN_NAME } from '../src/index.js'
import { build, expectStatus, fill, SECRET, standaloneCache } from './fixtures/helpers.js'

t.test('exported default and named, with its fastify-plugin metadata', async (t) => {
  t.equal(fastifyCacheDefault, fastifyCache)
  const meta = (
    fastifyCache as unknown as Record<symbol, { name: string; fastify: string; dependencies: string[] }>
  )[Symbol.for('plugin-meta')]
  t.match(meta, {
    name: '@comp-manager/fastify-cache',
    fastify: '5.x',
    dependencies: ['@comp-manager/fastify-store'],
  })
  t.equal(PLUGIN_NAME, '@comp-manager/fastify-cache')
})

t.test('registered alone with fastify-store (SQLite in a tmp dir) in a bare app', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(fastifyCompStore, { sqlite: { path: join(t.testdir(), 'cm.db') } })
  await app.register(fastifyCache)
  await app.ready()
  t.ok(app.cache instanceof Cache, 'fastify.cache is a Cache')
  t.equal(app.cache.namespace, 'default')
  t.equal(app.cache.store, app.compStore, 'created on fastify.compStore')
  const { square, runs } = await fill(app.cache)
  await square(2)
  t.equal(runs.square, 3, 'memoized in SQLite')

  const list = expectStatus(t, await app.inject({ url: '/cache?function=square&sort=createdAt' }), 200)
  t.equal(list.total, 3)
  const key = app.cache.explain('square', [2]).key
  const entry = expectStatus(t, await app.inject({ url: `/cache/${key}` }), 200)
  t.same(entry.value, 4)
  const stats = expectStatus(t, await app.inject({ url: '/cache/stats' }), 200)
  t.match(stats, { hits: 1, misses: 4, entries: 4 })
  t.same(
    expectStatus(
      t,
      await app.inject({ method: 'POST', url: '/cache/invalidate', payload: { tag: 'math' } }),
      200,
    ),
    {
      deleted: 3,
      namespace: 'default',
    },
  )
  expectStatus(
    t,
    await app.inject({ method: 'DELETE', url: `/cache/${app.cache.explain('greet', ['ada']).key}` }),
    204,
  )
  t.equal((await app.compStore.cache.stats('default')).entries, 0)
  t.notOk(app.hasDecorator('authorize'), 'no auth: the routes are open')
})

t.test('the cache it creates is closed on close; a cache passed in is left open', async (t) => {
  const store = new MemoryStore()
  t.teardown(() => store.close())

  const app = Fastify()
  await app.register(fastifyCompStore, { store })
  await app.register(fastifyCache, { namespace: 'own' })
  await app.ready()
  const created = app.cache
  await app.close()
  await t.rejects(created.get('x'), { code: 'CM_ERR_STORE_UNAVAILABLE' }, 'the created cache is closed')

  const { store: store2, cache } = standaloneCache(t, 'mine')
  const app2 = Fastify()
  await app2.register(fastifyCompStore, { store: store2 })
  await app2.register(fastifyCache, { cache })
  await app2.ready()
  t.equal(app2.cache, cache, 'the cache passed in is decorated as is')
  await cache.set('k', 1)
  const entry = expectStatus(t, await app2.inject({ url: '/cache/k' }), 200)
  t.equal(entry.namespace, 'mine', 'its namespace is the plugin namespace')
  await app2.close()
  t.equal(await cache.get('k'), 1, 'a cache passed in is left open')
})

t.test('cacheOptions reach createCache; logger defaults to fastify.log', async (t) => {
  const app = await build(t, { cache: { namespace: 'opts', cacheOptions: { ttl: '1h', l1: { max: 5 } } } })
  const meta = await app.cache.set('a', 1)
  t.ok(meta.expiresAt !== null && meta.expiresAt - meta.createdAt === 3_600_000, 'ttl applied')
  const stats = await app.cache.stats()
  t.same(stats.l1, { entries: 1, bytes: stats.l1!.bytes }, 'l1 on')
})

t.test('prefix moves the routes', async (t) => {
  const app = await build(t, { cache: { prefix: '/api/v1/memo' } })
  await app.cache.set('k', 'v')
  expectStatus(t, await app.inject({ url: '/api/v1/memo' }), 200)
  expectStatus(t, await app.inject({ url: '/api/v1/memo/stats' }), 200)
  expectStatus(t, await app.inject({ url: '/api/v1/memo/k' }), 200)
  t.equal((await app.inject({ url: '/cache' })).statusCode, 404)
})

t.test('a health check named cache', async (t) => {
  const app = await build(t)
  const report = await runHealthChecks(app)
  t.equal(report.ok, true)
  t.match(report.checks.cache, { ok: true, details: { namespace: 'default', store: 'memory' } })
  t.match(report.checks.store, { ok: true })

  await app.compStore.close()
  const down = await runHealthChecks(app)
  t.equal(down.ok, false)
  t.match(down.checks.cache, { ok: false, error: /store unreachable/ })
  expectStatus(t, await app.inject({ url: '/cache/stats' }), 503, 'CM_ERR_STORE_UNAVAILABLE')
})

t.test('a second instance in another encapsulated context gets its own check name', async (t) => {
  const store = new MemoryStore()
  t.teardown(() => store.close())
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(fastifyCompStore, { store })
  await app.register(async (child) => {
    await child.register(fastifyCache, { namespace: 'a', prefix: '/a' })
  })
  await app.register(async (child) => {
    await child.register(fastifyCache, { namespace: 'b', prefix: '/b' })
  })
  await app.ready()
  const report = await runHealthChecks(app)
  t.same(Object.keys(report.checks).sort(), ['cache', 'cache:b', 'store'])
  expectStatus(t, await app.inject({ url: '/a/stats' }), 200)
  expectStatus(t, await app.inject({ url: '/b/stats' }), 200)
})

t.test('bad options make ready() reject with CM_ERR_INVALID_ARGUMENT naming the option', async (t) => {
  const other = standaloneCache(t, 'elsewhere')
  const cases: Array<[string, unknown, string]> = [
    ['unknown option', { namespce: 'x' }, 'namespce'],
    ['not an object', 'default', 'options'],
    ['bad namespace', { namespace: 'has space' }, 'namespace'],
    ['empty namespace', { namespace: '' }, 'namespace'],
    ['bad prefix', { prefix: 'cache' }, 'prefix'],
    ['trailing slash', { prefix: '/cache/' }, 'prefix'],
    ['cache not a Cache', { cache: { namespace: 'x' } }, 'cache'],
    ['cache and cacheOptions', { cache: other.cache, cacheOptions: {} }, 'cacheOptions'],
    ['cache in another store', { cache: other.cache }, 'cache'],
    ['namespace ≠ cache.namespace', { cache: other.cache, namespace: 'default' }, 'namespace'],
    ['cacheOptions not an object', { cacheOptions: [] }, 'cacheOptions'],
    ['cacheOptions.store', { cacheOptions: { store: new MemoryStore() } }, 'cacheOptions.store'],
    ['cacheOptions.namespace', { cacheOptions: { namespace: 'x' } }, 'cacheOptions.namespace'],
    ['cacheOptions.ttl', { cacheOptions: { ttl: '1 hour' } }, 'cacheOptions.ttl'],
    ['cacheOptions typo', { cacheOptions: { tll: '1h' } }, 'cacheOptions.tll'],
    ['development', { development: 'yes' }, 'development'],
  ]
  for (const [label, options, option] of cases) {
    const store = new MemoryStore()
    const app = Fastify()
    await app.register(fastifyCompStore, { store })
    app.register(fastifyCache, options as never)
    await t.rejects(
      async () => {
        await app.ready()
      },
      {
        code: 'CM_ERR_INVALID_ARGUMENT',
        details: { option },
        message: new RegExp(`${PLUGIN_NAME}.*${option.replace('.', '\\.')}`),
      },
      label,
    )
    await app.close().catch(() => undefined)
    await store.close()
  }
})

t.test('needs fastify-store; refuses a second registration and a fastify.cache from elsewhere', async (t) => {
  const bare = Fastify()
  bare.register(fastifyCache)
  await t.rejects(
    async () => {
      await bare.ready()
    },
    { code: 'FST_ERR_PLUGIN_DEPENDENCY_NOT_REGISTERED' },
    'fastify-store missing',
  )
  await bare.close().catch(() => undefined)

  const { store } = standaloneCache(t)
  const twice = Fastify()
  await twice.register(fastifyCompStore, { store })
  await twice.register(fastifyCache)
  twice.register(fastifyCache, { prefix: '/again' })
  await t.rejects(
    async () => {
      await twice.ready()
    },
    { code: 'CM_ERR_INVALID_ARGUMENT', details: { decorator: 'cache' } },
  )
  await twice.close().catch(() => undefined)

  const taken = Fastify()
  await taken.register(fastifyCompStore, { store: new MemoryStore() })
  await taken.register(
    fp(async (f) => {
      f.decorate('cache', { get() {} } as never)
    }),
  )
  taken.register(fastifyCache)
  await t.rejects(
    async () => {
      await taken.ready()
    },
    { code: 'CM_ERR_INVALID_ARGUMENT', message: /@fastify\/caching/ },
  )
  await taken.close().catch(() => undefined)
})

t.test('an auth plugin registered after the plugin is refused (the routes would be open)', async (t) => {
  const { store } = standaloneCache(t)
  const app = Fastify()
  await app.register(fastifyCompStore, { store })
  await app.register(fastifyCache)
  await app.register(fastifyAuth, { secret: SECRET })
  await t.rejects(
    async () => {
      await app.ready()
    },
    { code: 'CM_ERR_INVALID_ARGUMENT', details: { decorator: 'authorize' } },
  )
  await app.close().catch(() => undefined)
})

t.test('development shows the cause of a 500; production does not', async (t) => {
  for (const development of [false, true]) {
    const app = await build(t, { cache: { development } })
    app.compStore.cache.list = async () => {
      throw new Error('disk on fire')
    }
    const body = expectStatus(t, await app.inject({ url: '/cache' }), 500, 'CM_ERR_INTERNAL')
    t.equal(body.message, 'Internal server error')
    if (development) t.match(body.details, { cause: 'disk on fire', stack: String })
    else t.notOk(JSON.stringify(body).includes('disk on fire'), 'nothing of the cause leaks')
  }
})
