import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { isCompManagerError } from '@comp-manager/core'
import Sqlite from 'better-sqlite3'
import t from 'tap'
import {
  createSqliteStore,
  DEFAULT_MAX_VALUE_BYTES,
  SqliteStore,
  type SqliteStoreOptions,
} from '../src/index.js'
import { codeOf, computation, entry, inspect } from './fixtures/helpers.js'

t.test('options are validated at construction, naming the option', async (t) => {
  const db = new Sqlite(':memory:')
  t.teardown(() => db.close())
  const closed = new Sqlite(':memory:')
  closed.close()
  const cases: [string, unknown][] = [
    ['path', { path: '' }],
    ['path', { path: 42 }],
    ['database', { database: {} }],
    ['database', { database: closed }],
    ['database', { path: ':memory:', database: db }],
    ['clock', { clock: 'now' }],
    ['busyTimeoutMs', { busyTimeoutMs: -1 }],
    ['busyTimeoutMs', { busyTimeoutMs: 1.5 }],
    ['maxValueBytes', { maxValueBytes: 0 }],
    ['maxValueBytes', { maxValueBytes: 2_000_000_000 }],
    ['hitFlushMs', { hitFlushMs: '1 s' }],
    ['hitFlushMs', { hitFlushMs: '2h' }],
    ['timeout', { path: ':memory:', timeout: 10 }],
  ]
  for (const [option, options] of cases) {
    t.throws(
      () => new SqliteStore(options as SqliteStoreOptions),
      { code: 'CM_ERR_INVALID_ARGUMENT', details: { option }, message: new RegExp(`\`${option}\``) },
      `${option}: ${JSON.stringify(options, (_k, v) => (v instanceof Sqlite ? 'Database' : v))}`,
    )
  }
  t.throws(() => new SqliteStore(null as unknown as SqliteStoreOptions), { code: 'CM_ERR_INVALID_ARGUMENT' })
  // Durations take the one format of comp-manager: milliseconds or a string such as '1s'.
  const store = new SqliteStore({ path: ':memory:', hitFlushMs: '1s', busyTimeoutMs: '2s' })
  t.teardown(() => store.close())
  t.equal(store.kind, 'sqlite', "'1s' and '2s' are accepted durations")
})

t.test('capabilities and kind', async (t) => {
  const store = createSqliteStore({ path: ':memory:' })
  t.teardown(() => store.close())
  t.equal(store.kind, 'sqlite')
  t.same(store.capabilities, {
    multiProcess: true,
    multiMachine: false,
    maxValueBytes: DEFAULT_MAX_VALUE_BYTES,
  })
  const small = createSqliteStore({ path: ':memory:', maxValueBytes: 1024 })
  t.teardown(() => small.close())
  t.equal(small.capabilities.maxValueBytes, 1024)
})

t.test('creates the directory of `path`, in WAL mode with synchronous = NORMAL', async (t) => {
  const dir = t.testdir()
  const path = join(dir, 'a', 'b', 'c', 'store.db')
  const store = new SqliteStore({ path })
  t.teardown(() => store.close())
  t.ok(existsSync(path), 'file created with its parent directories')
  await store.computations.create(computation())
  const raw = inspect(path)
  t.teardown(() => raw.close())
  t.equal(raw.pragma('journal_mode', { simple: true }), 'wal')
  t.equal((raw.prepare('SELECT count(*) AS n FROM computations').get() as { n: number }).n, 1)
})

t.test('the default path is ./data/comp-manager.db', async (t) => {
  const dir = t.testdir()
  t.chdir(dir)
  const store = new SqliteStore()
  t.teardown(() => store.close())
  t.ok(existsSync(join(dir, 'data', 'comp-manager.db')))
  t.equal(store.path, join(dir, 'data', 'comp-manager.db'))
})

t.test('close() closes the database the store opened, and is idempotent', async (t) => {
  const path = join(t.testdir(), 'own.db')
  const store = new SqliteStore({ path })
  await store.cache.set(entry())
  t.ok(existsSync(`${path}-wal`), 'WAL file exists while the connection is open')
  await store.close()
  await store.close()
  // SQLite checkpoints and removes the -wal file when the last connection to the file closes.
  t.notOk(existsSync(`${path}-wal`), 'the connection was closed')
  t.equal(await codeOf(store.cache.get('ns', 'k1')), 'CM_ERR_STORE_UNAVAILABLE')
  t.equal(await codeOf(store.computations.create(computation())), 'CM_ERR_STORE_UNAVAILABLE')
  const ping = await store.ping()
  t.equal(ping.ok, false, 'ping reports, never throws')
})

t.test('a host-supplied database is used but never closed', async (t) => {
  const path = join(t.testdir(), 'host.db')
  const db = new Sqlite(path)
  t.teardown(() => db.close())
  db.exec('CREATE TABLE host_table (x INTEGER)')
  const store = new SqliteStore({ database: db })
  t.equal(store.path, path)
  await store.cache.set(entry({ value: '"from the store"' }))
  t.equal(db.pragma('journal_mode', { simple: true }), 'wal', 'the store set WAL on it')
  await store.close()
  t.ok(db.open, 'still open after store.close()')
  t.equal(
    (db.prepare('SELECT value FROM cache_entries').get() as { value: Buffer }).value.toString(),
    '"from the store"',
  )
  db.prepare('INSERT INTO host_table VALUES (1)').run()
  t.equal(await codeOf(store.cache.get('ns', 'k1')), 'CM_ERR_STORE_UNAVAILABLE', 'the store itself is closed')
})

t.test('a database the host closes under the store gives typed errors', async (t) => {
  const db = new Sqlite(':memory:')
  const store = new SqliteStore({ database: db })
  db.close()
  const err = await store.cache.get('ns', 'k1').catch((e: unknown) => e)
  t.ok(isCompManagerError(err, 'CM_ERR_STORE_UNAVAILABLE'))
  t.equal((await store.ping()).ok, false)
  await store.close()
})

t.test('a file that is not a database is refused with CM_ERR_STORE_UNAVAILABLE', async (t) => {
  const path = join(t.testdir(), 'junk.db')
  writeFileSync(path, 'this is not an SQLite file, just some text long enough to have a header '.repeat(20))
  const err = (() => {
    try {
      return new SqliteStore({ path })
    } catch (e) {
      return e
    }
  })()
  t.ok(isCompManagerError(err, 'CM_ERR_STORE_UNAVAILABLE'), 'typed error')
  t.match((err as Error & { cause: { code: string } }).cause, { code: 'SQLITE_NOTADB' }, 'cause kept')
})

t.test('create refuses a hash that already has a run, whichever attempts are left', async (t) => {
  const path = join(t.testdir(), 'dup.db')
  const now = 1_000
  const store = new SqliteStore({ path, clock: () => now })
  t.teardown(() => store.close())
  const first = await store.computations.create(computation())
  t.equal(await codeOf(store.computations.create(computation())), 'CM_ERR_DUPLICATE')
  // attempt 2 by a rerun, then attempt 1 deleted: the hash still has a run
  await store.computations.update('ns', first.id, 'queued', { status: 'failed' })
  const claim = {
    ...computation(),
    owner: null,
    pid: null,
    host: null,
    leaseMs: 1000,
    onTerminal: 'rerun' as const,
  }
  const rerun = await store.computations.claim(claim)
  t.match(rerun, { won: true, record: { attempt: 2 } })
  t.equal(await store.computations.delete('ns', first.id), true)
  t.equal(await codeOf(store.computations.create(computation())), 'CM_ERR_DUPLICATE')
})

t.test('driver errors are mapped to typed errors with the cause kept', async (t) => {
  const path = join(t.testdir(), 'mapped.db')
  const store = new SqliteStore({ path })
  t.teardown(() => store.close())
  await store.cache.set(entry())
  const raw = inspect(path)
  t.teardown(() => raw.close())
  raw.exec('DROP TABLE cache_tags') // broken behind the store's back: set must fail, typed
  const err = (await store.cache.set(entry({ tags: ['x'] })).catch((e: unknown) => e)) as Error & {
    code: string
  }
  t.equal(err.code, 'CM_ERR_STORE_UNAVAILABLE')
  t.notOk(err.constructor.name === 'SqliteError', 'not the raw driver error')
  t.match(err.cause, { code: 'SQLITE_ERROR' })
})

t.test('cache values are BLOBs of UTF-8 and round-trip exactly', async (t) => {
  const path = join(t.testdir(), 'blob.db')
  const store = new SqliteStore({ path })
  t.teardown(() => store.close())
  const value = JSON.stringify({ text: 'héllo wörld ✓ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 🎉', nul: '\u0000', escaped: '\ud800' })
  const meta = await store.cache.set(entry({ value }))
  t.equal(meta.size, Buffer.byteLength(value))
  t.equal((await store.cache.get('ns', 'k1'))?.value, value)
  const raw = inspect(path)
  t.teardown(() => raw.close())
  const row = raw.prepare('SELECT typeof(value) AS type, length(value) AS bytes FROM cache_entries').get()
  t.same(row, { type: 'blob', bytes: Buffer.byteLength(value) })
})

t.test('a lone surrogate (not UTF-8 encodable) is refused, not silently altered', async (t) => {
  const store = new SqliteStore({ path: ':memory:' })
  t.teardown(() => store.close())
  t.equal(await codeOf(store.cache.set(entry({ value: 'broken \ud800 text' }))), 'CM_ERR_INVALID_ARGUMENT')
})

t.test('a 50 MB value round-trips; one over maxValueBytes is refused', async (t) => {
  const path = join(t.testdir(), 'large.db')
  const store = new SqliteStore({ path, maxValueBytes: 60 * 1024 * 1024 })
  t.teardown(() => store.close())
  const chunk = '0123456789abcdefghij€'.repeat(1000) // 23 000 UTF-8 bytes
  const value = `"${chunk.repeat(Math.ceil((50 * 1024 * 1024) / 23_000))}"`
  t.ok(Buffer.byteLength(value) >= 50 * 1024 * 1024)
  const meta = await store.cache.set(entry({ key: 'big', value }))
  t.equal(meta.size, Buffer.byteLength(value))
  const back = await store.cache.get('ns', 'big')
  t.ok(back?.value === value, 'identical value back')
  t.equal(back?.size, meta.size)
  t.same(await store.cache.stats('ns'), { entries: 1, bytes: meta.size })
  const tooBig = `"${'x'.repeat(60 * 1024 * 1024)}"`
  const err = await store.cache.set(entry({ key: 'too-big', value: tooBig })).catch((e: unknown) => e)
  t.match(err, { code: 'CM_ERR_VALUE_TOO_LARGE', details: { limit: 60 * 1024 * 1024 } })
})

t.test('cache hits are batched in memory, then flushed', async (t) => {
  t.test('on flush(): nothing is written before, the sum after', async (t) => {
    const path = join(t.testdir(), 'hits.db')
    let now = 1_000_000
    const store = new SqliteStore({ path, hitFlushMs: 60_000, clock: () => now })
    t.teardown(() => store.close())
    await store.cache.set(entry())
    const raw = inspect(path)
    t.teardown(() => raw.close())
    const stored = () => raw.prepare('SELECT hits, last_hit_at AS lastHitAt FROM cache_entries').get()
    now += 10
    await store.cache.get('ns', 'k1')
    now += 10
    await store.cache.get('ns', 'k1')
    const third = await store.cache.get('ns', 'k1')
    t.match(third, { hits: 3, lastHitAt: 1_000_020 }, 'the returned entry counts the pending hits')
    await store.cache.get('ns', 'k1', { touch: false })
    t.same(stored(), { hits: 0, lastHitAt: null }, 'no write per get')
    await store.flush()
    t.same(stored(), { hits: 3, lastHitAt: 1_000_020 }, 'one batch with the sum; touch:false not counted')
    t.match((await store.cache.list({ namespace: 'ns' })).data[0], { hits: 3 })
    await store.flush()
    t.same(stored(), { hits: 3, lastHitAt: 1_000_020 }, 'an empty flush changes nothing')
  })

  t.test('every hitFlushMs', async (t) => {
    const path = join(t.testdir(), 'timer.db')
    const store = new SqliteStore({ path, hitFlushMs: 20 })
    t.teardown(() => store.close())
    await store.cache.set(entry())
    await store.cache.get('ns', 'k1')
    await store.cache.get('ns', 'k1')
    const raw = inspect(path)
    t.teardown(() => raw.close())
    const hits = () => (raw.prepare('SELECT hits FROM cache_entries').get() as { hits: number }).hits
    t.equal(hits(), 0)
    const deadline = Date.now() + 2000
    while (hits() !== 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
    t.equal(hits(), 2, 'written by the timer')
  })

  t.test('on close()', async (t) => {
    const path = join(t.testdir(), 'close.db')
    const store = new SqliteStore({ path, hitFlushMs: 60_000 })
    await store.cache.set(entry())
    await store.cache.get('ns', 'k1')
    await store.close()
    const raw = inspect(path)
    t.teardown(() => raw.close())
    t.equal((raw.prepare('SELECT hits FROM cache_entries').get() as { hits: number }).hits, 1)
  })

  t.test('hits of a replaced entry do not count for the new one', async (t) => {
    const path = join(t.testdir(), 'replaced.db')
    let now = 5_000
    const a = new SqliteStore({ path, hitFlushMs: 60_000, clock: () => now })
    const b = new SqliteStore({ path, hitFlushMs: 60_000, clock: () => now })
    t.teardown(() => Promise.all([a.close(), b.close()]))
    await a.cache.set(entry({ value: '"old"' }))
    await a.cache.get('ns', 'k1')
    await a.cache.get('ns', 'k1')
    now += 5
    await b.cache.set(entry({ value: '"new"' })) // another process replaces it before a flushes
    await a.flush()
    t.match(await b.cache.get('ns', 'k1', { touch: false }), { value: '"new"', hits: 0 })
  })

  t.test('several connections add up', async (t) => {
    const path = join(t.testdir(), 'sum.db')
    const stores = [1, 2, 3].map(() => new SqliteStore({ path, hitFlushMs: 60_000 }))
    t.teardown(() => Promise.all(stores.map((s) => s.close())))
    await stores[0]!.cache.set(entry())
    for (const [i, s] of stores.entries()) for (let n = 0; n <= i; n++) await s.cache.get('ns', 'k1')
    await Promise.all(stores.map((s) => s.flush()))
    t.match(await stores[0]!.cache.get('ns', 'k1', { touch: false }), { hits: 6 })
  })
})

t.test('a locked database is retried without freezing the event loop', async (t) => {
  const path = join(t.testdir(), 'locked.db')
  // If the wait blocked the thread (SQLite's own busy_timeout), the event loop would stop for the
  // whole 1.5 s; retried asynchronously, it only stops for the 30 ms of each attempt.
  const store = new SqliteStore({ path, busyTimeoutMs: 1500 })
  t.teardown(() => store.close())
  const locker = inspect(path)
  t.teardown(() => locker.close())

  t.test('gives up after busyTimeoutMs with CM_ERR_STORE_UNAVAILABLE, cause kept', async (t) => {
    locker.exec('BEGIN IMMEDIATE')
    let last = performance.now()
    let maxGap = 0
    const ticker = setInterval(() => {
      const now = performance.now()
      maxGap = Math.max(maxGap, now - last)
      last = now
    }, 5)
    const started = performance.now()
    const err = await store.cache.set(entry()).catch((e: unknown) => e)
    const waited = performance.now() - started
    clearInterval(ticker)
    locker.exec('ROLLBACK')
    t.match(err, {
      code: 'CM_ERR_STORE_UNAVAILABLE',
      details: { sqliteCode: 'SQLITE_BUSY', busyTimeoutMs: 1500 },
    })
    t.match((err as { cause: unknown }).cause, { code: 'SQLITE_BUSY' })
    t.ok(waited >= 1450 && waited < 6000, `waited about busyTimeoutMs (${Math.round(waited)} ms)`)
    t.ok(
      maxGap < 500,
      `the event loop kept turning (longest gap ${Math.round(maxGap)} ms of ${Math.round(waited)})`,
    )
  })

  t.test('succeeds once the other connection lets go', async (t) => {
    locker.exec('BEGIN IMMEDIATE')
    setTimeout(() => locker.exec('COMMIT'), 150)
    const started = performance.now()
    const meta = await store.cache.set(entry({ key: 'after-lock' }))
    t.ok(performance.now() - started >= 100, 'it had to wait')
    t.equal(meta.key, 'after-lock')
    t.match(await store.cache.get('ns', 'after-lock'), { key: 'after-lock' })
  })

  t.test('reads are not blocked by a writer (WAL), and see only committed data', async (t) => {
    locker.exec('BEGIN IMMEDIATE')
    locker
      .prepare("UPDATE cache_entries SET value = CAST('\"uncommitted\"' AS BLOB) WHERE key = 'after-lock'")
      .run()
    t.teardown(() => locker.inTransaction && locker.exec('ROLLBACK'))
    const started = performance.now()
    t.match(await store.cache.get('ns', 'after-lock'), { key: 'after-lock', value: entry().value })
    t.ok(performance.now() - started < 1000, 'answered without waiting for the lock (busyTimeoutMs is 1.5 s)')
  })
})

// Regression (reliability suite, store outage): in WAL mode reads never block, so a ping that only
// read reported a healthy store while another process held the file locked for writes.
t.test(
  'ping reports a write-locked file as unavailable, and recovers when the lock is released',
  async (t) => {
    const dir = t.testdir()
    const path = join(dir, 'locked.db')
    const store = new SqliteStore({ path })
    t.teardown(() => store.close())
    t.equal((await store.ping()).ok, true)
    const holder = new Sqlite(path)
    t.teardown(() => holder.close())
    holder.exec('BEGIN EXCLUSIVE')
    const locked = await store.ping()
    t.equal(locked.ok, false, 'locked for writes → not ok')
    t.match(locked.error, /lock|busy/i)
    holder.exec('ROLLBACK')
    t.equal((await store.ping()).ok, true, 'healthy again once released')
  },
)
