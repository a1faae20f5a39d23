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
  type FastifyCompStoreSqliteOptions,
  type MongoClientLike,
  type MongoDbLike,
  type MongoDbOptionsForm,
  type MongoUrlOptions,
} from '../src/index.js'

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false
const assertType = <T extends true>(_: T): void => {}

// The augmentation.
assertType<Equal<FastifyInstance['compStore'], Store>>(true)
assertType<Equal<FastifyInstance['compHealthChecks'], Map<string, HealthCheck>>>(true)
assertType<Equal<ReturnType<HealthCheck>, Promise<HealthCheckResult>>>(true)
assertType<Equal<Awaited<ReturnType<typeof runHealthChecks>>, HealthReport>>(true)

// The plugin declares only the connection part it uses; its types agree with the stores' own, and the
// stores' settings pass through (typed by the stores: `{ store: createMongoStore({ … }) }`).
assertType<Equal<MongoUrlOptions['url'], NonNullable<MongoStoreOptions['url']>>>(true)
assertType<Equal<MongoUrlOptions['dbName'], MongoStoreOptions['dbName']>>(true)
assertType<Equal<FastifyCompStoreSqliteOptions['path'], SqliteStoreOptions['path']>>(true)
type MongoSettings = Omit<MongoStoreOptions, 'db' | 'client' | 'url' | 'dbName' | 'clientOptions'>
const mongoSettings: MongoSettings = { collectionPrefix: 'cm_', writeConcern: { w: 'majority' } }
const sqliteSettings: SqliteStoreOptions = { path: ':memory:', busyTimeoutMs: 1000 }

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
  // A SqliteStoreOptions or MongoStoreOptions value (interfaces) fits as the settings.
  { sqlite: sqliteSettings },
  { mongo: { db, ...mongoSettings } satisfies MongoDbOptionsForm },
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
  // @ts-expect-error `clientOptions` only with `url`
  { mongo: { client, dbName: 'x', clientOptions: {} } },
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
  t.equal(good.length, 10)
  t.equal(bad.length, 10)
  t.ok(asDb && asClient)
  t.same([...app.compHealthChecks.keys()], ['store', 'typed'])
})

t.test('the published declarations import neither store package', async (t) => {
  const { execFileSync } = await import('node:child_process')
  const { readdirSync, readFileSync } = await import('node:fs')
  const { createRequire } = await import('node:module')
  const root = new URL('..', import.meta.url)
  const dist = new URL('dist/', root)
  const declarations = readdirSync(dist).filter((file) => file.endsWith('.d.ts'))
  t.ok(declarations.includes('index.d.ts'), 'dist is built (`pnpm build` runs before the tests)')
  for (const file of declarations) {
    const text = readFileSync(new URL(file, dist), 'utf8')
    t.notMatch(
      text,
      /from '@comp-manager\/(sqlite|mongo)-store'|import\('@comp-manager\/(sqlite|mongo)-store'\)/,
      file,
    )
  }
  // A host with only mongo-store, checking every declaration (skipLibCheck: false).
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
  try {
    execFileSync(process.execPath, [tsc, '-p', 'test/fixtures/types/tsconfig.json'], {
      cwd: root,
      encoding: 'utf8',
    })
    t.pass('tsc -p test/fixtures/types/tsconfig.json passes')
  } catch (err) {
    t.fail(
      `tsc -p test/fixtures/types/tsconfig.json failed:\n${(err as { stdout?: string }).stdout ?? String(err)}`,
    )
  }
})
