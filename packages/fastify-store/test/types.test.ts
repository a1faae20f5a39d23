// Type tests: `tsc -p tsconfig.json` (the package's `typecheck`) checks this file, so a wrong
// augmentation or option type fails the typecheck; tap runs it too, so the assertions also execute.
import { MemoryStore, type Store } from '@comp-manager/core'
import {
  type HealthCheck,
  type HealthCheckResult,
  type HealthReport,
  registerHealthCheck,
  runHealthChecks,
} from '@comp-manager/fastify-kit'
import type { MongoStoreOptions } from '@comp-manager/mongo-store'
import type { SqliteStoreOptions } from '@comp-manager/sqlite-store'
import Fastify, { type FastifyInstance } from 'fastify'
import { type Db, MongoClient } from 'mongodb'
import t from 'tap'
import fastifyCompStore, {
  type FastifyCompStoreOptions,
  type MongoClientLike,
  type MongoDbLike,
  type MongoStoreSettings,
} from '../src/index.js'

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false
const assertType = <T extends true>(_: T): void => {}

// The augmentation.
assertType<Equal<FastifyInstance['compStore'], Store>>(true)
assertType<Equal<FastifyInstance['compHealthChecks'], Map<string, HealthCheck>>>(true)
assertType<Equal<ReturnType<HealthCheck>, Promise<HealthCheckResult>>>(true)
assertType<Equal<Awaited<ReturnType<typeof runHealthChecks>>, HealthReport>>(true)

// The `mongo` settings mirror MongoStoreOptions exactly (plus the ways to connect), so they cannot drift.
type ConnectionKeys = 'db' | 'client' | 'url' | 'dbName' | 'clientOptions'
assertType<Equal<keyof MongoStoreSettings | ConnectionKeys, keyof MongoStoreOptions>>(true)
// The `sqlite` option is SqliteStoreOptions.
assertType<Equal<Extract<FastifyCompStoreOptions, { sqlite: unknown }>['sqlite'], SqliteStoreOptions>>(true)

// A driver's Db and MongoClient fit the by-shape types (so do `fastify.mongo.db` / `.client`).
const client = new MongoClient('mongodb://127.0.0.1:1')
const db: Db = client.db('x')
const asDb: MongoDbLike = db
const asClient: MongoClientLike = client

const good: FastifyCompStoreOptions[] = [
  { sqlite: {} },
  { sqlite: { path: './data/x.db', busyTimeoutMs: 1000 } },
  { store: new MemoryStore(), healthCheck: false },
  { mongo: {} },
  { mongo: { dbName: 'cm', init: false } },
  { mongo: { url: 'mongodb://h/db', forceClose: true, clientOptions: { maxPoolSize: 5 }, reuse: false } },
  { mongo: { client, dbName: 'cm', writeConcern: { w: 'majority' }, readPreference: 'nearest' } },
  { mongo: { db, collectionPrefix: 'cm_', ttlIndex: false }, healthCheck: 'mongo-store' },
]

const bad: FastifyCompStoreOptions[] = [
  // @ts-expect-error one backend is required
  {},
  // @ts-expect-error not two backends
  { sqlite: {}, store: new MemoryStore() },
  // @ts-expect-error sqlite.path is a string
  { sqlite: { path: 42 } },
  // @ts-expect-error a store must implement the port
  { store: { kind: 'x' } },
  // @ts-expect-error `client` needs `dbName`
  { mongo: { client } },
  // @ts-expect-error one way to reach MongoDB
  { mongo: { url: 'mongodb://h/db', client, dbName: 'x' } },
  // @ts-expect-error `dbName` does not go with `db`
  { mongo: { db, dbName: 'x' } },
  // @ts-expect-error `forceClose` only with `url`
  { mongo: { db, forceClose: true } },
  // @ts-expect-error not an option
  { mongo: { url: 'mongodb://h/db', colectionPrefix: 'x' } },
  // @ts-expect-error healthCheck is a name or false
  { store: new MemoryStore(), healthCheck: true },
]

t.test('register() accepts the option forms and the decorators are typed', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(fastifyCompStore, { store: new MemoryStore() })
  // Compile-time only (never called): register() checks the options.
  const _badRegister = () =>
    // @ts-expect-error `sqlite.path` is a string
    app.register(fastifyCompStore, { sqlite: { path: 1 } })
  void _badRegister
  await app.ready()
  const store: Store = app.compStore
  registerHealthCheck(app, 'typed', async () => ({ ok: true, latencyMs: 1, details: { any: 'thing' } }))
  const _badCheck = () =>
    // @ts-expect-error a check returns a promise of { ok, … }
    registerHealthCheck(app, 'untyped', async () => 'fine')
  void _badCheck
  const report: HealthReport = await runHealthChecks(app, { timeoutMs: 100 })
  t.equal(store.kind, 'memory')
  t.equal(report.ok, true)
  t.equal(good.length, 8)
  t.equal(bad.length, 10)
  t.ok(asDb && asClient)
  t.same([...app.compHealthChecks.keys()], ['store', 'typed'])
})
