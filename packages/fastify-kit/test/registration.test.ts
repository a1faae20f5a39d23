// claimDecorator and decoratorOf with chosen decorator names.
import { MemoryStore } from '@comp-manager/core'
import Fastify from 'fastify'
import t from 'tap'
import { claimDecorator, decoratorOf, STORE_DECORATOR } from '../src/index.js'

t.test('claimDecorator finds the store under the name given, and refuses names taken', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  const store = new MemoryStore()
  app.decorate('myStore', store)
  t.equal(claimDecorator(app, { plugin: 'p', decorator: 'mine', storeDecorator: 'myStore' }), store)
  t.throws(() => claimDecorator(app, { plugin: 'p', decorator: 'mine' }), {
    code: 'CM_ERR_INVALID_ARGUMENT',
    message: /^p: `fastify\.compStore` is missing: register @comp-manager\/fastify-store first$/,
    details: { decorator: STORE_DECORATOR },
  })
  t.throws(() => claimDecorator(app, { plugin: 'p', decorator: 'mine', storeDecorator: 'other' }), {
    message:
      /`fastify\.other` is missing: register @comp-manager\/fastify-store first with \{ decorator: 'other' \}/,
    details: { decorator: 'other' },
  })
  for (const taken of ['myStore', '__proto__', 'constructor', 'register', 'log']) {
    t.throws(
      () => claimDecorator(app, { plugin: 'p', decorator: taken, storeDecorator: 'myStore' }),
      { code: 'CM_ERR_INVALID_ARGUMENT', message: /is already decorated/, details: { decorator: taken } },
      taken,
    )
  }
})

t.test('decoratorOf: the decorator typed as asked, or an error naming it', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  app.decorate('answer', { value: 42 })
  t.equal(decoratorOf<{ value: number }>(app, 'answer').value, 42)
  t.throws(() => decoratorOf(app, 'missing', 'my-plugin'), {
    code: 'CM_ERR_INVALID_ARGUMENT',
    message: /^my-plugin: `fastify\.missing` is not decorated/,
    details: { decorator: 'missing' },
  })
})
