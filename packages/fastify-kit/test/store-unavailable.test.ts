// A 503 CM_ERR_STORE_UNAVAILABLE tells the client when to come back (issue 13).
import { cmError } from '@comp-manager/core'
import Fastify from 'fastify'
import t from 'tap'
import { createErrorHandler, STORE_RETRY_AFTER_SECONDS } from '../src/index.js'

t.test(
  'CM_ERR_STORE_UNAVAILABLE gets retry-after unless the route set one; other errors do not',
  async (t) => {
    const app = Fastify()
    t.teardown(() => app.close())
    app.setErrorHandler(createErrorHandler())
    app.get('/down', async () => {
      throw cmError(
        'CM_ERR_STORE_UNAVAILABLE',
        'sqlite-store computations.create: the database file is read-only',
      )
    })
    app.get('/down-own', async (_request, reply) => {
      reply.header('retry-after', '30')
      throw cmError('CM_ERR_STORE_UNAVAILABLE', 'locked')
    })
    app.get('/other', async () => {
      throw cmError('CM_ERR_SHUTTING_DOWN', 'bye')
    })
    const down = await app.inject({ url: '/down' })
    t.equal(down.statusCode, 503)
    t.equal(down.json().code, 'CM_ERR_STORE_UNAVAILABLE')
    t.equal(down.headers['retry-after'], String(STORE_RETRY_AFTER_SECONDS))
    t.equal(
      (await app.inject({ url: '/down-own' })).headers['retry-after'],
      '30',
      'a route’s own value is kept',
    )
    const other = await app.inject({ url: '/other' })
    t.equal(other.statusCode, 503)
    t.equal(other.headers['retry-after'], undefined)
  },
)
