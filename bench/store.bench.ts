// Store point lookups and claims: MemoryStore and SqliteStore against raw better-sqlite3 prepared statements
// doing the equivalent work on the same database file, measured side by side in the same run (issue 3).
// Target: SqliteStore's `cache.get` within 2× of a raw prepared `SELECT value …` plus decoding the value.
// Run: `pnpm bench store` or `node --import tsx store.bench.ts` (needs `packages/sqlite-store` built).
//
// The harness here is an async twin of harness.ts's `measure` (batches per sample, contenders interleaved,
// median of rounds): Store methods return promises, so a store's sample awaits each call, while the raw
// baseline runs its synchronous statements in a plain loop. The stores' async overhead is part of what
// is measured, on purpose: it is what a caller pays. Each sample also records the process's CPU time per
// call: everything here runs on the main thread (better-sqlite3 is synchronous), so CPU time is the cost of
// a call without the time the process spent descheduled on a loaded machine.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isDeepStrictEqual } from 'node:util'
import { type ClaimInput, MemoryStore, parse, type Store, stringify } from '@comp-manager/core'
import Database from 'better-sqlite3'
import { SqliteStore } from '../packages/sqlite-store/dist/index.js'
import { check, defaultRounds, defaultTimeMs, formatOps, formatRatio, printTable } from './harness.js'

const TARGET_CACHE_GET = 2
const NS = 'bench'

interface Contender {
  name: string
  /** A synchronous call (raw statements) or one returning a promise (stores). */
  run: () => unknown
  async: boolean
}

let sink: unknown

interface Sample {
  /** Calls per wall-clock second. */
  ops: number
  /** CPU microseconds (user + system) of this process per call. */
  cpuUs: number
}

async function sample(c: Contender, timeMs: number): Promise<Sample> {
  let iterations = 0
  let batch = 1
  const cpu = process.cpuUsage()
  const start = performance.now()
  let now = start
  do {
    if (c.async) for (let i = 0; i < batch; i++) sink = await c.run()
    else for (let i = 0; i < batch; i++) sink = c.run()
    iterations += batch
    now = performance.now()
    if (now - start < timeMs / 8) batch *= 2
  } while (now - start < timeMs)
  const used = process.cpuUsage(cpu)
  return { ops: (iterations * 1000) / (now - start), cpuUs: (used.user + used.system) / iterations }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** Per contender: the median of the rounds of both measures. */
async function measure(contenders: Contender[]): Promise<Map<string, Sample>> {
  for (const c of contenders) await sample(c, Math.min(defaultTimeMs, 100)) // warm-up, not recorded
  const samples = new Map<string, Sample[]>(contenders.map((c) => [c.name, []]))
  for (let round = 0; round < defaultRounds; round++) {
    for (let k = 0; k < contenders.length; k++) {
      const c = contenders[(k + round) % contenders.length]!
      samples.get(c.name)!.push(await sample(c, defaultTimeMs))
    }
  }
  return new Map(
    [...samples].map(([name, list]) => [
      name,
      { ops: median(list.map((s) => s.ops)), cpuUs: median(list.map((s) => s.cpuUs)) },
    ]),
  )
}

// ── setup ─────────────────────────────────────────────────────────────────────────────────────────────────
const dir = mkdtempSync(join(tmpdir(), 'cm-store-bench-'))
process.on('exit', () => rmSync(dir, { recursive: true, force: true })) // also when a check fails
const path = join(dir, 'bench.db')
const sqlite = new SqliteStore({ path })
// The baseline: its own connection to the same file, with the same pragmas the store sets.
const raw = new Database(path)
raw.pragma('journal_mode = WAL')
raw.pragma('synchronous = NORMAL')

const memoryReady = typeof (new MemoryStore() as Partial<Store>).cache?.get === 'function'
const stores: [string, Store][] = [['sqlite', sqlite]]
if (memoryReady) stores.unshift(['memory', new MemoryStore() as unknown as Store])
else console.log('MemoryStore is still a placeholder in @comp-manager/core: skipped.')

const smallValue = stringify({ n: 42, fib: 267914296n, at: new Date(0) })
const largeValue = stringify({
  rows: Array.from({ length: 150 }, (_, i) => ({ i, name: `row-${i}`, score: i / 7, tags: ['a', 'b'] })),
})
check(Buffer.byteLength(largeValue) > 9_000 && Buffer.byteLength(largeValue) < 12_000, '~10 KB value')
const values = { small: smallValue, '10KB': largeValue }

const ids = new Map<string, string>()
for (const [name, store] of stores) {
  for (const [label, value] of Object.entries(values)) {
    await store.cache.set({
      namespace: NS,
      key: `key-${label}`,
      function: 'fib',
      functionFull: 'bench/fib',
      algorithm: 'sha256',
      value,
    })
  }
  const record = await store.computations.create({
    namespace: NS,
    function: 'fib',
    functionFull: 'bench/fib',
    args: [30, { memo: true }],
    hash: 'lookup',
    hashAlgorithm: 'sha256',
  })
  ids.set(name, record.id)
}

const rawGetValue = raw.prepare('SELECT value FROM cache_entries WHERE namespace = ? AND key = ?')
const rawGetComputation = raw.prepare('SELECT * FROM computations WHERE namespace = ? AND id = ?')
const rawLatest = raw.prepare(
  'SELECT * FROM computations WHERE namespace = ? AND hash = ? ORDER BY attempt DESC LIMIT 1',
)
const rawInsert = raw.prepare(
  `INSERT INTO computations (id, namespace, name, function, function_full, hash, hash_algorithm, attempt, status,
     pid, host, owner, created_at, updated_at, started_at, heartbeat_at, lease_until, schema_version, args)
   VALUES (?, ?, 'fib', 'fib', 'bench/fib', ?, 'sha256', 1, 'started', ?, 'bench', 'bench', ?, ?, ?, ?, ?, 1, ?)`,
)
let rawClaims = 0
const rawClaim = raw.transaction((hash: string) => {
  const latest = rawLatest.get(NS, hash)
  if (latest !== undefined) return false
  const now = Date.now()
  rawInsert.run(
    `raw-${++rawClaims}`,
    NS,
    hash,
    process.pid,
    now,
    now,
    now,
    now,
    now + 30_000,
    JSON.stringify([hash]),
  )
  return true
})

const claimInput = (hash: string): ClaimInput => ({
  namespace: NS,
  function: 'fib',
  functionFull: 'bench/fib',
  args: [hash],
  hash,
  hashAlgorithm: 'sha256',
  owner: 'bench',
  pid: process.pid,
  host: 'bench',
  leaseMs: 30_000,
})

// Every contender must produce the same thing before it is timed.
for (const [label, value] of Object.entries(values)) {
  const expected = parse(value)
  const rawRow = rawGetValue.get(NS, `key-${label}`) as { value: Buffer }
  check(isDeepStrictEqual(parse(rawRow.value.toString('utf8')), expected), `raw decodes the ${label} value`)
  for (const [name, store] of stores) {
    const entry = await store.cache.get(NS, `key-${label}`)
    check(
      entry !== null && isDeepStrictEqual(parse(entry.value), expected),
      `${name} decodes the ${label} value`,
    )
  }
}

// ── cases ─────────────────────────────────────────────────────────────────────────────────────────────────
interface Case {
  name: string
  contenders: Contender[]
  /** When set: SqliteStore CPU time per call ÷ the raw baseline's must stay ≤ this. */
  target?: number
}

const storeContenders = (make: (name: string, store: Store) => () => Promise<unknown>): Contender[] =>
  stores.map(([name, store]) => ({ name, run: make(name, store), async: true }))

const cases: Case[] = [
  ...Object.keys(values).map(
    (label): Case => ({
      name: `cache.get ${label} + parse`,
      target: TARGET_CACHE_GET,
      contenders: [
        ...storeContenders(
          (_name, store) => async () => parse((await store.cache.get(NS, `key-${label}`))!.value),
        ),
        {
          name: 'raw',
          async: false,
          run: () => parse((rawGetValue.get(NS, `key-${label}`) as { value: Buffer }).value.toString('utf8')),
        },
      ],
    }),
  ),
  {
    name: 'computations.get',
    contenders: [
      ...storeContenders((name, store) => () => store.computations.get(NS, ids.get(name)!)),
      {
        name: 'raw',
        async: false,
        run: () => {
          const row = rawGetComputation.get(NS, ids.get('sqlite')!) as { args: string }
          return { ...row, args: JSON.parse(row.args) }
        },
      },
    ],
  },
  {
    name: 'claim (new hash: insert)',
    contenders: [
      ...storeContenders((name, store) => {
        let n = 0
        return () => store.computations.claim(claimInput(`${name}-${++n}`))
      }),
      (() => {
        let n = 0
        return { name: 'raw', async: false, run: () => rawClaim.immediate(`raw-${++n}`) }
      })(),
    ],
  },
]

const rows: string[][] = []
let missed = 0
for (const c of cases) {
  const result = await measure(c.contenders)
  const ours = result.get('sqlite')!
  const base = result.get('raw')!
  const wallRatio = base.ops / ours.ops
  const cpuRatio = ours.cpuUs / base.cpuUs
  let verdict = ''
  if (c.target !== undefined) {
    const met = cpuRatio <= c.target
    if (!met) missed++
    verdict = `${met ? 'met' : 'MISSED'} (≤ ${c.target}×)`
  }
  const memory = result.get('memory')
  rows.push([
    c.name,
    memory === undefined ? 'skipped' : formatOps(memory.ops),
    formatOps(ours.ops),
    formatOps(base.ops),
    formatRatio(wallRatio),
    `${ours.cpuUs.toFixed(1)} / ${base.cpuUs.toFixed(1)}`,
    formatRatio(cpuRatio),
    verdict,
  ])
}

console.log(
  '\nstore: point lookups and claims, ops/s (median of interleaved rounds). raw = better-sqlite3 prepared',
)
console.log(
  'statements on the same file. × = SqliteStore cost ÷ raw cost (lower is better), by wall clock and by',
)
console.log(
  'CPU time of the process; the target is judged on CPU time, which a busy shared machine distorts less.\n',
)
printTable(
  [
    'operation',
    'MemoryStore',
    'SqliteStore',
    'raw sqlite',
    '× wall',
    'CPU µs/op (ours / raw)',
    '× CPU',
    'target',
  ],
  rows,
)
console.log(
  [
    '',
    `Values: small ${Buffer.byteLength(smallValue)} B, 10KB ${Buffer.byteLength(largeValue)} B of codec text; both sides decode with core's parse.`,
    'SqliteStore.cache.get counts the hit (batched in memory); the raw SELECT does not. Claims insert a new hash',
    'each time in a BEGIN IMMEDIATE transaction on both sides (WAL, synchronous = NORMAL).',
    missed === 0 ? 'All targets met.' : `${missed} target(s) missed.`,
  ].join('\n'),
)

void sink
await sqlite.close()
raw.close()
if (process.env.BENCH_STRICT === '1' && missed > 0) process.exitCode = 1
