// Rate limits in Redis and the MongoDB store: run when REDIS_URL / MONGODB_URL point to a server
// (CI passes them through), skipped otherwise.
import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import t from 'tap'
import { REDIS_KEY_PREFIX } from '../src/index.js'
import { bearer, build } from './fixtures/helpers.js'

const REDIS_URL = process.env.REDIS_URL
const MONGODB_URL = process.env.MONGODB_URL

t.test(
  'REDIS_URL: the limits hold across two instances',
  { skip: !REDIS_URL && 'REDIS_URL is not set' },
  async (t) => {
    // Two "instances" sharing one Redis: the budget is shared. A random subject keeps runs independent.
    const env = { REDIS_URL: REDIS_URL!, RATE_LIMIT_MAX: '3', RATE_LIMIT_WINDOW: '1m' }
    const one = await build(t, env)
    const two = await build(t, env)
    const sub = `redis-test-${randomUUID()}`
    const headers = { authorization: `Bearer ${one.issueToken({ sub, role: 'viewer', namespaces: ['*'] })}` }
    const statuses: number[] = []
    for (const app of [one, two, one, two]) {
      statuses.push((await app.inject({ url: '/api/v1/computations', headers })).statusCode)
    }
    t.same(statuses, [200, 200, 200, 429], 'the 4th request is refused, whichever instance gets it')

    const health = (await one.inject('/health/detailed')).json()
    t.match(health.checks.redis, { ok: true, latencyMs: Number })

    const redis = new Redis(REDIS_URL!)
    t.teardown(() => redis.quit())
    const keys = await redis.keys(`${REDIS_KEY_PREFIX}*${sub}*`)
    t.ok(keys.length >= 1, `counters in Redis under ${REDIS_KEY_PREFIX}: ${keys.join(', ')}`)
  },
)

t.test(
  'REDIS_URL: Redis down lets requests through, and the health check says so',
  { skip: !REDIS_URL && 'REDIS_URL is not set' },
  async (t) => {
    const app = await build(t, { REDIS_URL: 'redis://127.0.0.1:1', RATE_LIMIT_MAX: '1' })
    for (let i = 0; i < 3; i++) {
      t.equal((await app.inject({ url: '/api/v1/computations', headers: bearer(app) })).statusCode, 200)
    }
    const res = await app.inject('/health/detailed')
    t.equal(res.statusCode, 503)
    t.match(res.json().checks.redis, { ok: false })
  },
)

t.test('MONGODB_URL: the store is MongoDB', { skip: !MONGODB_URL && 'MONGODB_URL is not set' }, async (t) => {
  const { buildApp } = await import('../src/index.js')
  const { testConfig } = await import('./fixtures/helpers.js')
  const app = await buildApp(
    testConfig({ MONGODB_URL: MONGODB_URL!, MONGODB_DB: `cm_server_test_${process.pid}` }),
    {
      logger: false,
    },
  )
  t.teardown(() => app.close())
  t.equal(app.compStore.kind, 'mongo')
  const created = await app.inject({
    method: 'POST',
    url: '/api/v1/computations',
    headers: bearer(app, 'operator'),
    payload: { function: 'on-mongo' },
  })
  t.equal(created.statusCode, 201)
  t.equal((await app.inject('/health/detailed')).statusCode, 200)
})
