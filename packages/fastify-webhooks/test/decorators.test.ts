// The decorator names are options (issue 15): `decorator` (default `webhooks`) and `storeDecorator`
// (default `compStore`), for a host that already has a decorator of that name.
import { join } from 'node:path'
import fastifyCompStore from '@comp-manager/fastify-store'
import Fastify from 'fastify'
import t from 'tap'
import { fastifyWebhooks, type WebhooksDecorator } from '../src/index.js'
import { FAST } from './fixtures/helpers.js'

declare module 'fastify' {
  interface FastifyInstance extends WebhooksDecorator<'compWebhooks'> {}
}

t.test('decorator and storeDecorator rename what the plugin uses and adds', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  app.decorate('webhooks' as string, 'the host app’s own')
  await app.register(fastifyCompStore, { sqlite: { path: join(t.testdir(), 'cm.db') }, decorator: 'myStore' })
  await app.register(fastifyWebhooks, { ...FAST, decorator: 'compWebhooks', storeDecorator: 'myStore' })
  await app.ready()
  t.equal(Reflect.get(app, 'webhooks'), 'the host app’s own', 'the host’s decorator is left alone')
  t.type(app.compWebhooks.service.create, 'function', 'the service is under its new name')
  t.ok(app.compWebhooks.dispatcher, 'with the dispatcher')
  const created = await app.inject({
    method: 'POST',
    url: '/webhooks',
    payload: { url: 'http://127.0.0.1:9/hook' },
  })
  t.equal(created.statusCode, 201, 'the routes use the renamed store')
  t.notOk(app.hasDecorator('compStore'), 'there is no compStore')
  const list = await app.compWebhooks.service.subscriptions.list(null)
  t.equal(list.length, 1, 'the subscription is listed by the renamed decorator')
})

t.test('a taken name, a missing store or a bad name fails register() naming it', async (t) => {
  const taken = Fastify()
  t.teardown(() => taken.close())
  taken.decorate('webhooks' as string, 1)
  await taken.register(fastifyCompStore, { sqlite: { path: join(t.testdir(), 'taken.db') } })
  taken.register(fastifyWebhooks, FAST)
  await t.rejects(async () => taken.ready(), {
    code: 'CM_ERR_INVALID_ARGUMENT',
    details: { decorator: 'webhooks' },
  })

  const missing = Fastify()
  t.teardown(() => missing.close())
  await missing.register(fastifyCompStore, { sqlite: { path: join(t.testdir(), 'missing.db') } })
  missing.register(fastifyWebhooks, { ...FAST, storeDecorator: 'otherStore' })
  await t.rejects(async () => missing.ready(), {
    code: 'CM_ERR_INVALID_ARGUMENT',
    details: { decorator: 'otherStore' },
  })

  for (const [option, value] of [
    ['decorator', 'has space'],
    ['decorator', '__proto__'],
    ['decorator', 42],
    ['storeDecorator', '9lives'],
  ] as const) {
    const bad = Fastify()
    t.teardown(() => bad.close())
    await bad.register(fastifyCompStore, { sqlite: { path: join(t.testdir(), `bad-${option}-${value}.db`) } })
    bad.register(fastifyWebhooks, { ...FAST, [option]: value } as never)
    await t.rejects(
      async () => bad.ready(),
      { code: 'CM_ERR_INVALID_ARGUMENT' },
      `${option} ${String(value)}`,
    )
  }
})
