// The `decorator` and `storeDecorator` options: the cache under a chosen name (next to another plugin's
// `fastify.cache`, as @fastify/caching decorates it), typed by CacheDecorator and cacheOf.
import { Cache } from '@comp-manager/cache'
import { MemoryStore } from '@comp-manager/core'
import { fastifyCompStore } from '@comp-manager/fastify-store'
import Fastify from 'fastify'
import t from 'tap'
import { type CacheDecorator, cacheOf, fastifyCache } from '../src/index.js'
import { build } from './fixtures/helpers.js'

const settled = async (registration: PromiseLike<unknown>) => {
  await registration
}

declare module 'fastify' {
  interface FastifyInstance extends CacheDecorator<'compCache'> {}
}

t.test('decorator: fastify[decorator] is the cache, and its routes serve it', async (t) => {
  const app = await build(t, { cache: { decorator: 'compCache' } })
  const typed: Cache = app.compCache
  t.ok(typed instanceof Cache)
  t.equal(cacheOf(app, 'compCache'), typed)
  t.notOk(app.hasDecorator('cache'), 'fastify.cache left free')
  t.throws(() => cacheOf(app), {
    code: 'CM_ERR_INVALID_ARGUMENT',
    message: /`fastify\.cache` is not decorated/,
  })
  const square = app.compCache.wrap('square', async (n: number) => n * n)
  t.equal(await square(4), 16)
  const stats = await app.inject({ method: 'GET', url: '/cache/stats' })
  t.equal(stats.statusCode, 200)
  t.match(stats.json(), { entries: 1 })
  const report = await app.inject({ method: 'GET', url: '/cache' })
  t.equal(report.json().data[0].function, 'square')
})

t.test("next to another plugin's fastify.cache: the default refuses, another name works", async (t) => {
  const other = { get() {}, set() {} } // what @fastify/caching decorates
  const taken = Fastify()
  t.teardown(() => taken.close())
  taken.decorate('cache', other as never)
  await taken.register(fastifyCompStore, { store: new MemoryStore() })
  await t.rejects(settled(taken.register(fastifyCache)), {
    code: 'CM_ERR_INVALID_ARGUMENT',
    message:
      /`fastify\.cache` is already decorated \(by this plugin, or another one such as @fastify\/caching\)/,
    details: { decorator: 'cache' },
  })

  const app = Fastify()
  t.teardown(() => app.close())
  app.decorate('cache', other as never)
  await app.register(fastifyCompStore, { store: new MemoryStore() })
  await app.register(fastifyCache, { decorator: 'compCache' })
  await app.ready()
  t.equal((app as unknown as { cache: unknown }).cache, other, "the other plugin's decorator is untouched")
  t.ok(cacheOf(app, 'compCache') instanceof Cache)
})

t.test('storeDecorator: the cache lives in the store decorated under that name', async (t) => {
  const store = new MemoryStore()
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(fastifyCompStore, { store, decorator: 'cmStore' })
  await app.register(fastifyCache, { storeDecorator: 'cmStore', decorator: 'compCache' })
  await app.ready()
  t.equal(app.compCache.store, store)

  const missing = Fastify()
  t.teardown(() => missing.close())
  await missing.register(fastifyCompStore, { store: new MemoryStore(), decorator: 'cmStore' })
  await t.rejects(settled(missing.register(fastifyCache)), {
    code: 'CM_ERR_INVALID_ARGUMENT',
    message: /`fastify\.compStore` is missing: register @comp-manager\/fastify-store first/,
  })
})

t.test('bad names: refused at register(), naming the option', async (t) => {
  for (const [option, value] of [
    ['decorator', 'comp-cache'],
    ['decorator', ''],
    ['storeDecorator', '1store'],
    ['decorator', { toString: () => 'x' }],
  ] as const) {
    const app = Fastify()
    t.teardown(() => app.close())
    await app.register(fastifyCompStore, { store: new MemoryStore() })
    await t.rejects(
      settled(app.register(fastifyCache, { [option]: value } as never)),
      { code: 'CM_ERR_INVALID_ARGUMENT', details: { option }, message: /a decorator name/ },
      `${option}: ${String(value)}`,
    )
  }
  for (const name of ['__proto__', 'constructor', 'compStore', 'register']) {
    const app = Fastify()
    t.teardown(() => app.close())
    await app.register(fastifyCompStore, { store: new MemoryStore() })
    await t.rejects(
      settled(app.register(fastifyCache, { decorator: name })),
      { message: /is already decorated/ },
      name,
    )
  }
})
