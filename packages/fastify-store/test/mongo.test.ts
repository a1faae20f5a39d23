/**
 * The `mongo` option. Nothing here connects anywhere: the clients are real MongoClients pointed at
 * `127.0.0.1:1` whose `connect()` is replaced by a counter that throws, the stores are built with
 * `init: false` (mongo-store's `new MongoStore()` does no I/O), and `@fastify/mongodb` is replaced by a
 * stand-in through the plugin's module loaders. Against a real server: set MONGODB_URL.
 */
import { isCompManagerError } from '@comp-manager/core'
import { MongoStore } from '@comp-manager/mongo-store'
import fp from 'fastify-plugin'
import t from 'tap'
import fastifyCompStore from '../src/index.js'
import {
  fakeFastifyMongodb,
  fakeMongoStoreModule,
  moduleNotFound,
  newApp,
  pluginWith,
  ready,
  unconnectedClient,
} from './fixtures/helpers.js'

t.test('mongo.client: a MongoClient passed in is used and NOT closed', async (t) => {
  const spy = unconnectedClient()
  const app = newApp(t)
  await app.register(fastifyCompStore, { mongo: { client: spy.client, dbName: 'cm', init: false } })
  await app.ready()
  t.ok(app.compStore instanceof MongoStore)
  const store = app.compStore as MongoStore
  t.equal(store.kind, 'mongo')
  t.equal(store.client, spy.client)
  t.equal(store.db.databaseName, 'cm')
  t.equal(store.ownsClient, false)
  await app.close()
  t.equal(spy.close, 0, 'the client was not closed')
  t.equal(spy.connect, 0, 'nothing connected')
  const ping = await store.ping()
  t.equal(ping.ok, false, 'the MongoStore the plugin built is closed')
  t.match(ping.error, /closed/)
})

t.test('mongo.db: a Db passed in is used and its client NOT closed', async (t) => {
  const spy = unconnectedClient()
  const db = spy.client.db('host-db')
  const app = newApp(t)
  await app.register(fastifyCompStore, {
    mongo: { db, init: false, collectionPrefix: 'cm_', writeConcern: { w: 'majority' } },
  })
  await app.ready()
  const store = app.compStore as MongoStore
  t.equal(store.db, db)
  t.same(store.names, {
    computations: 'cm_computations',
    cacheEntries: 'cm_cache_entries',
    bucket: 'cm_cache_values',
  })
  await app.close()
  t.equal(spy.close, 0)
  t.equal(spy.connect, 0)
})

t.test('mongo settings are validated by MongoStore and named `mongo.<option>`', async (t) => {
  const spy = unconnectedClient()
  const app = newApp(t)
  await t.rejects(
    ready(
      app.register(fastifyCompStore, {
        mongo: { db: spy.client.db('x'), init: false, gridFsThresholdBytes: -1 },
      }),
    ),
    {
      code: 'CM_ERR_INVALID_ARGUMENT',
      message:
        /`mongo\.gridFsThresholdBytes` is invalid: @comp-manager\/mongo-store: `gridFsThresholdBytes` must be/,
      details: { option: 'mongo.gridFsThresholdBytes' },
    },
  )
  const other = newApp(t)
  await t.rejects(
    ready(
      other.register(fastifyCompStore, {
        mongo: { db: spy.client.db('x'), init: false, colectionPrefix: 'x' } as never,
      }),
    ),
    { code: 'CM_ERR_INVALID_ARGUMENT', details: { option: 'mongo.colectionPrefix' } },
  )
})

t.test('reuse: an existing fastify.mongo is used (its db), and never closed', async (t) => {
  const spy = unconnectedClient()
  const db = spy.client.db('app')
  const app = newApp(t)
  app.decorate('mongo', { client: spy.client, db } as never)
  await app.register(fastifyCompStore, { mongo: { init: false } })
  await app.ready()
  const store = app.compStore as MongoStore
  t.equal(store.db, db, "fastify.mongo.db is the store's database")
  t.equal(store.client, undefined)
  await app.close()
  t.equal(spy.close, 0)
  t.equal(spy.connect, 0)
})

t.test('reuse: `dbName` picks another database on fastify.mongo.client', async (t) => {
  const spy = unconnectedClient()
  const app = newApp(t)
  app.decorate('mongo', { client: spy.client, db: spy.client.db('app') } as never)
  await app.register(fastifyCompStore, { mongo: { dbName: 'comp-manager', init: false } })
  await app.ready()
  const store = app.compStore as MongoStore
  t.equal(store.client, spy.client)
  t.equal(store.db.databaseName, 'comp-manager')
  await app.close()
  t.equal(spy.close, 0)
})

t.test('reuse: fastify.mongo without a default database needs `dbName`', async (t) => {
  const spy = unconnectedClient()
  const app = newApp(t)
  app.decorate('mongo', { client: spy.client } as never)
  await t.rejects(ready(app.register(fastifyCompStore, { mongo: { init: false } })), {
    code: 'CM_ERR_INVALID_ARGUMENT',
    message: /`mongo\.dbName` is required: `fastify\.mongo` has no default database/,
  })
})

t.test(
  'url + existing fastify.mongo: reused (the url names the database), @fastify/mongodb not registered again',
  async (t) => {
    const spy = unconnectedClient()
    const fake = fakeFastifyMongodb()
    const app = newApp(t)
    app.decorate('mongo', { client: spy.client, db: spy.client.db('app') } as never)
    await app.register(pluginWith({ fastifyMongodb: async () => fake.module }), {
      mongo: { url: 'mongodb://elsewhere:27017/cm', init: false },
    })
    await app.ready()
    const store = app.compStore as MongoStore
    t.equal(store.client, spy.client)
    t.equal(store.db.databaseName, 'cm')
    t.same(fake.registrations, [], '@fastify/mongodb was not registered')
    await app.close()
    t.equal(spy.close, 0)
  },
)

t.test(
  'url without fastify.mongo: registers @fastify/mongodb privately; app.close() closes that client',
  async (t) => {
    const fake = fakeFastifyMongodb()
    const app = newApp(t)
    await app.register(pluginWith({ fastifyMongodb: async () => fake.module }), {
      mongo: {
        url: 'mongodb://db1,db2/comp-manager?replicaSet=rs0',
        clientOptions: { maxPoolSize: 5 },
        forceClose: true,
        init: false,
      },
    })
    await app.ready()
    t.same(fake.registrations, [
      {
        maxPoolSize: 5,
        url: 'mongodb://db1,db2/comp-manager?replicaSet=rs0',
        database: 'comp-manager',
        forceClose: true,
      },
    ])
    t.notOk(app.hasDecorator('mongo'), 'fastify.mongo stays private to the plugin')
    const client = fake.clients[0]!
    const store = app.compStore as MongoStore
    t.equal(store.client, client.client)
    t.equal(store.db.databaseName, 'comp-manager')
    t.equal(store.ownsClient, false, 'the store itself owns nothing: @fastify/mongodb closes its client')
    await app.close()
    t.equal(client.close, 1, 'the client the plugin opened is closed once')
    t.equal((await store.ping()).ok, false, 'the store is closed')
    t.equal(client.connect, 0)
  },
)

t.test(
  'url: a connection failure of @fastify/mongodb fails ready() with CM_ERR_STORE_UNAVAILABLE',
  async (t) => {
    const refused = Object.assign(new Error('Server selection timed out after 1 ms'), {
      name: 'MongoServerSelectionError',
    })
    const failing = {
      default: fp(
        async () => {
          throw refused
        },
        { name: '@fastify/mongodb' },
      ) as never,
    }
    const app = newApp(t)
    await t.rejects(
      ready(
        app.register(pluginWith({ fastifyMongodb: async () => failing }), {
          mongo: { url: 'mongodb://user:secret@127.0.0.1:1/cm' },
        }),
      ),
      {
        code: 'CM_ERR_STORE_UNAVAILABLE',
        message: /could not connect to `mongo\.url` through @fastify\/mongodb: Server selection timed out/,
        details: { option: 'mongo.url' },
        cause: refused,
      },
    )
    const err = await ready(app).then(
      () => undefined,
      (e: Error) => e,
    )
    t.notMatch(String(err?.message), 'secret', 'the url (and its credentials) is not in the message')
    t.notOk(app.hasDecorator('compStore'))
  },
)

t.test('url with `reuse: false`: a separate connection even when fastify.mongo exists', async (t) => {
  const spy = unconnectedClient()
  const fake = fakeFastifyMongodb()
  const app = newApp(t)
  app.decorate('mongo', { client: spy.client, db: spy.client.db('app') } as never)
  await app.register(pluginWith({ fastifyMongodb: async () => fake.module }), {
    mongo: { url: 'mongodb://other:27017', dbName: 'cm', reuse: false, init: false },
  })
  await app.ready()
  t.equal(fake.registrations.length, 1)
  t.equal(fake.registrations[0]!.database, 'cm')
  t.equal((app.compStore as MongoStore).client, fake.clients[0]!.client)
  t.equal(app.mongo.client, spy.client as never, "the app's fastify.mongo is untouched")
  await app.close()
  t.equal(fake.clients[0]!.close, 1)
  t.equal(spy.close, 0)
})

t.test(
  'init (default true) runs at registration; its failure fails ready() and closes what was opened',
  async (t) => {
    const ok = fakeMongoStoreModule()
    const app = newApp(t)
    await app.register(pluginWith({ mongoStore: async () => ok.module }), {
      mongo: { db: unconnectedClient().client.db('x') },
    })
    await app.ready()
    t.equal(ok.created[0]!.inits, 1, 'init() awaited during registration')

    const failure = Object.assign(new Error('no server'), { code: 'CM_ERR_STORE_UNAVAILABLE' })
    const bad = fakeMongoStoreModule(failure)
    const fake = fakeFastifyMongodb()
    const app2 = newApp(t)
    await t.rejects(
      ready(
        app2.register(
          pluginWith({ mongoStore: async () => bad.module, fastifyMongodb: async () => fake.module }),
          {
            mongo: { url: 'mongodb://127.0.0.1:1/cm' },
          },
        ),
      ),
      failure,
    )
    t.equal(bad.created[0]!.closes, 1, 'the store was closed')
    t.ok(fake.clients[0]!.close >= 1, 'the client the plugin opened was closed')
    t.notOk(app2.hasDecorator('compStore'))
  },
)

t.test('the MongoStore gets the settings and the connection', async (t) => {
  const fake = fakeMongoStoreModule()
  const spy = unconnectedClient()
  const app = newApp(t)
  const clock = () => 0
  await app.register(pluginWith({ mongoStore: async () => fake.module }), {
    mongo: { client: spy.client, dbName: 'cm', clock, ttlIndex: false, init: false },
  })
  await app.ready()
  t.same(fake.created[0]!.options, { client: spy.client, dbName: 'cm', clock, ttlIndex: false })
  t.equal(fake.created[0]!.inits, 0)
  await app.close()
  t.equal(fake.created[0]!.closes, 1, 'the plugin closes the MongoStore it built')
  t.equal(spy.close, 0, '… which leaves the host client alone')
})

t.test('missing optional packages: a clear error naming the package to install', async (t) => {
  const noStore = newApp(t)
  const err = await ready(
    noStore.register(
      pluginWith({ mongoStore: () => Promise.reject(moduleNotFound('@comp-manager/mongo-store')) }),
      {
        mongo: { url: 'mongodb://h/db' },
      },
    ),
  ).then(
    () => new Error('ready() did not reject'),
    (e: unknown) => e as Error,
  )
  t.ok(isCompManagerError(err, 'CM_ERR_INVALID_ARGUMENT'))
  t.match(
    err.message,
    /`mongo` needs the optional package @comp-manager\/mongo-store, which is not installed/,
  )
  t.match(err.message, /npm install @comp-manager\/mongo-store mongodb/)
  t.match(err, { details: { option: 'mongo', package: '@comp-manager/mongo-store' } })
  t.match((err as Error & { cause: unknown }).cause, { code: 'ERR_MODULE_NOT_FOUND' })

  const noFastifyMongodb = newApp(t)
  await t.rejects(
    ready(
      noFastifyMongodb.register(
        pluginWith({ fastifyMongodb: () => Promise.reject(moduleNotFound('@fastify/mongodb')) }),
        {
          mongo: { url: 'mongodb://h/db' },
        },
      ),
    ),
    {
      code: 'CM_ERR_INVALID_ARGUMENT',
      message: /needs the optional package @fastify\/mongodb.*npm install @fastify\/mongodb`/,
      details: { package: '@fastify/mongodb' },
    },
  )

  const broken = newApp(t)
  await t.rejects(
    ready(
      broken.register(pluginWith({ mongoStore: () => Promise.reject(new SyntaxError('Unexpected token')) }), {
        mongo: { url: 'mongodb://h/db' },
      }),
    ),
    {
      code: 'CM_ERR_INVALID_ARGUMENT',
      message: /could not load @comp-manager\/mongo-store: Unexpected token/,
    },
  )
})

t.test('the optional packages are not loaded unless `mongo` is used', async (t) => {
  let loads = 0
  const app = newApp(t)
  await app.register(
    pluginWith({
      mongoStore: () => {
        loads++
        return Promise.reject(moduleNotFound('@comp-manager/mongo-store'))
      },
      fastifyMongodb: () => {
        loads++
        return Promise.reject(moduleNotFound('@fastify/mongodb'))
      },
    }),
    { sqlite: { path: ':memory:' } },
  )
  await app.ready()
  t.equal(loads, 0)
  t.equal(app.compStore.kind, 'sqlite')
})

t.test(
  'against a real server (MONGODB_URL)',
  { skip: process.env.MONGODB_URL ? false : 'MONGODB_URL is not set' },
  async (t) => {
    const url = process.env.MONGODB_URL!
    const app = newApp(t)
    await app.register(fastifyCompStore, {
      mongo: {
        url,
        dbName: `cm_fastify_store_${process.pid}`,
        clientOptions: { serverSelectionTimeoutMS: 5000 },
      },
    })
    await app.ready()
    const store = app.compStore as MongoStore
    t.equal((await store.ping()).ok, true)
    await store.cache.set({
      namespace: 'default',
      key: 'k',
      function: 'f',
      functionFull: 'm/f',
      algorithm: 'sha256',
      value: '1',
    })
    t.equal((await store.cache.get('default', 'k'))?.value, '1')
    await store.db.dropDatabase()
    const client = store.client!
    await app.close()
    // A closed client refuses new operations.
    await t.rejects(client.db('x').command({ ping: 1 }))
  },
)
