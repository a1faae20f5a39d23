// REDIS_URL wired to the cache's Redis accelerator: a real redis-server started by the test (skipped
// when it is not installed); a raw subscriber on the channel sees the server's deletes and invalidations.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { cacheOf } from '@comp-manager/fastify-cache'
import { SqliteStore } from '@comp-manager/sqlite-store'
import { Redis } from 'ioredis'
import t, { type Test } from 'tap'
import { bearer, build, tmpDir } from './fixtures/helpers.js'

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

async function until(condition: () => boolean, limitMs = 20_000): Promise<void> {
  const end = Date.now() + limitMs
  while (!condition()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 10))
  }
}

/** A redis-server of the test's own on a free port, and a raw subscriber on `channels`. */
async function redisWithSubscriber(
  t: Test,
  channels: string[],
): Promise<{ url: string; messages: { channel: string; message: unknown }[] }> {
  const port = await freePort()
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  )
  t.teardown(() => {
    child.kill('SIGKILL')
  })
  const url = `redis://127.0.0.1:${port}`
  const subscriber = new Redis(url, { retryStrategy: (n) => Math.min(n * 20, 200) })
  subscriber.on('error', () => {})
  t.teardown(() => subscriber.disconnect())
  const messages: { channel: string; message: unknown }[] = []
  subscriber.on('message', (channel: string, message: string) =>
    messages.push({ channel, message: JSON.parse(message) }),
  )
  await subscriber.subscribe(...channels)
  return { url, messages }
}

if (spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status !== 0) {
  t.comment('skipped: redis-server not found')
} else {
  t.test('REDIS_URL + REDIS_CHANNEL: the cache publishes its deletes and invalidations', async (t) => {
    const { url, messages } = await redisWithSubscriber(t, ['fleet-a:default', 'comp-manager:cache:default'])
    const app = await build(t, { REDIS_URL: url, REDIS_CHANNEL: 'fleet-a:' })
    t.equal(app.compConfig.redisChannel, 'fleet-a:')
    const cache = cacheOf(app)
    t.equal(app.compConfig.namespace, cache.namespace)
    await until(() => cache.redisStatus()?.state === 'up')
    t.equal(cache.redisStatus()?.channel, `fleet-a:${cache.namespace}`)

    await cache.set('k', 1, { tags: ['t'] })
    const del = await app.inject({ method: 'DELETE', url: '/api/v1/cache/k', headers: bearer(app, 'admin') })
    t.equal(del.statusCode, 204)
    const inv = await app.inject({
      method: 'POST',
      url: '/api/v1/cache/invalidate',
      headers: bearer(app, 'operator'),
      payload: { tag: 't' },
    })
    t.equal(inv.statusCode, 200)
    await until(() => messages.length === 2)
    t.match(messages, [
      { channel: 'fleet-a:default', message: { v: 1, o: String, at: Number, key: 'k' } },
      { channel: 'fleet-a:default', message: { v: 1, o: String, at: Number, criteria: { tag: 't' } } },
    ])
    t.equal(cache.redisStatus()?.published, 2)
  })

  t.test(
    "an admin's delete and invalidation in another namespace are published on its channel",
    async (t) => {
      const { url, messages } = await redisWithSubscriber(t, ['fleet-a:default', 'fleet-a:other'])
      const store = new SqliteStore({ path: join(tmpDir(t), 'comp.db') })
      const app = await build(t, { REDIS_URL: url, REDIS_CHANNEL: 'fleet-a:' }, { store })
      t.teardown(() => store.close())
      const cache = cacheOf(app)
      t.equal(cache.namespace, 'default')
      await until(() => cache.redisStatus()?.state === 'up')
      const entry = (key: string) => ({
        namespace: 'other',
        key,
        function: 'f',
        functionFull: 'f',
        algorithm: 'sha256',
        value: '1',
        tags: ['t'],
      })
      await app.compStore.cache.set(entry('k'))
      await app.compStore.cache.set(entry('k2'))
      const headers = bearer(app, 'admin')
      const del = await app.inject({ method: 'DELETE', url: '/api/v1/cache/k?namespace=other', headers })
      t.equal(del.statusCode, 204)
      const inv = await app.inject({
        method: 'POST',
        url: '/api/v1/cache/invalidate',
        headers,
        payload: { namespace: 'other', tag: 't' },
      })
      t.equal(inv.statusCode, 200)
      t.match(inv.json(), { deleted: 1, namespace: 'other' })
      await until(() => messages.length === 2)
      t.match(messages, [
        { channel: 'fleet-a:other', message: { v: 1, o: String, at: Number, key: 'k' } },
        { channel: 'fleet-a:other', message: { v: 1, o: String, at: Number, criteria: { tag: 't' } } },
      ])
      t.equal(cache.redisStatus()?.published, 2)
      t.equal(cache.redisStatus()?.channel, 'fleet-a:default', 'the cache still listens on its own channel')
    },
  )

  t.test('without REDIS_URL the cache has no accelerator; a bad REDIS_CHANNEL is refused', async (t) => {
    const app = await build(t)
    t.equal(cacheOf(app).redisStatus(), null)
    await t.rejects(build(t, { REDIS_CHANNEL: 'has space' }), /REDIS_CHANNEL/)
  })
}
