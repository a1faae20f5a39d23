import { join } from 'node:path'
import Sqlite from 'better-sqlite3'
import t from 'tap'
import { SqliteStore } from '../src/index.js'

// How the store writes `computations` rows: the cost of a status change is the pages it dirties
// (every index with a column in the UPDATE's SET list is rewritten, changed or not) and, with the
// event-log triggers, the statement journal it needs. See bench/queue.bench.ts for the throughput.

/** A store on a host-supplied connection, with TEMP triggers counting the UPDATEs of each watched column. */
function watched(path: string, columns: readonly string[]) {
  const db = new Sqlite(path)
  const store = new SqliteStore({ database: db })
  // After the store's pragmas: changing temp_store drops the TEMP objects.
  db.exec('CREATE TEMP TABLE column_writes (col TEXT NOT NULL)')
  for (const col of columns) {
    db.exec(
      `CREATE TEMP TRIGGER watch_${col} AFTER UPDATE OF ${col} ON main.computations
       BEGIN INSERT INTO column_writes VALUES ('${col}'); END`,
    )
  }
  const writes = () =>
    (db.prepare('SELECT col FROM column_writes ORDER BY rowid').all() as { col: string }[]).map((r) => r.col)
  return { db, store, writes }
}

t.test('the store keeps temporary storage (statement journals) in memory', async (t) => {
  const db = new Sqlite(join(t.testdir(), 'temp.db'))
  t.teardown(() => db.close())
  t.equal(db.pragma('temp_store', { simple: true }), 0, 'the default: a file')
  const store = new SqliteStore({ database: db })
  t.teardown(() => store.close())
  t.equal(db.pragma('temp_store', { simple: true }), 2, 'MEMORY once the store has the connection')
})

t.test('a job’s claim, heartbeat and completion write only the columns that change', async (t) => {
  // Columns no queue transition changes: writing them would rewrite their indexes for nothing.
  const still = ['namespace', 'hash', 'function', 'function_full', 'created_at', 'args', 'checkpoint']
  const { db, store, writes } = watched(join(t.testdir(), 'writes.db'), [...still, 'status', 'lease_until'])
  t.teardown(() => db.close())
  t.teardown(() => store.close())
  const { record } = await store.queue.enqueue({
    namespace: 'ns',
    function: 'work',
    functionFull: 'jobs/work',
    args: [1, { a: 2 }],
    hash: 'h1',
    hashAlgorithm: 'sha256',
  })
  // args as another writer may have stored them (not JSON.stringify's spacing): kept byte for byte.
  db.prepare(`UPDATE computations SET args = '[1, {"a": 2}]' WHERE id = ?`).run(record.id)
  db.exec('DELETE FROM column_writes')
  const [claimed] = await store.queue.claimBatch({
    namespaces: ['ns'],
    functions: ['work'],
    worker: 'w',
    pid: 1,
    host: 'h',
    leaseMs: 60_000,
    max: 4,
  })
  t.equal(claimed?.id, record.id)
  await store.computations.heartbeat('ns', record.id, { leaseUntil: Date.now() + 120_000 })
  const [finished] = await store.queue.complete([
    { namespace: 'ns', id: record.id, worker: 'w', value: '"done"' },
  ])
  t.equal(finished?.status, 'finished')
  t.same(writes(), ['status', 'lease_until', 'lease_until', 'status', 'lease_until'], 'only what changed')
  const row = db.prepare('SELECT args, max_lost_retries FROM computations WHERE id = ?').get(record.id)
  t.same(
    row,
    { args: '[1, {"a": 2}]', max_lost_retries: 3 },
    'args untouched; the claim kept its lost retries',
  )
  t.same((await store.computations.get('ns', record.id))?.args, [1, { a: 2 }])
})

t.test('a compare-and-set update writes the patched fields, the others stay as stored', async (t) => {
  const { db, store, writes } = watched(join(t.testdir(), 'patch.db'), ['args', 'message', 'progress'])
  t.teardown(() => db.close())
  t.teardown(() => store.close())
  const { record } = await store.queue.enqueue({
    namespace: 'ns',
    function: 'work',
    functionFull: 'jobs/work',
    args: ['x'],
    hash: 'h2',
    hashAlgorithm: 'sha256',
  })
  const next = await store.computations.update('ns', record.id, 'queued', { message: 'waiting' })
  t.equal(next.message, 'waiting')
  t.same(writes(), ['message'])
  t.equal((await store.computations.get('ns', record.id))?.message, 'waiting', 'read back')
})
