import { MemoryStore } from '@comp-manager/core'
import Fastify from 'fastify'
import fp from 'fastify-plugin'
import t from 'tap'
import fastifyCompStore, { fastifyCompStore as named, PLUGIN_NAME } from '../src/index.js'
import { newApp, ready } from './fixtures/helpers.js'

t.test('the plugin is exported default and named, with fastify-plugin metadata', async (t) => {
  t.equal(named, fastifyCompStore)
  const meta = (fastifyCompStore as unknown as Record<symbol, unknown>)[Symbol.for('plugin-meta')]
  t.match(meta, { fastify: '5.x', name: '@comp-manager/fastify-store' })
  t.equal(PLUGIN_NAME, '@comp-manager/fastify-store')
  t.equal((fastifyCompStore as unknown as Record<symbol, unknown>)[Symbol.for('skip-override')], true)
})

t.test('store: any Store instance is decorated as fastify.compStore, as is', async (t) => {
  const store = new MemoryStore()
  const app = newApp(t)
  await app.register(fastifyCompStore, { store })
  app.post('/entries', async (request, reply) => {
    const { key, value } = request.body as { key: string; value: string }
    await app.compStore.cache.set({
      namespace: 'default',
      key,
      function: 'f',
      functionFull: 'm/f',
      algorithm: 'sha256',
      value,
    })
    return reply.code(201).send({ key })
  })
  await app.ready()
  t.equal(app.compStore, store)
  const res = await app.inject({ method: 'POST', url: '/entries', payload: { key: 'a', value: '1' } })
  t.equal(res.statusCode, 201)
  t.same(res.json(), { key: 'a' })
  t.equal((await store.cache.get('default', 'a'))?.value, '1')
})

t.test('store: a store passed in is NOT closed by app.close() and stays usable', async (t) => {
  const store = new MemoryStore()
  let closes = 0
  const close = store.close.bind(store)
  store.close = async () => {
    closes++
    return close()
  }
  const app = Fastify()
  await app.register(fastifyCompStore, { store })
  await app.ready()
  await app.close()
  t.equal(closes, 0, 'close() never called')
  t.equal((await store.ping()).ok, true)
  const meta = await store.cache.set({
    namespace: 'default',
    key: 'after-close',
    function: 'f',
    functionFull: 'm/f',
    algorithm: 'sha256',
    value: '"still here"',
  })
  t.equal(meta.key, 'after-close')
  t.teardown(() => store.close())
})

t.test('the decorator is visible to the whole app (fastify-plugin), including later plugins', async (t) => {
  const app = newApp(t)
  await app.register(fastifyCompStore, { store: new MemoryStore() })
  let seen: string | undefined
  await app.register(async (child) => {
    seen = child.compStore.kind
  })
  await app.ready()
  t.equal(seen, 'memory')
  t.ok(app.hasDecorator('compStore'))
})

t.test('double registration is refused with a clear error', async (t) => {
  const app = newApp(t)
  await app.register(fastifyCompStore, { store: new MemoryStore() })
  await t.rejects(ready(app.register(fastifyCompStore, { store: new MemoryStore() })), {
    code: 'CM_ERR_INVALID_ARGUMENT',
    message: /`fastify\.compStore` is already decorated: register @comp-manager\/fastify-store once/,
  })
})

t.test('double registration inside another fastify-plugin is refused too', async (t) => {
  const app = newApp(t)
  await app.register(fastifyCompStore, { store: new MemoryStore() })
  const wrapper = fp(async (f) => {
    await f.register(fastifyCompStore, { store: new MemoryStore() })
  })
  await t.rejects(ready(app.register(wrapper)), {
    code: 'CM_ERR_INVALID_ARGUMENT',
    message: /already decorated/,
  })
})

t.test('several stores: one encapsulated context each, with distinct health check names', async (t) => {
  const app = newApp(t)
  const a = new MemoryStore()
  const b = new MemoryStore()
  const seen: unknown[] = []
  await app.register(async (child) => {
    await child.register(fastifyCompStore, { store: a, healthCheck: 'store-a' })
    child.get('/a', async () => ({ same: child.compStore === a }))
  })
  await app.register(async (child) => {
    await child.register(fastifyCompStore, { store: b, healthCheck: 'store-b' })
    seen.push(child.compStore === b)
  })
  await app.ready()
  t.same(seen, [true])
  t.same((await app.inject('/a')).json(), { same: true })
  t.notOk(app.hasDecorator('compStore'), 'the root has none')
})

t.test("Fastify's own register options (prefix, logLevel) are accepted", async (t) => {
  const app = newApp(t)
  await app.register(fastifyCompStore, { store: new MemoryStore(), prefix: '/x', logLevel: 'warn' } as never)
  await app.ready()
  t.equal(app.compStore.kind, 'memory')
})
