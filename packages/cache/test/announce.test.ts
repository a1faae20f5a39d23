import { join } from 'node:path'
import { SqliteStore } from '@comp-manager/sqlite-store'
import t from 'tap'
import { createCache } from '../src/index.js'
import { hasRedisServer, startRedis } from './fixtures/redis-server.js'

/**
 * `cache.announce(namespace, change)`: a change made in the store outside a cache (an admin's delete
 * in another namespace) reaches that namespace's L1s through Redis. The L1 under test does not follow
 * the event log (`syncMs: false`), so only the Redis message can drop its entry.
 */

async function until(condition: () => Promise<boolean>, limitMs = 10_000): Promise<void> {
  const end = Date.now() + limitMs
  while (!(await condition())) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 10))
  }
}

t.test(
  'announce for the cache’s own namespace drops the entries from its L1; bad input refused',
  async (t) => {
    const store = new SqliteStore({ path: join(t.testdir(), 'comp.db') })
    t.teardown(() => store.close())
    const cache = createCache({ store, namespace: 'own', l1: { ttl: '1h', syncMs: false } })
    t.teardown(() => cache.close())
    await cache.set('a', 1, { tags: ['x'] })
    await cache.set('b', 2, { tags: ['y'] })
    cache.announce('own', { key: 'a' })
    t.equal((await cache.stats()).l1?.entries, 1)
    cache.announce('own', { criteria: { tag: 'y' } })
    t.equal((await cache.stats()).l1?.entries, 0)
    t.equal(await cache.get('a'), 1, 'the store still has it: announce changes nothing there')
    cache.announce('elsewhere', { key: 'a' })
    t.equal((await cache.stats()).l1?.entries, 1, 'another namespace leaves this L1 alone')
    const invalid = { code: 'CM_ERR_INVALID_ARGUMENT' }
    t.throws(() => cache.announce('bad space', { key: 'a' }), invalid)
    t.throws(() => cache.announce('own', { key: '' }), invalid)
    t.throws(() => cache.announce('own', {} as never), invalid)
    t.throws(() => cache.announce('own', { key: 'a', criteria: { all: true } } as never), invalid)
    t.throws(() => cache.announce('own', { criteria: {} }), invalid, 'no criteria is not "everything"')
    t.throws(() => cache.announce('own', { criteria: { all: true, tag: 'y' } }), invalid)
    t.throws(() => cache.announce('own', { criteria: { all: false } }), invalid)
  },
)

if (!hasRedisServer()) {
  t.comment('skipped: redis-server not found')
} else {
  t.test("announce publishes on the other namespace's channel: its L1s drop the entry", async (t) => {
    const redis = await startRedis(t)
    const store = new SqliteStore({ path: join(t.testdir(), 'comp.db') })
    t.teardown(() => store.close())
    const redisOptions = { url: redis.url, channelPrefix: 'fleet-a:' }
    const other = createCache({
      store,
      namespace: 'other',
      l1: { ttl: '1h', syncMs: false },
      redis: redisOptions,
    })
    const admin = createCache({ store, namespace: 'default', redis: redisOptions })
    t.teardown(() => Promise.all([other.close(), admin.close()]))
    await until(async () => other.redisStatus()?.state === 'up' && admin.redisStatus()?.state === 'up')
    t.equal(other.redisStatus()?.channel, 'fleet-a:other')

    await other.set('k', 1)
    await other.set('t1', 2, { tags: ['t'] })
    t.equal((await other.stats()).l1?.entries, 2)
    // The admin's change: in the store of namespace `other`, then announced.
    t.ok(await store.cache.delete('other', 'k'))
    admin.announce('other', { key: 'k' })
    await until(async () => (await other.stats()).l1?.entries === 1)
    t.equal(await store.cache.invalidate('other', { tag: 't' }), 1)
    admin.announce('other', { criteria: { tag: 't' } })
    await until(async () => (await other.stats()).l1?.entries === 0)
    t.equal(other.redisStatus()?.received, 2)
    t.equal(admin.redisStatus()?.published, 2)
    t.equal(await other.get('k'), undefined, 'gone from the store and the L1')
  })
}
