// Bad options fail `ready()` with CM_ERR_INVALID_ARGUMENT, and the message (and `details.option`) name
// the option. Nothing is opened before the options are valid.
import { MemoryStore } from '@comp-manager/core'
import { registerHealthCheck } from '@comp-manager/fastify-kit'
import type { FastifyPluginAsync } from 'fastify'
import t from 'tap'
import fastifyCompStore, { storeProblems } from '../src/index.js'
import { newApp, ready } from './fixtures/helpers.js'

const plugin = fastifyCompStore as unknown as FastifyPluginAsync<Record<string, unknown>>

const cases: [string, unknown, RegExp, string][] = [
  ['no options at all', {}, /one of `sqlite`, `mongo` or `store` is required/, 'sqlite | mongo | store'],
  [
    'only undefined backends',
    { sqlite: undefined, store: undefined },
    /is required/,
    'sqlite | mongo | store',
  ],
  [
    'two backends',
    { sqlite: {}, store: new MemoryStore() },
    /`store` cannot be combined with `sqlite`/,
    'store',
  ],
  [
    'three backends',
    { sqlite: {}, mongo: {}, store: {} },
    /`mongo` cannot be combined with `sqlite`/,
    'mongo',
  ],
  ['an unknown option', { sqllite: {} }, /`sqllite` is not an option/, 'sqllite'],
  ['sqlite not an object', { sqlite: './x.db' }, /`sqlite` must be an object/, 'sqlite'],
  [
    'sqlite.path a number',
    { sqlite: { path: 42 } },
    /`sqlite\.path` must be a non-empty file path.*got 42/,
    'sqlite.path',
  ],
  ['sqlite.path empty', { sqlite: { path: '  ' } }, /`sqlite\.path` must be a non-empty/, 'sqlite.path'],
  ['sqlite unknown option', { sqlite: { file: 'x.db' } }, /`sqlite\.file` is invalid/, 'sqlite.file'],
  ['store not an object', { store: 'memory' }, /`store` must implement the Store port.*is string/, 'store'],
  ['store a plain object', { store: {} }, /`store` must implement the Store port/, 'store'],
  ['mongo not an object', { mongo: 'mongodb://x/db' }, /`mongo` must be an object/, 'mongo'],
  [
    'mongo url and client',
    { mongo: { url: 'mongodb://h/db', client: {} } },
    /`mongo\.client` cannot be combined with `mongo\.url`/,
    'mongo.client',
  ],
  [
    'mongo client and db',
    { mongo: { client: {}, db: {} } },
    /`mongo\.db` cannot be combined with `mongo\.client`/,
    'mongo.db',
  ],
  [
    'mongo url not a string',
    { mongo: { url: 42 } },
    /`mongo\.url` must be a mongodb:\/\/ or mongodb\+srv:\/\//,
    'mongo.url',
  ],
  [
    'mongo url of another scheme',
    { mongo: { url: 'postgres://h/db' } },
    /`mongo\.url` must be a mongodb/,
    'mongo.url',
  ],
  [
    'mongo url naming no database',
    { mongo: { url: 'mongodb://h:27017' } },
    /`mongo\.dbName` is required when `mongo\.url` names no database/,
    'mongo.dbName',
  ],
  [
    'mongo client not a client',
    { mongo: { client: {}, dbName: 'x' } },
    /`mongo\.client` must be a MongoClient/,
    'mongo.client',
  ],
  [
    'mongo client without dbName',
    { mongo: { client: { db() {}, close() {} } } },
    /`mongo\.dbName` is required with `mongo\.client`/,
    'mongo.dbName',
  ],
  ['mongo db not a Db', { mongo: { db: { name: 'x' } } }, /`mongo\.db` must be a MongoDB Db/, 'mongo.db'],
  [
    'mongo dbName not a string',
    { mongo: { url: 'mongodb://h/db', dbName: 3 } },
    /`mongo\.dbName` must be a database name/,
    'mongo.dbName',
  ],
  [
    'mongo clientOptions without url',
    { mongo: { clientOptions: {} } },
    /`mongo\.clientOptions` only applies with `mongo\.url`/,
    'mongo.clientOptions',
  ],
  [
    'mongo forceClose without url',
    { mongo: { forceClose: true } },
    /`mongo\.forceClose` only applies with `mongo\.url`/,
    'mongo.forceClose',
  ],
  [
    'mongo forceClose not a boolean',
    { mongo: { url: 'mongodb://h/db', forceClose: 'yes' } },
    /`mongo\.forceClose` must be a boolean/,
    'mongo.forceClose',
  ],
  [
    'mongo reuse not a boolean',
    { mongo: { url: 'mongodb://h/db', reuse: 1 } },
    /`mongo\.reuse` must be a boolean/,
    'mongo.reuse',
  ],
  ['mongo init not a boolean', { mongo: { init: 'no' } }, /`mongo\.init` must be a boolean/, 'mongo.init'],
  [
    'mongo clientOptions not an object',
    { mongo: { url: 'mongodb://h/db', clientOptions: 'x' } },
    /`mongo\.clientOptions` must be an object/,
    'mongo.clientOptions',
  ],
  [
    'mongo with nothing to reuse',
    { mongo: {} },
    /`mongo\.url` is required: `fastify\.mongo` is not registered/,
    'mongo.url',
  ],
  [
    'healthCheck not a name',
    { store: new MemoryStore(), healthCheck: 'has space' },
    /`healthCheck` must be a check name/,
    'healthCheck',
  ],
  [
    'healthCheck true',
    { store: new MemoryStore(), healthCheck: true },
    /`healthCheck` must be a check name/,
    'healthCheck',
  ],
]

for (const [name, options, message, option] of cases) {
  t.test(`rejects ${name}`, async (t) => {
    const app = newApp(t)
    await t.rejects(ready(app.register(plugin, options as Record<string, unknown>)), {
      name: 'CompManagerError',
      code: 'CM_ERR_INVALID_ARGUMENT',
      message,
      details: { option },
    })
    t.notOk(app.hasDecorator('compStore'), 'nothing decorated')
  })
}

t.test('a store lacking methods: every method of the port is checked and every problem listed', async (t) => {
  const store = new MemoryStore()
  const broken = {
    kind: store.kind,
    capabilities: store.capabilities,
    ping: () => store.ping(),
    // no close
    computations: {
      ...Object.fromEntries(['create', 'get', 'getByHash', 'list', 'delete'].map((m) => [m, () => {}])),
    },
    cache: {
      get: () => {},
      set: () => {},
      delete: () => {},
      invalidate: () => {},
      list: () => {},
      stats: 'nope',
      flush: 1,
    },
  }
  const app = newApp(t)
  const err = await ready(app.register(plugin, { store: broken })).then(
    () => new Error('ready() did not reject'),
    (e: unknown) => e as Error,
  )
  t.match(err, { code: 'CM_ERR_INVALID_ARGUMENT', details: { option: 'store' } })
  for (const missing of [
    'close is undefined',
    'computations.claim is undefined',
    'computations.update is undefined',
    'computations.heartbeat is undefined',
    'computations.expire is undefined',
    'computations.findExpired is undefined',
    'cache.stats is string',
    'cache.purgeExpired is undefined',
    'cache.flush is number',
  ]) {
    t.match(err.message, missing, `names ${missing.split(' ')[0]}`)
  }
  t.notMatch(err.message, 'computations.create', 'methods that are there are not listed')
})

t.test('storeProblems: a complete store has none; `cache.flush` is optional', async (t) => {
  const store = new MemoryStore()
  t.same(storeProblems(store), [])
  const bind = (o: object, names: string[]) =>
    Object.fromEntries(names.map((n) => [n, (o as Record<string, () => unknown>)[n]!.bind(o)]))
  const plain = {
    kind: 'plain',
    capabilities: { multiProcess: false, multiMachine: false, maxValueBytes: 1024 },
    ...bind(store, ['ping', 'close']),
    computations: bind(store.computations, [
      'create',
      'get',
      'getByHash',
      'claim',
      'update',
      'heartbeat',
      'expire',
      'findExpired',
      'list',
      'delete',
    ]),
    cache: bind(store.cache, ['get', 'set', 'delete', 'invalidate', 'list', 'stats', 'purgeExpired']),
  }
  t.same(storeProblems(plain), [], 'a plain object without cache.flush fits')
  t.same(storeProblems({ kind: '', capabilities: { multiProcess: 1 } }), [
    'kind is string, not a name',
    'capabilities.multiProcess is number, not a boolean',
    'capabilities.multiMachine is undefined, not a boolean',
    'capabilities.maxValueBytes is undefined, not a number',
    'ping is undefined, not a function',
    'close is undefined, not a function',
    'computations is undefined, not an object',
    'cache is undefined, not an object',
  ])
  t.same(storeProblems(null), ['is null, not an object'])
})

t.test('options must be an object', async (t) => {
  const app = newApp(t)
  await t.rejects(ready(app.register(plugin, (() => null) as never)), {
    code: 'CM_ERR_INVALID_ARGUMENT',
    message: /options must be an object with one of `sqlite`, `mongo` or `store` \(got null\)/,
  })
})

t.test('a taken health check name is refused before anything is opened', async (t) => {
  const app = newApp(t)
  registerHealthCheck(app, 'store', async () => ({ ok: true }))
  await t.rejects(ready(app.register(plugin, { sqlite: { path: ':memory:' } })), {
    code: 'CM_ERR_INVALID_ARGUMENT',
    message: /`healthCheck` names a check that is already registered \(`store`\): pick another name/,
    details: { option: 'healthCheck' },
  })
})

t.test('a url of another scheme is refused without being repeated (it may hold credentials)', async (t) => {
  const app = newApp(t)
  const err = await ready(app.register(plugin, { mongo: { url: 'postgres://user:hunter2@h/db' } })).then(
    () => new Error('ready() did not reject'),
    (e: unknown) => e as Error,
  )
  t.match(err, { code: 'CM_ERR_INVALID_ARGUMENT', details: { option: 'mongo.url' } })
  t.notMatch(err.message, 'hunter2')
})
