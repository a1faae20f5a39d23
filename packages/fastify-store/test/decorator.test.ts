// The `decorator` option: the store under a chosen name, typed by StoreDecorator and storeOf.
import { MemoryStore, type Store } from '@comp-manager/core'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import t from 'tap'
import fastifyCompStore, { type StoreDecorator, storeOf } from '../src/index.js'
import { newApp, ready } from './fixtures/helpers.js'

declare module 'fastify' {
  interface FastifyInstance extends StoreDecorator<'jobsStore'> {}
}

t.test('decorator: the store is fastify[decorator], compStore left free', async (t) => {
  const store = new MemoryStore()
  const app = newApp(t)
  await app.register(fastifyCompStore, { store, decorator: 'jobsStore', healthCheck: 'jobs' })
  await app.ready()
  const typed: Store = app.jobsStore
  t.equal(typed, store)
  t.equal(storeOf(app, 'jobsStore'), store)
  t.notOk(app.hasDecorator('compStore'))
  t.throws(() => storeOf(app), {
    code: 'CM_ERR_INVALID_ARGUMENT',
    message: /`fastify\.compStore` is not decorated/,
  })
})

t.test('two stores side by side in one context, each under its own name', async (t) => {
  const app = newApp(t)
  const [a, b] = [new MemoryStore(), new MemoryStore()]
  await app.register(fastifyCompStore, { store: a })
  await app.register(fastifyCompStore, { store: b, decorator: 'jobsStore', healthCheck: 'jobs' })
  await app.ready()
  t.equal(app.compStore, a)
  t.equal(storeOf(app, 'jobsStore'), b)
})

t.test('a name already taken, or not an identifier: refused at register()', async (t) => {
  for (const decorator of ['jobsStore', '__proto__', 'constructor', 'log']) {
    const app = newApp(t)
    app.decorate('jobsStore', new MemoryStore())
    await t.rejects(ready(app.register(fastifyCompStore, { store: new MemoryStore(), decorator })), {
      code: 'CM_ERR_INVALID_ARGUMENT',
      message: new RegExp(`\`fastify\\.${decorator.replace(/\$/g, '\\$')}\` is already decorated`),
      details: { decorator },
    })
  }
  for (const decorator of ['', 'my-store', '9lives', 'a.b', 5, null]) {
    const app = newApp(t)
    await t.rejects(
      ready(app.register(fastifyCompStore, { store: new MemoryStore(), decorator } as never)),
      { code: 'CM_ERR_INVALID_ARGUMENT', details: { option: 'decorator' }, message: /a decorator name/ },
      String(decorator),
    )
  }
})

t.test('inside another plugin the chosen name is visible to its parent (fastify-plugin)', async (t) => {
  const app: FastifyInstance = newApp(t)
  const store = new MemoryStore()
  await app.register(fp(async (f) => f.register(fastifyCompStore, { store, decorator: 'jobsStore' })))
  await app.ready()
  t.equal(app.jobsStore, store)
})
