// Faults of the database file (issue 13): deleted or replaced, read-only, full, locked by another process.
// Each is CM_ERR_STORE_UNAVAILABLE with details.fault, never a hang or an acknowledged write that is lost;
// ping() turns not ok, and ok again once the fault clears (a deleted file: until the store is reopened).
import { copyFileSync, renameSync, unlinkSync } from 'node:fs'
import { join } from 'node:path'
import type { CompManagerError } from '@comp-manager/core'
import Sqlite from 'better-sqlite3'
import t from 'tap'
import { READ_FILE_CHECK_MS } from '../src/connection.js'
import { SqliteStore } from '../src/index.js'
import { computation, exited, forkFixture, nextMessage } from './fixtures/helpers.js'

let n = 0
const fresh = () => computation({ hash: `h${++n}`, args: [n] })

async function refusal(promise: Promise<unknown>): Promise<CompManagerError> {
  try {
    await promise
  } catch (err) {
    return err as CompManagerError
  }
  throw new Error('the write was acknowledged')
}

t.test('a deleted database file: writes refused, ping red, nothing acknowledged is lost', async (t) => {
  const path = join(t.testdir(), 'deleted.db')
  const store = new SqliteStore({ path })
  t.teardown(() => store.close())
  const kept = await store.computations.create(fresh())
  unlinkSync(path)
  const err = await refusal(store.computations.create(fresh()))
  t.equal(err.code, 'CM_ERR_STORE_UNAVAILABLE')
  t.equal(err.details?.fault, 'moved')
  t.match(err.message, /deleted or replaced/)
  t.equal(
    (await refusal(store.computations.get('ns', kept.id))).code,
    'CM_ERR_STORE_UNAVAILABLE',
    'reads too',
  )
  const ping = await store.ping()
  t.equal(ping.ok, false, 'ping red')
  t.match(ping.error, /deleted or replaced/)
  await store.close()
  const reopened = new SqliteStore({ path })
  t.teardown(() => reopened.close())
  t.equal(
    (await reopened.computations.list({ namespace: 'ns' })).total,
    0,
    'a new, empty file: no write was acknowledged into the old one',
  )
  t.equal((await reopened.ping()).ok, true, 'a reopened store is green')
})

t.test('reads check the file at most every READ_FILE_CHECK_MS, writes before each write', async (t) => {
  const path = join(t.testdir(), 'read-check.db')
  const store = new SqliteStore({ path })
  t.teardown(() => store.close())
  const kept = await store.computations.create(fresh())
  t.ok(await store.computations.get('ns', kept.id), 'read before the deletion')
  unlinkSync(path)
  await new Promise((resolve) => setTimeout(resolve, READ_FILE_CHECK_MS + 20))
  const err = await refusal(store.computations.get('ns', kept.id))
  t.equal(err.details?.fault, 'moved', `a read ${READ_FILE_CHECK_MS} ms later is refused`)
  t.equal(
    (await refusal(store.cache.get('ns', 'k'))).details?.fault,
    'moved',
    'and every read after it (the move is remembered)',
  )
})

t.test('a replaced database file is refused the same way', async (t) => {
  const dir = t.testdir()
  const path = join(dir, 'replaced.db')
  const store = new SqliteStore({ path })
  t.teardown(() => store.close())
  await store.computations.create(fresh())
  copyFileSync(path, join(dir, 'copy.db'))
  renameSync(join(dir, 'copy.db'), path)
  t.equal((await refusal(store.computations.create(fresh()))).details?.fault, 'moved')
  t.equal((await store.ping()).ok, false)
})

t.test(
  'a full database (max_page_count): 503-class error, ping red, green after space is freed',
  async (t) => {
    const db = new Sqlite(join(t.testdir(), 'full.db'))
    t.teardown(() => db.close())
    const store = new SqliteStore({ database: db })
    await store.computations.create(fresh())
    const pages = db.pragma('page_count', { simple: true }) as number
    db.pragma(`max_page_count = ${pages}`)
    let err: CompManagerError | undefined
    for (let i = 0; i < 1000 && err === undefined; i++) {
      err = await store.computations.create({ ...fresh(), args: ['x'.repeat(2000)] }).then(
        () => undefined,
        (e: CompManagerError) => e,
      )
    }
    t.ok(err, 'a write fails once the pages run out')
    t.equal(err?.code, 'CM_ERR_STORE_UNAVAILABLE')
    t.equal(err?.details?.fault, 'full')
    t.equal(err?.details?.sqliteCode, 'SQLITE_FULL')
    const red = await store.ping()
    t.equal(red.ok, false, 'ping red while full')
    t.match(red.error, /full/)
    db.pragma(`max_page_count = ${pages + 10_000}`)
    t.equal((await store.ping()).ok, true, 'ping green once there is room')
    t.ok(await store.computations.create(fresh()), 'writes work again, without a restart')
  },
)

t.test('a read-only database: writes refused, ping red, green when writable again', async (t) => {
  const db = new Sqlite(join(t.testdir(), 'ro.db'))
  t.teardown(() => db.close())
  const store = new SqliteStore({ database: db })
  const kept = await store.computations.create(fresh())
  db.pragma('query_only = 1')
  const started = performance.now()
  const err = await refusal(store.computations.create(fresh()))
  t.ok(performance.now() - started < 1000, 'refused at once, no spinning retry')
  t.equal(err.code, 'CM_ERR_STORE_UNAVAILABLE')
  t.equal(err.details?.fault, 'readonly')
  t.equal((await store.computations.get('ns', kept.id))?.id, kept.id, 'reads still answer')
  t.equal((await store.ping()).ok, false, 'ping red')
  db.pragma('query_only = 0')
  t.equal((await store.ping()).ok, true, 'ping green')
  t.ok(await store.computations.create(fresh()))
})

t.test(
  'a lock held by another process: CM_ERR_STORE_UNAVAILABLE after busyTimeoutMs, the event loop free',
  async (t) => {
    const path = join(t.testdir(), 'locked.db')
    const store = new SqliteStore({ path, busyTimeoutMs: 400 })
    t.teardown(() => store.close())
    await store.computations.create(fresh())
    const locker = forkFixture('./locker.ts', [path])
    t.teardown(() => locker.kill())
    await nextMessage(locker, 'locked')
    let ticks = 0
    const timer = setInterval(() => ticks++, 20)
    const started = performance.now()
    const err = await refusal(store.computations.create(fresh()))
    const waited = performance.now() - started
    clearInterval(timer)
    t.equal(err.code, 'CM_ERR_STORE_UNAVAILABLE')
    t.match(err.message, /locked/)
    t.ok(waited >= 350 && waited < 3000, `refused after ${Math.round(waited)} ms`)
    t.ok(ticks >= 5, `timers ran while waiting (${ticks} ticks)`)
    t.equal((await store.ping()).ok, false, 'ping red while locked')
    locker.send({ type: 'release' })
    await nextMessage(locker, 'released')
    await exited(locker)
    t.equal((await store.ping()).ok, true, 'ping green once released')
    t.ok(await store.computations.create(fresh()))
  },
)
