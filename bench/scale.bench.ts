// bench/scale: are the listings flat from 10 k to 1 M records?
//
// For each size, seeds a fresh SQLite file (the store's own schema and migrations, then one bulk
// INSERT transaction of realistic rows), builds the composed server on it (`buildApp`, auth on,
// production config, logger off) and times `GET /api/v1/computations` through `app.inject` for each
// listing shape: page 1, a deep position by cursor (the middle of the list), `status=`, `function=`,
// `status+function`, `since`, and each `sort`; also the old deep page by `page=` (OFFSET) for
// comparison. Every response includes its (bounded) `total`, so each figure is a page plus a count.
// Prints the median latency per shape and size, the ratio 1 M ÷ 10 k (goal: ≤ 2), and DB bytes per record.
//
//   pnpm --filter @comp-manager/bench bench:scale
//   BENCH_SCALE_SIZES=10000,100000 …   other sizes (the ratio is largest ÷ smallest)
//   BENCH_SCALE_REPS=40 …              requests per shape and size (median reported; default 25)
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DEFAULT_LIST_POLICY, normalizeComputationQuery } from '@comp-manager/core/store-kit'
import { SqliteStore } from '@comp-manager/sqlite-store'
import Database from 'better-sqlite3'

const SIZES = (process.env.BENCH_SCALE_SIZES ?? '10000,100000,1000000').split(',').map(Number)
const REPS = Number(process.env.BENCH_SCALE_REPS ?? 25)
const NAMESPACE = 'default'
const FUNCTIONS = 40
const STATUSES = [
  ['finished', 0.7],
  ['failed', 0.1],
  ['lost', 0.05],
  ['queued', 0.05],
  ['started', 0.05],
  ['paused', 0.05],
] as const
const START = Date.parse('2026-01-01T00:00:00Z')

function statusOf(i: number): string {
  let x = ((i * 2654435761) % 1000) / 1000
  for (const [status, share] of STATUSES) {
    if (x < share) return status
    x -= share
  }
  return 'finished'
}

/** Seeds `count` records (1 in 10 in another namespace), one transaction; returns the DB file path. */
function seed(dir: string, count: number): string {
  const path = join(dir, 'comp-manager.db')
  void new SqliteStore({ path, hitFlushMs: 0 }).close() // creates the file with the current schema
  const db = new Database(path)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = OFF')
  const insert = db.prepare(
    `INSERT INTO computations (id, namespace, name, function, function_full, hash, hash_algorithm, attempt,
       status, message, created_at, updated_at, started_at, finished_at, schema_version, args, active_ms)
     VALUES (?, ?, ?, ?, ?, ?, 'sha256', 1, ?, NULL, ?, ?, ?, ?, 1, ?, ?)`,
  )
  db.transaction(() => {
    for (let i = 0; i < count; i++) {
      const fn = `fn${i % FUNCTIONS}`
      const created = START + i * 1000
      const status = statusOf(i)
      const over = status === 'finished' || status === 'failed' || status === 'lost'
      insert.run(
        `r${String(i).padStart(8, '0')}`,
        i % 10 === 9 ? 'other' : NAMESPACE,
        fn,
        fn,
        `reports/Monthly.${fn}`,
        `h${i}`,
        status,
        created,
        created + ((i * 7919) % 600_000),
        status === 'queued' ? null : created,
        over ? created + 500 : null,
        JSON.stringify(['2026-05', { __type__: 'bigint', value: String(i) }]),
        over ? 500 : 0,
      )
    }
  })()
  db.pragma('wal_checkpoint(TRUNCATE)')
  db.close()
  return path
}

/** A cursor at the middle of the default listing, as the server would have issued it. */
function middleCursor(path: string): string {
  const db = new Database(path, { readonly: true })
  const n = (
    db.prepare('SELECT count(*) AS n FROM computations WHERE namespace = ?').get(NAMESPACE) as { n: number }
  ).n
  const row = db
    .prepare(
      'SELECT created_at, id FROM computations WHERE namespace = ? ORDER BY created_at DESC, id DESC LIMIT 1 OFFSET ?',
    )
    .get(NAMESPACE, Math.floor(n / 2)) as { created_at: number; id: string }
  db.close()
  const q = normalizeComputationQuery({ namespace: NAMESPACE })
  return DEFAULT_LIST_POLICY.cursors.encode(q.fingerprint, [row.created_at, row.id])
}

interface Shape {
  name: string
  query: (ctx: { cursor: string; count: number }) => string
}

const shapes: Shape[] = [
  { name: 'page 1', query: () => '' },
  { name: 'deep, by cursor', query: ({ cursor }) => `cursor=${cursor}` },
  { name: 'status=failed', query: () => 'status=failed' },
  { name: 'function=', query: () => 'function=reports/Monthly.fn7' },
  { name: 'status+function', query: () => 'status=failed&function=fn7' },
  { name: 'since (last 5%)', query: ({ count }) => `since=${new Date(START + count * 950).toISOString()}` },
  { name: 'sort=createdAt', query: () => 'sort=createdAt' },
  { name: 'sort=-updatedAt', query: () => 'sort=-updatedAt' },
  { name: 'sort=updatedAt', query: () => 'sort=updatedAt' },
  { name: 'deep, by page= (OFFSET)', query: ({ count }) => `page=${Math.floor((count * 0.45) / 20)}` },
]

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

async function measure(count: number): Promise<{ ms: Map<string, number>; bytesPerRecord: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'cm-bench-scale-'))
  try {
    const started = performance.now()
    const path = seed(dir, count)
    const seconds = ((performance.now() - started) / 1000).toFixed(1)
    const bytesPerRecord = statSync(path).size / count
    console.error(`seeded ${count} records in ${seconds} s (${bytesPerRecord.toFixed(0)} B/record)`)
    const cursor = middleCursor(path)
    const { buildApp, loadConfig } = await import('@comp-manager/server')
    const config = loadConfig({
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      JWT_SECRET: 'bench-Q8vN2pLk9RzT4wYb8HmC3jFs6GdA1eU0oIi',
      RATE_LIMIT_MAX: '1000000',
      RATE_LIMIT_WINDOW: '1s',
      LOG_LEVEL: 'silent',
      COMP_MANAGER_DATA_DIR: dir,
    })
    const app = await buildApp(config, { logger: false })
    try {
      const token = app.issueToken(
        { sub: 'bench', role: 'viewer', namespaces: [NAMESPACE] },
        { expiresIn: '1h' },
      )
      const headers = { authorization: `Bearer ${token}` }
      const ms = new Map<string, number>()
      for (const shape of shapes) {
        const url = `/api/v1/computations?${shape.query({ cursor, count })}`
        const times: number[] = []
        for (let i = 0; i < REPS + 3; i++) {
          const t0 = performance.now()
          const res = await app.inject({ url, headers })
          const t1 = performance.now()
          if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body}`)
          if (i >= 3) times.push(t1 - t0) // the first calls warm the statement cache and the pages
        }
        ms.set(shape.name, median(times))
      }
      return { ms, bytesPerRecord }
    } finally {
      await app.close()
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const results = new Map<number, Awaited<ReturnType<typeof measure>>>()
for (const size of SIZES) results.set(size, await measure(size))

const small = SIZES[0]!
const large = SIZES[SIZES.length - 1]!
const label = (n: number) => (n >= 1_000_000 ? `${n / 1_000_000} M` : `${n / 1000} k`)
const header = [
  'shape'.padEnd(26),
  ...SIZES.map((n) => `${label(n)} ms`.padStart(10)),
  `${label(large)}÷${label(small)}`.padStart(10),
]
console.log(header.join(' '))
for (const shape of shapes) {
  const row = SIZES.map((n) => results.get(n)!.ms.get(shape.name)!.toFixed(2).padStart(10))
  const ratio = results.get(large)!.ms.get(shape.name)! / results.get(small)!.ms.get(shape.name)!
  const flag = shape.name.includes('OFFSET') ? ' (baseline: OFFSET paging)' : ratio <= 2 ? '' : '  > 2'
  console.log([shape.name.padEnd(26), ...row, `${ratio.toFixed(2)}×`.padStart(10)].join(' ') + flag)
}
console.log(
  [
    'DB bytes/record'.padEnd(26),
    ...SIZES.map((n) => results.get(n)!.bytesPerRecord.toFixed(0).padStart(10)),
  ].join(' '),
)
