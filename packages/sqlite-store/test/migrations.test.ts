import { existsSync } from 'node:fs'
import { join } from 'node:path'
import Sqlite from 'better-sqlite3'
import t from 'tap'
import {
  LATEST_SCHEMA_VERSION,
  type Migration,
  migrate,
  migrations,
  SqliteStore,
  schemaVersionOf,
} from '../src/index.js'
import { codeOf, computation, entry, inspect } from './fixtures/helpers.js'

const tables = (db: Sqlite.Database) =>
  (
    db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as {
      name: string
    }[]
  ).map((r) => r.name)

const columns = (db: Sqlite.Database, table: string) =>
  (db.prepare(`SELECT name FROM pragma_table_info('${table}')`).all() as { name: string }[]).map(
    (r) => r.name,
  )

/** The version this package writes, and a hypothetical next one. */
const L = LATEST_SCHEMA_VERSION
const NEXT = L + 1

/** A hypothetical next version: what shipping the next migration would look like. */
const v2: Migration = {
  version: NEXT,
  description: 'computations.weight',
  up: (db) => db.exec('ALTER TABLE computations ADD COLUMN weight INTEGER NOT NULL DEFAULT 0'),
}

t.test('a new file is created at the latest version, with a history row per migration', async (t) => {
  const path = join(t.testdir(), 'new.db')
  const store = new SqliteStore({ path, clock: () => 1234 })
  await store.close()
  const db = inspect(path)
  t.teardown(() => db.close())
  t.equal(schemaVersionOf(db), LATEST_SCHEMA_VERSION)
  t.same(
    db.prepare('SELECT version, applied_at AS appliedAt FROM schema_version ORDER BY version').all(),
    migrations.map((m) => ({ version: m.version, appliedAt: 1234 })),
  )
  t.same(tables(db), [
    'cache_entries',
    'cache_tags',
    'computations',
    // Version 7: the document port (webhook subscriptions and cursors, fleet-wide counters).
    'documents',
    'events',
    'queue_schedules',
    'queue_workers',
    'schema_version',
    // SQLite's own table of AUTOINCREMENT counters (the event log's sequence).
    'sqlite_sequence',
  ])
})

t.test('a version-0 file (no schema_version, other tables) is upgraded in place', async (t) => {
  const path = join(t.testdir(), 'v0.db')
  const seed = new Sqlite(path)
  seed.exec("CREATE TABLE host_notes (note TEXT); INSERT INTO host_notes VALUES ('kept')")
  seed.close()

  const store = new SqliteStore({ path })
  await store.computations.create(computation())
  await store.close()
  const db = inspect(path)
  t.teardown(() => db.close())
  t.equal(schemaVersionOf(db), LATEST_SCHEMA_VERSION)
  t.same(db.prepare('SELECT note FROM host_notes').all(), [{ note: 'kept' }], 'other tables untouched')
})

t.test('an older file is upgraded to the newest migration, data kept', async (t) => {
  const path = join(t.testdir(), 'v1.db')
  const old = new SqliteStore({ path })
  const created = await old.computations.create(computation())
  await old.cache.set(entry())
  await old.close()

  const db = inspect(path)
  t.teardown(() => db.close())
  t.equal(schemaVersionOf(db), L)
  t.same(migrate(db, [...migrations, v2], 99), { from: L, to: NEXT })
  t.equal(schemaVersionOf(db), NEXT)
  t.ok(columns(db, 'computations').includes('weight'), 'migration 2 applied')
  t.same(
    db.prepare('SELECT id, weight FROM computations').all(),
    [{ id: created.id, weight: 0 }],
    'rows kept',
  )
  t.same(migrate(db, [...migrations, v2]), { from: NEXT, to: NEXT }, 'running it again is a no-op')
})

t.test('a failing migration rolls back entirely', async (t) => {
  const path = join(t.testdir(), 'failing.db')
  const db = new Sqlite(path)
  t.teardown(() => db.close())
  migrate(db)
  const broken: Migration = {
    version: NEXT,
    description: 'fails halfway',
    up: (d) => {
      d.exec('CREATE TABLE half_done (x INTEGER)')
      throw new Error('boom')
    },
  }
  const v3: Migration = {
    version: NEXT + 1,
    description: 'never reached',
    up: (d) => d.exec('CREATE TABLE v3 (x)'),
  }
  t.throws(() => migrate(db, [...migrations, broken, v3]), { message: 'boom' })
  t.equal(schemaVersionOf(db), L, 'version unchanged')
  t.notOk(tables(db).includes('half_done'), 'its DDL was rolled back')
  t.notOk(db.inTransaction)
})

t.test('migrations must be numbered 1, 2, 3…', async (t) => {
  const db = new Sqlite(':memory:')
  t.teardown(() => db.close())
  t.throws(() => migrate(db, [migrations[0]!, { ...v2, version: 3 }]), /numbered/)
  t.throws(() => migrate(db, [...migrations, { ...v2, version: NEXT + 1 }]), /numbered/)
  t.throws(() => migrate(db, []), /at least one/)
})

t.test('a file stamped with a newer version is refused with CM_ERR_SCHEMA_VERSION', async (t) => {
  const path = join(t.testdir(), 'newer.db')
  const db = new Sqlite(path)
  migrate(db, [...migrations, v2])
  db.close()

  const err = (() => {
    try {
      return new SqliteStore({ path })
    } catch (e) {
      return e
    }
  })() as Error & { code: string; details: Record<string, unknown> }
  t.equal(err.code, 'CM_ERR_SCHEMA_VERSION')
  t.match(err.message, new RegExp(`schema version ${NEXT}, newer than version ${L}`))
  t.match(err.message, /upgrade the package/)
  t.same(err.details, { version: NEXT, supported: L, file: path })
  t.notOk(existsSync(`${path}-wal`), 'the connection the store opened was closed again')

  const raw = inspect(path)
  t.teardown(() => raw.close())
  t.equal(schemaVersionOf(raw), NEXT, 'the file was left alone')
  t.ok(columns(raw, 'computations').includes('weight'))

  t.test('also for a host-supplied database, which stays open', async (t) => {
    const host = new Sqlite(path)
    t.teardown(() => host.close())
    t.equal(await codeOf(() => new SqliteStore({ database: host })), 'CM_ERR_SCHEMA_VERSION')
    t.ok(host.open)
  })
})

t.test(
  'a second connection finds the file already migrated (concurrent opens: multiprocess.test.ts)',
  async (t) => {
    const path = join(t.testdir(), 'race.db')
    const a = new Sqlite(path)
    const b = new Sqlite(path)
    t.teardown(() => {
      a.close()
      b.close()
    })
    migrate(a)
    t.same(migrate(a, [...migrations, v2]), { from: L, to: NEXT })
    t.same(migrate(b, [...migrations, v2]), { from: NEXT, to: NEXT })
    t.same(
      b.prepare('SELECT version FROM schema_version ORDER BY version').all(),
      [...migrations, v2].map((m) => ({ version: m.version })),
    )
  },
)

t.test('version 1 → 2: running time by segments, backfilled from version 1 timestamps', async (t) => {
  const path = join(t.testdir(), 'v1-rows.db')
  const db = new Sqlite(path)
  t.teardown(() => db.close())
  migrate(db, [migrations[0]!])
  const insert = db.prepare(
    `INSERT INTO computations (id, namespace, name, function, function_full, hash, hash_algorithm, attempt, status,
       created_at, updated_at, started_at, finished_at, paused_at, heartbeat_at, schema_version)
     VALUES (?, 'ns', 'f', 'f', 'f', ?, 'sha256', 1, ?, 0, 0, ?, ?, ?, ?, 1)`,
  )
  insert.run('fin', 'h1', 'finished', 1000, 5000, null, 4900)
  insert.run('pau', 'h2', 'paused', 1000, null, 3000, 2900)
  insert.run('los', 'h3', 'lost', 1000, 90_000, null, 2000)
  insert.run('run', 'h4', 'started', 1000, null, null, 1500)
  insert.run('que', 'h5', 'queued', null, null, null, null)
  t.same(migrate(db), { from: 1, to: L })
  const rows = db
    .prepare(
      'SELECT id, active_ms AS activeMs, active_since AS activeSince, pause_requested_at AS req FROM computations ORDER BY id',
    )
    .all()
  t.same(rows, [
    { id: 'fin', activeMs: 4000, activeSince: null, req: null },
    { id: 'los', activeMs: 1000, activeSince: null, req: null },
    { id: 'pau', activeMs: 2000, activeSince: null, req: null },
    { id: 'que', activeMs: 0, activeSince: null, req: null },
    { id: 'run', activeMs: 0, activeSince: 1000, req: null },
  ])
})
