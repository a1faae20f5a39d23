// Subscriptions from the configuration: created at start, updated when they differ; bad options fail
// register() naming the option.
import { join } from 'node:path'
import fastifyCompStore from '@comp-manager/fastify-store'
import Fastify from 'fastify'
import t from 'tap'
import { fastifyWebhooks, generateSecret } from '../src/index.js'
import { build, FAST } from './fixtures/helpers.js'

t.test('configured subscriptions are created, then updated on the next start', async (t) => {
  const path = join(t.testdir(), 'config.db')
  const secret = generateSecret()
  const configured = { id: 'ops-hook', url: 'http://127.0.0.1:9/a', secret, types: ['failed' as const] }
  const first = await build(t, { path, webhooks: { ...FAST, subscriptions: [configured] } })
  t.match((await first.inject('/webhooks/ops-hook')).json(), {
    id: 'ops-hook',
    url: 'http://127.0.0.1:9/a',
    types: ['failed'],
  })
  await first.close()
  const second = await build(t, {
    path,
    webhooks: { ...FAST, subscriptions: [{ ...configured, url: 'http://127.0.0.1:9/b', types: undefined }] },
  })
  const list = (await second.inject('/webhooks')).json().data
  t.equal(list.length, 1, 'updated, not added')
  t.match(list[0], { id: 'ops-hook', url: 'http://127.0.0.1:9/b', types: null })
})

t.test('bad options fail register() naming the option', async (t) => {
  for (const [options, name] of [
    [{ timeoutMs: 5 }, 'timeoutMs'],
    [{ concurrency: 0 }, 'concurrency'],
    [{ retry: { baseMs: -1 } }, 'retry'],
    [{ subscriptions: [{ id: 'x', url: 'http://a/', secret: 'nope' }] }, 'subscriptions'],
    [{ unknown: true }, 'unknown'],
  ] as const) {
    const app = Fastify()
    t.teardown(() => app.close())
    await app.register(fastifyCompStore, { sqlite: { path: join(t.testdir(), `bad-${name}.db`) } })
    app.register(fastifyWebhooks, options as never)
    await t.rejects(
      async () => {
        await app.ready()
      },
      { message: new RegExp(name) },
      name,
    )
  }
})

t.test('a configured target that is forbidden stops the start', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(fastifyCompStore, { sqlite: { path: join(t.testdir(), 'forbidden.db') } })
  await app.register(fastifyWebhooks, {
    subscriptions: [{ id: 'meta', url: 'http://169.254.169.254/', secret: generateSecret() }],
  })
  await t.rejects(
    async () => {
      await app.ready()
    },
    { code: 'CM_ERR_VALIDATION' },
  )
})
