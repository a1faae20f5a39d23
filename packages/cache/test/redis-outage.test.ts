import { join } from 'node:path'
import { SqliteStore } from '@comp-manager/sqlite-store'
import { Redis } from 'ioredis'
import t, { type Test } from 'tap'
import { type Cache, type CacheOptions, createCache, MAX_REDIS_MESSAGE_LENGTH } from '../src/index.js'
import { codeOf, until } from './fixtures/helpers.js'
import { hasRedisServer, startRedis } from './fixtures/redis-server.js'

/**
 * The Redis accelerator in one process: two caches on two SQLite connections to one file and a real
 * redis-server. Redis killed mid-test (the event log still delivers; one error logged; it reconnects),
 * malformed and forged messages on the channel (ignored), bad options (refused).
 */

interface Logged {
  errors: { details: object; message: string }[]
  warnings: { details: object; message: string }[]
}

function open(t: Test, path: string, options: Partial<CacheOptions>): { cache: Cache; logged: Logged } {
  const store = new SqliteStore({ path, busyTimeoutMs: 20_000 })
  const logged: Logged = { errors: [], warnings: [] }
  const logger = {
    error: (details: object, message: string) => logged.errors.push({ details, message }),
    warn: (details: object, message: string) => logged.warnings.push({ details, message }),
  }
  const cache = createCache({ store, namespace: 'fleet', l1: { ttl: '1h' }, logger, ...options })
  t.teardown(async () => {
    await cache.close()
    await store.close()
  })
  return { cache, logged }
}

/** Whether `key` is answered from the L1 of `cache` (reading it once). */
async function inL1(cache: Cache, key: string): Promise<boolean> {
  let l1 = false
  const off = cache.on('hit', ({ source }) => {
    if (source === 'l1') l1 = true
  })
  await cache.get(key)
  off()
  return l1
}

t.test('options: `redis` is checked at createCache', async (t) => {
  const store = new SqliteStore({ path: join(t.testdir(), 'options.db') })
  t.teardown(() => store.close())
  const bad: [unknown, string][] = [
    [{}, 'redis'],
    [{ url: 'http://localhost:6379' }, 'redis.url'],
    [{ url: 42 }, 'redis.url'],
    [{ url: 'redis://x', client: { publish() {} } }, 'redis.client'],
    [{ client: {} }, 'redis.client'],
    [{ url: 'redis://x', channelPrefix: 'has space' }, 'redis.channelPrefix'],
    [{ url: 'redis://x', channelPrefix: '' }, 'redis.channelPrefix'],
    [{ url: 'redis://x', extra: 1 }, 'redis.extra'],
    ['redis://x', 'redis'],
  ]
  for (const [redis, option] of bad) {
    let err: { code?: string; details?: { option?: string } } = {}
    try {
      createCache({ store, namespace: 'n', redis: redis as CacheOptions['redis'] })
    } catch (e) {
      err = e as typeof err
    }
    t.equal(err.code, 'CM_ERR_INVALID_ARGUMENT', `${JSON.stringify(redis)} refused`)
    t.equal(err.details?.option, option, `names ${option}`)
  }
  const polluted = JSON.parse('{"url":"redis://x","__proto__":{"channelPrefix":"x y"}}')
  t.equal(
    await codeOf(() => createCache({ store, namespace: 'n', redis: polluted })),
    'CM_ERR_INVALID_ARGUMENT',
    'a `__proto__` key is refused',
  )
  const cache = createCache({ store, namespace: 'n' })
  t.equal(cache.redisStatus(), null, 'no accelerator without the option')
  await cache.close()
})

if (!hasRedisServer()) {
  t.comment('skipped: redis-server not found')
} else {
  t.test(
    'Redis killed mid-test: invalidations still arrive through the event log; it reconnects',
    async (t) => {
      const redis = await startRedis(t)
      const path = join(t.testdir(), 'outage.db')
      const options = { l1: { ttl: '1h', syncMs: '500ms' }, redis: { url: redis.url } } as const
      const a = open(t, path, options)
      const b = open(t, path, options)
      await until(() => a.cache.redisStatus()?.state === 'up' && b.cache.redisStatus()?.state === 'up')

      await a.cache.set('k0', 0)
      t.ok(await inL1(a.cache, 'k0'))
      await b.cache.delete('k0')
      await until(async () => !(await inL1(a.cache, 'k0')))
      t.equal(a.cache.redisStatus()?.received, 1, 'the first delete came through Redis')

      await redis.kill()
      await until(() => a.cache.redisStatus()?.state === 'down' && b.cache.redisStatus()?.state === 'down')
      for (let i = 1; i <= 3; i++) {
        await a.cache.set(`k${i}`, i, { tags: ['t'] })
        t.ok(await inL1(a.cache, `k${i}`), `k${i} in A's L1`)
      }
      t.equal(await b.cache.delete('k1'), true, 'B deletes with Redis down: no error')
      t.equal(await b.cache.invalidate({ tag: 't' }), 2, 'B invalidates with Redis down')
      await until(async () => !(await inL1(a.cache, 'k1')) && !(await inL1(a.cache, 'k3')), 30_000)
      t.pass('A dropped them through the event log')
      t.equal(a.cache.redisStatus()?.received, 1, 'nothing came through Redis meanwhile')
      const redisErrors = (l: Logged) =>
        l.errors.filter((e) => (e.details as { during?: string }).during === 'redis')
      t.equal(redisErrors(a.logged).length, 1, 'A logged the outage once (while it kept reconnecting)')
      t.equal(redisErrors(b.logged).length, 1, 'B logged the outage once')

      await redis.restart()
      await until(
        () => a.cache.redisStatus()?.state === 'up' && b.cache.redisStatus()?.state === 'up',
        60_000,
      )
      t.ok(
        a.logged.warnings.some((w) => /connected again/.test(w.message)),
        'A says it is connected again',
      )
      await a.cache.set('k4', 4)
      t.ok(await inL1(a.cache, 'k4'))
      await b.cache.delete('k4')
      await until(() => a.cache.redisStatus()?.received === 2)
      t.notOk(await inL1(a.cache, 'k4'), 'after the reconnection, deletes come through Redis again')
    },
  )

  t.test('malformed, oversize and forged messages on the channel are ignored', async (t) => {
    const redis = await startRedis(t)
    const path = join(t.testdir(), 'malformed.db')
    // The event log is polled every 30 s: only Redis could drop anything here.
    const a = open(t, path, { l1: { ttl: '1h', syncMs: '30s' }, redis: { url: redis.url } })
    await until(() => a.cache.redisStatus()?.state === 'up')
    const channel = a.cache.redisStatus()!.channel
    t.equal(channel, 'comp-manager:cache:fleet', 'default prefix + namespace')
    await a.cache.set('kept', 'value', { tags: ['t'] })
    t.ok(await inL1(a.cache, 'kept'))

    const raw = new Redis(redis.url)
    t.teardown(() => raw.quit())
    const valid = { v: 1, o: 'someone', at: Date.now() }
    const bad: string[] = [
      'not json',
      '',
      'null',
      '[]',
      '42',
      JSON.stringify({ ...valid }),
      JSON.stringify({ ...valid, key: 'kept', extra: true }),
      JSON.stringify({ ...valid, v: 2, key: 'kept' }),
      JSON.stringify({ ...valid, key: 42 }),
      JSON.stringify({ ...valid, key: '' }),
      JSON.stringify({ ...valid, key: 'x'.repeat(257) }),
      JSON.stringify({ ...valid, at: -1, key: 'kept' }),
      JSON.stringify({ ...valid, o: '', key: 'kept' }),
      JSON.stringify({ ...valid, criteria: {} }),
      JSON.stringify({ ...valid, criteria: { all: false } }),
      JSON.stringify({ ...valid, criteria: { tag: 't', $where: '1' } }),
      JSON.stringify({ ...valid, criteria: { tag: 5 } }),
      JSON.stringify({ ...valid, criteria: 'all' }),
      JSON.stringify({ ...valid, key: 'kept', criteria: { all: true } }),
      `{"v":1,"o":"x","at":1,"key":"kept","__proto__":{"polluted":true}}`,
      `{"v":1,"o":"x","at":1,"criteria":{"__proto__":{"all":true}}}`,
      JSON.stringify({ ...valid, key: 'kept', pad: 'x'.repeat(MAX_REDIS_MESSAGE_LENGTH) }),
      '{'.repeat(100_000),
    ]
    for (const message of bad) await raw.publish(channel, message)
    await raw.publish(`${channel}-other`, JSON.stringify({ ...valid, key: 'kept' }))
    // Redis delivers one publisher's messages in order: once this one is applied, all were read.
    await raw.publish(channel, JSON.stringify({ ...valid, key: 'marker' }))
    await until(() => a.cache.redisStatus()?.received === 1)
    t.equal(
      a.cache.redisStatus()?.ignored,
      bad.length,
      `the ${bad.length} bad messages were counted as ignored`,
    )
    t.ok(await inL1(a.cache, 'kept'), 'and none of them dropped the key')
    t.equal(({} as { polluted?: unknown }).polluted, undefined, 'no prototype polluted')

    await raw.publish(channel, JSON.stringify({ ...valid, criteria: { tag: 't' } }))
    await until(() => a.cache.redisStatus()?.received === 2)
    t.notOk(await inL1(a.cache, 'kept'), 'a well-formed invalidation by tag is applied')
    t.equal(await a.cache.get('kept'), 'value', 'the store still has it (a message only drops L1 copies)')
  })

  t.test('a given client is used to publish and left open; its duplicate is closed', async (t) => {
    const redis = await startRedis(t)
    const path = join(t.testdir(), 'client.db')
    const client = new Redis(redis.url)
    t.teardown(() => client.quit())
    const a = open(t, path, { redis: { url: redis.url, channelPrefix: 'app:' } })
    const b = open(t, path, { redis: { client, channelPrefix: 'app:' } })
    await until(() => a.cache.redisStatus()?.state === 'up' && b.cache.redisStatus()?.state === 'up')
    t.equal(b.cache.redisStatus()?.channel, 'app:fleet')
    await a.cache.set('k', 1)
    await b.cache.invalidate({ all: true })
    await until(() => a.cache.redisStatus()?.received === 1)
    t.notOk(await inL1(a.cache, 'k'))
    t.equal(b.cache.redisStatus()?.published, 1)
    await b.cache.close()
    t.equal(b.cache.redisStatus()?.state, 'closed')
    t.equal(await client.ping(), 'PONG', 'the given client is still open')
    t.equal(await codeOf(b.cache.get('k')), 'CM_ERR_STORE_UNAVAILABLE')
  })
}
