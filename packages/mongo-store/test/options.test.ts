import { MongoClient } from 'mongodb'
import t, { type Test } from 'tap'
import { MongoStore, type MongoStoreOptions } from '../src/index.js'
import { dbNameFromUrl, resolveOptions } from '../src/options.js'
import { FakeDb } from './fixtures/fake-mongo.js'

/** The error `new MongoStore(options)` throws (fails the test if it does not throw). */
function rejection(
  t: Test,
  options: unknown,
): { code?: string; message: string; details?: { option?: string } } {
  try {
    new MongoStore(options as MongoStoreOptions)
  } catch (err) {
    return err as { code?: string; message: string; details?: { option?: string } }
  }
  t.fail('expected the options to be refused')
  return { message: '' }
}

const db = () => new FakeDb().asDb()

t.test('exactly one way to reach MongoDB', async (t) => {
  const none = rejection(t, {})
  t.equal(none.code, 'CM_ERR_INVALID_ARGUMENT')
  t.match(none.message, /one of `db`, `client` \(with `dbName`\) or `url` is required/)

  const both = rejection(t, { url: 'mongodb://127.0.0.1:1/x', db: db() })
  t.equal(both.code, 'CM_ERR_INVALID_ARGUMENT')
  t.match(both.message, /`db` and `url` are mutually exclusive/)

  const clientAndDb = rejection(t, {
    client: new MongoClient('mongodb://127.0.0.1:1'),
    dbName: 'x',
    db: db(),
  })
  t.equal(clientAndDb.code, 'CM_ERR_INVALID_ARGUMENT')
  t.match(clientAndDb.message, /mutually exclusive/)
})

t.test('options must be an object', async (t) => {
  for (const bad of [undefined, null, 'mongodb://x', 42]) {
    const err = rejection(t, bad)
    t.equal(err.code, 'CM_ERR_INVALID_ARGUMENT', String(bad))
    t.match(err.message, /options must be an object/)
  }
})

t.test('each bad option is named in the error', async (t) => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['db', { db: { collection: 'nope' } }, /`db` must be a MongoDB Db/],
    ['db', { db: 'mongodb://127.0.0.1/x' }, /`db` must be a MongoDB Db/],
    ['client', { client: {}, dbName: 'x' }, /`client` must be a MongoClient/],
    ['dbName', { client: new MongoClient('mongodb://127.0.0.1:1') }, /`dbName` is required with `client`/],
    ['dbName', { url: 'mongodb://127.0.0.1:1' }, /`dbName` is required when `url` names no database/],
    [
      'dbName',
      { url: 'mongodb://127.0.0.1:1/ok', dbName: 'a/b' },
      /`dbName` must be a MongoDB database name/,
    ],
    ['dbName', { url: 'mongodb://127.0.0.1:1/ok', dbName: 7 }, /`dbName` must be/],
    ['dbName', { db: db(), dbName: 'x' }, /`dbName` only applies with `client` or `url`/],
    ['url', { url: 'http://localhost:27017/x' }, /`url` must be a mongodb:\/\/ or mongodb\+srv:\/\//],
    ['url', { url: 27017 }, /`url` must be/],
    ['url', { url: 'mongodb://127.0.0.1:1/x?maxPoolSize=lots' }, /`url` is not a valid connection string/],
    ['clientOptions', { db: db(), clientOptions: {} }, /`clientOptions` only applies with `url`/],
    [
      'computationsCollection',
      { db: db(), computationsCollection: 'a$b' },
      /`computationsCollection` must be a collection name/,
    ],
    ['cacheCollection', { db: db(), cacheCollection: '' }, /`cacheCollection` must be a collection name/],
    ['cacheCollection', { db: db(), cacheCollection: 'computations' }, /`cacheCollection` must differ/],
    ['bucketName', { db: db(), bucketName: 'system.x' }, /`bucketName` must be a collection name/],
    ['collectionPrefix', { db: db(), collectionPrefix: 'a b' }, /`collectionPrefix` must be/],
    ['collectionPrefix', { db: db(), collectionPrefix: { $gt: '' } }, /`collectionPrefix` must be/],
    ['clock', { db: db(), clock: 1000 }, /`clock` must be a function/],
    ['writeConcern', { db: db(), writeConcern: 'majority' }, /`writeConcern` must be an object/],
    ['readPreference', { db: db(), readPreference: 'fastest' }, /`readPreference` must be a ReadPreference/],
    ['gridFsThresholdBytes', { db: db(), gridFsThresholdBytes: 16 * 1024 * 1024 }, /from 0 to 15728640/],
    [
      'gridFsThresholdBytes',
      { db: db(), gridFsThresholdBytes: -1 },
      /`gridFsThresholdBytes` must be an integer/,
    ],
    ['gridFsThresholdBytes', { db: db(), gridFsThresholdBytes: '8mb' }, /got "8mb"/],
    ['maxValueBytes', { db: db(), maxValueBytes: 0 }, /`maxValueBytes` must be an integer/],
    ['maxValueBytes', { db: db(), maxValueBytes: 1.5 }, /`maxValueBytes` must be an integer/],
    ['ensureIndexes', { db: db(), ensureIndexes: 'yes' }, /`ensureIndexes` must be a boolean/],
    ['ttlIndex', { db: db(), ttlIndex: 1 }, /`ttlIndex` must be a boolean/],
    ['pingTimeoutMs', { db: db(), pingTimeoutMs: 0 }, /`pingTimeoutMs` must be an integer/],
    [
      'colectionPrefix',
      { db: db(), colectionPrefix: 'typo_' },
      /^@comp-manager\/mongo-store: `colectionPrefix` is not an option \(expected one of db, client, url/,
    ],
  ]
  for (const [option, options, message] of cases) {
    const err = rejection(t, options)
    t.equal(err.code, 'CM_ERR_INVALID_ARGUMENT', `${option}: code`)
    t.equal(err.details?.option, option, `${option}: details.option`)
    t.match(err.message, message, `${option}: message`)
  }
})

t.test('defaults', async (t) => {
  const o = resolveOptions({ db: db() })
  t.equal(o.computationsCollection, 'computations')
  t.equal(o.cacheCollection, 'cache_entries')
  t.equal(o.bucketName, 'cache_values')
  t.equal(o.gridFsThresholdBytes, 8 * 1024 * 1024)
  t.equal(o.maxValueBytes, 64 * 1024 * 1024)
  t.equal(o.ensureIndexes, true)
  t.equal(o.ttlIndex, true)
  t.equal(o.pingTimeoutMs, 5000)
  t.equal(typeof o.clock(), 'number')
})

t.test('collectionPrefix applies to every collection and the bucket', async (t) => {
  const store = new MongoStore({
    db: db(),
    collectionPrefix: 'staging_',
    computationsCollection: 'runs',
    bucketName: 'big',
  })
  t.same(store.names, {
    computations: 'staging_runs',
    cacheEntries: 'staging_cache_entries',
    bucket: 'staging_big',
  })
  t.same(store.capabilities, { multiProcess: true, multiMachine: true, maxValueBytes: 64 * 1024 * 1024 })
  t.equal(store.kind, 'mongo')
})

t.test('maxValueBytes is reported in capabilities', async (t) => {
  const store = new MongoStore({ db: db(), maxValueBytes: 1000 })
  t.equal(store.capabilities.maxValueBytes, 1000)
  t.ok(Object.isFrozen(store.capabilities))
})

t.test('the database of a url', async (t) => {
  t.equal(dbNameFromUrl('mongodb://localhost:27017/cm'), 'cm')
  t.equal(dbNameFromUrl('mongodb://u:p@h1:1,h2:2/cm?replicaSet=rs0'), 'cm')
  t.equal(dbNameFromUrl('mongodb+srv://cluster.example.net/prod'), 'prod')
  t.equal(dbNameFromUrl('mongodb://localhost:27017/?w=majority'), undefined)
  t.equal(dbNameFromUrl('mongodb://localhost:27017'), undefined)
  const store = new MongoStore({ url: 'mongodb://127.0.0.1:1/from_url' })
  t.equal(store.db.databaseName, 'from_url')
  const named = new MongoStore({ url: 'mongodb://127.0.0.1:1/from_url', dbName: 'explicit' })
  t.equal(named.db.databaseName, 'explicit')
  await store.close()
  await named.close()
})

t.test('a host client with dbName', async (t) => {
  const client = new MongoClient('mongodb://127.0.0.1:1')
  const store = new MongoStore({ client, dbName: 'cm' })
  t.equal(store.client, client)
  t.equal(store.db.databaseName, 'cm')
  t.equal(store.ownsClient, false)
})

t.test('a readPreference object and a writeConcern are accepted', async (t) => {
  t.doesNotThrow(
    () =>
      new MongoStore({
        db: db(),
        readPreference: { mode: 'secondaryPreferred' } as never,
        writeConcern: { w: 'majority' },
      }),
  )
  t.doesNotThrow(() => new MongoStore({ db: db(), readPreference: 'nearest' }))
})
