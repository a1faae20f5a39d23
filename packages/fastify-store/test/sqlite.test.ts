import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { isCompManagerError, MemoryStore } from '@comp-manager/core'
import { DEFAULT_PATH, SqliteStore } from '@comp-manager/sqlite-store'
import t from 'tap'
import fastifyCompStore, { DEFAULT_SQLITE_PATH } from '../src/index.js'
import { moduleNotFound, newApp, pluginWith, ready } from './fixtures/helpers.js'

const entry = {
  namespace: 'default',
  key: 'k1',
  function: 'fib',
  functionFull: 'math/fib',
  algorithm: 'sha256',
  value: '{"n":55}',
}

t.test(
  'sqlite: the file is created and the store is usable through fastify.compStore and routes',
  async (t) => {
    const dir = t.testdir()
    const path = join(dir, 'nested', 'dir', 'cm.db')
    const app = newApp(t)
    await app.register(fastifyCompStore, { sqlite: { path } })
    app.get('/entries/:key', async (request) => {
      const { key } = request.params as { key: string }
      const found = await app.compStore.cache.get('default', key)
      return { found: found !== null, value: found?.value ?? null }
    })
    await app.ready()

    t.ok(existsSync(path), 'database file created, with its directories')
    t.ok(app.compStore instanceof SqliteStore)
    t.equal(app.compStore.kind, 'sqlite')
    t.equal((app.compStore as SqliteStore).path, path)

    await app.compStore.cache.set(entry)
    const res = await app.inject({ method: 'GET', url: '/entries/k1' })
    t.equal(res.statusCode, 200)
    t.match(res.headers['content-type'], /^application\/json/)
    t.same(res.json(), { found: true, value: '{"n":55}' })
    const missing = await app.inject({ method: 'GET', url: '/entries/nope' })
    t.same(missing.json(), { found: false, value: null })
  },
)

t.test('sqlite: data survives a restart on the same file', async (t) => {
  const path = join(t.testdir(), 'cm.db')
  const first = newApp(t)
  await first.register(fastifyCompStore, { sqlite: { path } })
  await first.ready()
  await first.compStore.cache.set(entry)
  await first.close()

  const second = newApp(t)
  await second.register(fastifyCompStore, { sqlite: { path } })
  await second.ready()
  const found = await second.compStore.cache.get('default', 'k1')
  t.equal(found?.value, '{"n":55}')
})

t.test('sqlite: the default path is ./data/comp-manager.db in the working directory', async (t) => {
  const dir = t.testdir()
  const cwd = process.cwd()
  process.chdir(dir)
  t.teardown(() => process.chdir(cwd))
  const app = newApp(t)
  await app.register(fastifyCompStore, { sqlite: {} })
  await app.ready()
  t.equal((app.compStore as SqliteStore).path, join(dir, 'data', 'comp-manager.db'))
  t.ok(existsSync(join(dir, 'data', 'comp-manager.db')))
})

t.test('sqlite: other SqliteStore options are passed through (":memory:", clock)', async (t) => {
  const app = newApp(t)
  const now = Date.UTC(2030, 0, 1)
  await app.register(fastifyCompStore, { sqlite: { path: ':memory:', clock: () => now, hitFlushMs: 0 } })
  await app.ready()
  const meta = await app.compStore.cache.set(entry)
  t.equal(meta.createdAt, now)
})

t.test('sqlite: a store the plugin opened is closed by app.close()', async (t) => {
  const app = newApp(t)
  await app.register(fastifyCompStore, { sqlite: { path: join(t.testdir(), 'cm.db') } })
  await app.ready()
  const store = app.compStore
  t.equal((await store.ping()).ok, true)
  await app.close()
  const ping = await store.ping()
  t.equal(ping.ok, false, 'ping fails once closed')
  const err = await store.cache.get('default', 'k1').catch((e: unknown) => e)
  t.ok(isCompManagerError(err, 'CM_ERR_STORE_UNAVAILABLE'), 'operations reject with CM_ERR_STORE_UNAVAILABLE')
})

t.test('sqlite: a bad SqliteStore option fails ready() naming `sqlite.<option>`', async (t) => {
  const app = newApp(t)
  await t.rejects(
    ready(app.register(fastifyCompStore, { sqlite: { path: ':memory:', busyTimeoutMs: -1 } })),
    {
      code: 'CM_ERR_INVALID_ARGUMENT',
      message: /`sqlite\.busyTimeoutMs`/,
      details: { option: 'sqlite.busyTimeoutMs' },
    },
  )
})

t.test('sqlite: a file that cannot be opened fails ready() with CM_ERR_STORE_UNAVAILABLE', async (t) => {
  const dir = t.testdir({ 'not-a-db': 'plain text, not SQLite' })
  const app = newApp(t)
  await t.rejects(ready(app.register(fastifyCompStore, { sqlite: { path: join(dir, 'not-a-db') } })), {
    code: 'CM_ERR_STORE_UNAVAILABLE',
  })
})

t.test(
  "DEFAULT_SQLITE_PATH is sqlite-store's default path (defined here: sqlite-store is optional)",
  async (t) => {
    t.equal(DEFAULT_SQLITE_PATH, DEFAULT_PATH)
  },
)

t.test('sqlite without @comp-manager/sqlite-store installed: a clear error naming the package', async (t) => {
  const app = newApp(t)
  const err = await ready(
    app.register(
      pluginWith({ sqliteStore: () => Promise.reject(moduleNotFound('@comp-manager/sqlite-store')) }),
      { sqlite: { path: ':memory:' } },
    ),
  ).then(
    () => new Error('ready() did not reject'),
    (e: unknown) => e as Error,
  )
  t.ok(isCompManagerError(err, 'CM_ERR_INVALID_ARGUMENT'))
  t.match(
    err.message,
    /`sqlite` needs the optional package @comp-manager\/sqlite-store, which is not installed/,
  )
  t.match(err.message, /npm install @comp-manager\/sqlite-store`/)
  t.match(err, { details: { option: 'sqlite', package: '@comp-manager/sqlite-store' } })
  t.notOk(app.hasDecorator('compStore'))
})

t.test('sqlite-store is loaded only when `sqlite` is used', async (t) => {
  let loads = 0
  const app = newApp(t)
  await app.register(
    pluginWith({
      sqliteStore: () => {
        loads++
        return Promise.reject(moduleNotFound('@comp-manager/sqlite-store'))
      },
    }),
    { store: new MemoryStore() },
  )
  await app.ready()
  t.equal(loads, 0)
})
