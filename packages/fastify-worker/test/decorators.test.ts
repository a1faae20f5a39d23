// The decorator names are options: `decorator` (default `workerProtocol`) and `storeDecorator`
// (default `compStore`), for a host that already has a decorator of that name.
import { MemoryStore } from '@comp-manager/core'
import fastifyCompStore from '@comp-manager/fastify-store'
import Fastify from 'fastify'
import t from 'tap'
import fastifyWorker, { type WorkerProtocolDecorator } from '../src/index.js'

declare module 'fastify' {
  interface FastifyInstance extends WorkerProtocolDecorator<'compWorkers'> {}
}

t.test('decorator and storeDecorator rename what the plugin uses and adds', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  app.decorate('workerProtocol' as string, 'the host app’s own')
  await app.register(fastifyCompStore, { store: new MemoryStore(), decorator: 'myStore' })
  await app.register(fastifyWorker, { decorator: 'compWorkers', storeDecorator: 'myStore' })
  await app.ready()
  t.equal(Reflect.get(app, 'workerProtocol'), 'the host app’s own', 'the host’s decorator is left alone')
  t.equal(await app.compWorkers.recover(), 0, 'the protocol is under its new name')
  const res = await app.inject({ method: 'GET', url: '/workers' })
  t.equal(res.statusCode, 200, 'the routes use the renamed store')
})

t.test('a taken name, a missing store or a bad name fails register() naming it', async (t) => {
  const taken = Fastify()
  t.teardown(() => taken.close())
  taken.decorate('workerProtocol' as string, 1)
  await taken.register(fastifyCompStore, { store: new MemoryStore() })
  taken.register(fastifyWorker)
  await t.rejects(async () => taken.ready(), {
    code: 'CM_ERR_INVALID_ARGUMENT',
    details: { decorator: 'workerProtocol' },
  })

  const missing = Fastify()
  t.teardown(() => missing.close())
  await missing.register(fastifyCompStore, { store: new MemoryStore() })
  missing.register(fastifyWorker, { storeDecorator: 'otherStore' })
  await t.rejects(async () => missing.ready(), {
    code: 'CM_ERR_INVALID_ARGUMENT',
    details: { decorator: 'otherStore' },
  })

  for (const decorator of ['has space', '__proto__', 42]) {
    const bad = Fastify()
    t.teardown(() => bad.close())
    await bad.register(fastifyCompStore, { store: new MemoryStore() })
    bad.register(fastifyWorker, { decorator } as never)
    await t.rejects(
      async () => bad.ready(),
      { code: 'CM_ERR_INVALID_ARGUMENT' },
      `decorator ${String(decorator)}`,
    )
  }
})
