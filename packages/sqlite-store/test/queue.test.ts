import { join } from 'node:path'
import t from 'tap'
import { SqliteStore } from '../src/index.js'
import { migrate, migrations } from '../src/migrations.js'
import { exited, forkFixture, inspect, nextMessage } from './fixtures/helpers.js'

// The SQLite specifics of the queue port; its semantics are the store-testkit's queue groups
// (conformance.test.ts). Here: real processes claiming from one file, the claim query's index, and
// version-2 rows after migration 3.

const CHILDREN = 4
const JOBS = 200

t.test(`${CHILDREN} processes drain ${JOBS} jobs from one file: each job claimed exactly once`, async (t) => {
  const path = join(t.testdir(), 'queue.db')
  const store = new SqliteStore({ path })
  t.teardown(() => store.close())
  for (let i = 0; i < JOBS; i++) {
    await store.queue.enqueue({
      namespace: 'ns',
      function: 'work',
      functionFull: 'jobs/work',
      args: [i],
      hash: `job-${i}`,
      hashAlgorithm: 'sha256',
      priority: i % 4,
    })
  }
  const children = Array.from({ length: CHILDREN }, (_, i) => forkFixture('./claimer.ts', [path, `w${i}`]))
  t.teardown(() => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL')
  })
  await Promise.all(children.map((child) => nextMessage(child, 'ready')))
  const done = children.map((child) =>
    nextMessage<{ type: string; claimed: string[]; errors: string[] }>(child, 'done'),
  )
  const startAt = Date.now() + 200
  for (const child of children) child.send({ type: 'go', startAt })
  const reports = await Promise.all(done)
  await Promise.all(children.map((child) => exited(child)))
  t.same(
    reports.flatMap((r) => r.errors),
    [],
    'no child met an error',
  )
  const claimed = reports.flatMap((r) => r.claimed)
  t.equal(claimed.length, JOBS, 'as many claims as jobs')
  t.equal(new Set(claimed).size, JOBS, 'no job claimed twice')
  t.ok(reports.filter((r) => r.claimed.length > 0).length >= 2, 'the work was shared between processes')
  const raw = inspect(path)
  t.teardown(() => raw.close())
  const counts = raw.prepare('SELECT status, count(*) AS n FROM computations GROUP BY status').all()
  t.same(counts, [{ status: 'finished', n: JOBS }], 'every job finished, none left queued or running')
  const workers = raw.prepare('SELECT count(DISTINCT worker) AS n FROM computations').get() as { n: number }
  t.ok(workers.n >= 2, 'the worker of each claim is recorded')
})

t.test('claimNext reads the queued rows through the partial claim index', async (t) => {
  const store = new SqliteStore({ path: join(t.testdir(), 'plan.db') })
  t.teardown(() => store.close())
  const raw = inspect(store.path)
  t.teardown(() => raw.close())
  const plan = raw
    .prepare(
      `EXPLAIN QUERY PLAN SELECT * FROM computations INDEXED BY computations_queue
       WHERE status = 'queued' AND due_at <= 0 AND namespace = 'ns'
       AND function IN (SELECT value FROM json_each('[]')) ORDER BY priority DESC, due_at, created_at, id LIMIT 1`,
    )
    .all() as { detail: string }[]
  const details = plan.map((p) => p.detail).join(' | ')
  t.match(details, /computations_queue/, 'uses computations_queue')
  t.notMatch(details, /TEMP B-TREE/, 'no sort step: the index is in claim order')
})

t.test('migration 3: version-2 rows get the queue defaults and are claimable', async (t) => {
  const path = join(t.testdir(), 'v2.db')
  const db = inspect(path)
  migrate(db, migrations.slice(0, 2))
  db.prepare(
    `INSERT INTO computations (id, namespace, name, function, function_full, hash, hash_algorithm, attempt, status,
       created_at, updated_at, schema_version, args)
     VALUES ('old', 'ns', 'work', 'work', 'jobs/work', 'h', 'sha256', 1, 'queued', 5, 5, 2, '[1]')`,
  ).run()
  db.close()
  const store = new SqliteStore({ path, clock: () => 1000 })
  t.teardown(() => store.close())
  t.hasStrict(await store.computations.get('ns', 'old'), {
    priority: 0,
    runAt: null,
    maxAttempts: 1,
    worker: null,
    schemaVersion: 2,
  })
  const claimed = await store.queue.claimNext({
    namespaces: ['ns'],
    functions: ['work'],
    worker: 'w',
    pid: 1,
    host: 'h',
    leaseMs: 1000,
  })
  t.hasStrict(claimed, { id: 'old', status: 'started', worker: 'w', leaseUntil: 2000 })
})
