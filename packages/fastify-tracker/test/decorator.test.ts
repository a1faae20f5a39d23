// The `decorator` and `storeDecorator` options: the tracker under a chosen name, typed by
// TrackerDecorator and trackerOf, on the store decorated under the name given.
import { MemoryStore } from '@comp-manager/core'
import fastifyCompStore from '@comp-manager/fastify-store'
import { Tracker } from '@comp-manager/tracker'
import Fastify from 'fastify'
import t from 'tap'
import { fastifyTracker, type TrackerDecorator, trackerOf } from '../src/index.js'

declare module 'fastify' {
  interface FastifyInstance extends TrackerDecorator<'compTracker'> {}
}

const settled = async (registration: PromiseLike<unknown>) => {
  await registration
}

t.test('decorator + storeDecorator: the tracker under its name, on the store of that name', async (t) => {
  const store = new MemoryStore()
  const app = Fastify()
  t.teardown(() => app.close())
  app.decorate('tracker', 'a host value' as never) // the default name, taken by something else
  await app.register(fastifyCompStore, { store, decorator: 'cmStore' })
  await app.register(fastifyTracker, { decorator: 'compTracker', storeDecorator: 'cmStore' })
  await app.ready()
  const typed: Tracker = app.compTracker
  t.ok(typed instanceof Tracker)
  t.equal(trackerOf(app, 'compTracker'), typed)
  t.equal(typed.store, store)
  t.equal((app as unknown as { tracker: unknown }).tracker, 'a host value', 'left alone')
  const add = typed.track('add', async (a: number, b: number) => a + b)
  t.equal(await add(2, 3), 5)
  const listed = await app.inject({ method: 'GET', url: '/computations' })
  t.equal(listed.statusCode, 200)
  t.equal(listed.json().data[0].function, 'add')
  t.throws(() => trackerOf(app, 'nope'), { code: 'CM_ERR_INVALID_ARGUMENT', details: { decorator: 'nope' } })
})

t.test('bad or taken names: refused at register(), naming the option or the decorator', async (t) => {
  for (const [option, value] of [
    ['decorator', 'comp tracker'],
    ['storeDecorator', ''],
    ['decorator', 42],
  ] as const) {
    const app = Fastify()
    t.teardown(() => app.close())
    await app.register(fastifyCompStore, { store: new MemoryStore() })
    await t.rejects(
      settled(app.register(fastifyTracker, { [option]: value } as never)),
      { code: 'CM_ERR_INVALID_ARGUMENT', details: { option }, message: /a decorator name/ },
      option,
    )
  }
  for (const name of ['__proto__', 'compStore', 'inject']) {
    const app = Fastify()
    t.teardown(() => app.close())
    await app.register(fastifyCompStore, { store: new MemoryStore() })
    await t.rejects(settled(app.register(fastifyTracker, { decorator: name })), {
      message: /is already decorated/,
      details: { decorator: name },
    })
  }
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(fastifyCompStore, { store: new MemoryStore() })
  await t.rejects(settled(app.register(fastifyTracker, { storeDecorator: 'other' })), {
    message:
      /`fastify\.other` is missing: register @comp-manager\/fastify-store first with \{ decorator: 'other' \}/,
  })
})
