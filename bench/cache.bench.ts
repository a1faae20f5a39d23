// @comp-manager/cache: hit latency with L1, hit latency from SQLite, and miss overhead, against named baselines
// measured side by side in the same run (issue 5). Run: `pnpm bench cache` or `node --import tsx cache.bench.ts`.
//
// Baselines:
//   map+hash  — `map.get(hashKey({ fn, args }).key)`: the floor of any memoizer that keys calls like we do.
//   acd       — async-cache-dedupe `define()` with its memory storage (key: safe-stable-stringify of the arg).
//   bento SQL — bentocache 1.x `getOrSet` on its SQL store only (L2: knex + better-sqlite3, its own file,
//               WAL like ours), values through our codec (bentocache's JSON cannot hold BigInt, Set, Date);
//               the peer of a cm SQLite miss (issue 12: SQLite miss ≤ 1.0× bento SQL).
//   raw       — better-sqlite3 prepared `SELECT value … WHERE namespace = ? AND key = ?` + core `parse` of the
//               value, on the same file, the key computed beforehand (the floor of a SQLite hit).
// Every contender is called and awaited the same way (the cache API is async), interleaved, median of rounds;
// time is this process's CPU time (the machine is shared: wall time would count other processes' work).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isDeepStrictEqual } from 'node:util'
import { createCache } from '@comp-manager/cache'
import { hashKey, MemoryStore, parse, type Store, stringify } from '@comp-manager/core'
import { SqliteStore } from '@comp-manager/sqlite-store'
import { createCache as createAcd } from 'async-cache-dedupe'
import { BentoCache, bentostore } from 'bentocache'
import { knexDriver } from 'bentocache/drivers/knex'
import Sqlite from 'better-sqlite3'
import knex from 'knex'
import { check, defaultRounds, defaultTimeMs, formatRatio, measure, printTable } from './harness.js'

const TARGET_L1 = 3
const TARGET_SQLITE = 2
/** Issue 12: a SQLite miss costs at most bentocache's SQL store's, a memory-store miss ≤ 3× acd's. */
const TARGET_MISS_SQLITE = 1
const TARGET_MISS_MEMORY = 3

// ── an async twin of harness.measure ───────────────────────────────────────────────────────────────

interface AsyncContender {
  name: string
  run: () => Promise<unknown>
}

let sink: unknown

/**
 * Calls per second of this process's CPU time (user + system, `process.cpuUsage`), like
 * harness.measure's default `cpu` mode: on a loaded machine, time spent descheduled is not counted.
 * SQLite runs in this thread (better-sqlite3 is synchronous), so its work is counted.
 */
async function sample(run: () => Promise<unknown>, timeMs: number): Promise<number> {
  let iterations = 0
  let batch = 1
  const cpu = () => {
    const u = process.cpuUsage()
    return (u.user + u.system) / 1000
  }
  const start = cpu()
  let now = start
  do {
    for (let i = 0; i < batch; i++) sink = await run()
    iterations += batch
    now = cpu()
    if (now - start < timeMs / 8) batch *= 2
  } while (now - start < timeMs)
  return (iterations * 1000) / (now - start)
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** Ops/s of each contender (median of the rounds), measured interleaved, every call awaited. */
async function measureAsync(contenders: AsyncContender[]): Promise<Map<string, number>> {
  for (const c of contenders) await sample(c.run, Math.min(defaultTimeMs, 100)) // warm-up
  const samples = new Map<string, number[]>(contenders.map((c) => [c.name, []]))
  for (let round = 0; round < defaultRounds; round++) {
    for (let k = 0; k < contenders.length; k++) {
      const c = contenders[(k + round) % contenders.length]!
      samples.get(c.name)!.push(await sample(c.run, defaultTimeMs))
    }
  }
  return new Map([...samples].map(([name, values]) => [name, median(values)]))
}

const micros = (ops: number) => {
  const us = 1e6 / ops
  return us >= 100 ? `${us.toFixed(0)} µs` : us >= 10 ? `${us.toFixed(1)} µs` : `${us.toFixed(2)} µs`
}

// ── the workload ───────────────────────────────────────────────────────────────────────────────────

/** A price quote: the kind of small, rich value a service memoizes (~0.5 KB encoded). */
function quote(sku: number, currency: string) {
  return {
    sku,
    currency,
    at: new Date(Date.UTC(2025, 0, 1)),
    lines: Array.from({ length: 6 }, (_, i) => ({
      id: `line-${i}`,
      qty: i + 1,
      cents: BigInt(sku * 100 + i),
    })),
    tags: new Set(['retail', 'eu']),
  }
}
/** A ~10 KB value. */
function report(sku: number, currency: string) {
  return {
    ...quote(sku, currency),
    rows: Array.from({ length: 300 }, (_, i) => ({ i, label: `row ${i}`, v: i * 1.5 })),
  }
}

const dir = mkdtempSync(join(tmpdir(), 'cm-bench-cache-'))
const path = join(dir, 'bench.db')
const store = new SqliteStore({ path })
const memory = new MemoryStore()
const raw = new Sqlite(path)
const select = raw.prepare<[string, string], { value: Buffer }>(
  'SELECT value FROM cache_entries WHERE namespace = ? AND key = ?',
)

interface Row {
  payload: string
  size: number
  contenders: Map<string, number>
}
const results: Row[] = []

for (const [payload, make] of [
  ['quote', quote],
  ['report', report],
] as const) {
  const fnName = `pricing/${payload}`
  const args = [1234, { currency: 'EUR' }] as const
  const compute = async (sku: number, options: { currency: string }) => make(sku, options.currency)
  const expected = make(1234, 'EUR')

  const withL1 = createCache({ store, namespace: `l1-${payload}`, l1: { max: 10_000 } })
  const noL1 = createCache({ store, namespace: `db-${payload}` })
  const l1Hit = withL1.wrap(fnName, compute)
  const dbHit = noL1.wrap(fnName, compute)
  check(isDeepStrictEqual(await l1Hit(...args), expected), 'L1 cache fills')
  check(isDeepStrictEqual(await dbHit(...args), expected), 'SQLite cache fills')

  const map = new Map<string, unknown>([[hashKey({ fn: fnName, args }).key, expected]])
  const mapHit = async () => map.get(hashKey({ fn: fnName, args }).key)

  const acd = createAcd({ ttl: 3600, storage: { type: 'memory', options: { size: 10_000 } } }).define(
    'quote',
    async (arg: { sku: number; currency: string }) => make(arg.sku, arg.currency),
  )
  const acdArg = { sku: 1234, currency: 'EUR' }
  await acd.quote(acdArg)

  const key = noL1.explain(fnName, [...args]).key
  const rawHit = async () => parse(select.get(`db-${payload}`, key)!.value.toString('utf8'))
  check(isDeepStrictEqual(await rawHit(), expected), 'the raw SELECT reads the entry the cache wrote')
  check(isDeepStrictEqual(await mapHit(), expected), 'the map holds the value')

  const size = Buffer.byteLength((await store.cache.get(`db-${payload}`, key, { touch: false }))!.value)
  const contenders = await measureAsync([
    { name: 'map+hash', run: mapHit },
    { name: 'acd', run: () => acd.quote(acdArg) },
    { name: 'raw', run: rawHit },
    { name: 'cm L1', run: () => l1Hit(...args) },
    { name: 'cm SQLite', run: () => dbHit(...args) },
  ])
  // The same floor without `await` (a synchronous loop): what the async API itself costs.
  const sync = measure([{ name: 'map+hash sync', run: () => map.get(hashKey({ fn: fnName, args }).key) }])
  contenders.set('map+hash sync', sync.get('map+hash sync')!)
  results.push({ payload, size, contenders })
  await withL1.close()
  await noL1.close()
}

// Misses: every call has new arguments, so each one computes (a trivial function) and stores.
let n = 0
const missMap = new Map<string, unknown>()
const missCompute = async (sku: number, options: { currency: string }) => quote(sku, options.currency)
const missSqlite = createCache({ store, namespace: 'miss' }).wrap('pricing/quote', missCompute)
const missMemory = createCache({ store: memory, namespace: 'miss' }).wrap('pricing/quote', missCompute)
// `singleFlight: 'process'`: deduplicated in this process only, no fill run recorded (acd's and
// bentocache's semantics).
const missMemoryLocal = createCache({ store: memory, namespace: 'miss-p', singleFlight: 'process' }).wrap(
  'pricing/quote',
  missCompute,
)
const missSqliteLocal = createCache({ store, namespace: 'miss-p', singleFlight: 'process' }).wrap(
  'pricing/quote',
  missCompute,
)
const missL1 = createCache({ store, namespace: 'miss-l1', l1: true }).wrap('pricing/quote', missCompute)
// The same SQLite store seen without `cache.setAndFinish`: the fill's value and its run's end in two
// write transactions, as before issue 12 (what the atomic step saves).
const twoStep: Store = {
  ...store,
  kind: store.kind,
  capabilities: store.capabilities,
  computations: store.computations,
  queue: store.queue,
  events: store.events,
  ping: () => store.ping(),
  close: async () => {},
  cache: withoutSetAndFinish(store),
}
const missTwoStep = createCache({ store: twoStep, namespace: 'miss-2' }).wrap('pricing/quote', missCompute)
const acdMiss = createAcd({ ttl: 3600, storage: { type: 'memory', options: { size: 10_000 } } }).define(
  'quote',
  async (arg: { sku: number; currency: string }) => quote(arg.sku, arg.currency),
)
const bentoDb = knex({
  client: 'better-sqlite3',
  connection: { filename: join(dir, 'bento.db') },
  useNullAsDefault: true,
  pool: {
    afterCreate: (conn: Sqlite.Database, done: (err: Error | null, c: unknown) => void) => {
      conn.pragma('journal_mode = WAL')
      conn.pragma('synchronous = NORMAL')
      done(null, conn)
    },
  },
})
const bento = new BentoCache({
  default: 'sql',
  serializer: { serialize: (v: unknown) => stringify(v), deserialize: (v: string) => parse(v) },
  stores: { sql: bentostore().useL2Layer(knexDriver({ connection: bentoDb })) },
})
const bentoMiss = (sku: number) =>
  bento.getOrSet({ key: `pricing/quote:${sku}:EUR`, factory: () => quote(sku, 'EUR'), ttl: '1h' })
check(isDeepStrictEqual(await bentoMiss(-1), quote(-1, 'EUR')), 'bentocache fills')
check(isDeepStrictEqual(await bentoMiss(-1), quote(-1, 'EUR')), 'bentocache hits')
const misses = await measureAsync([
  {
    name: 'map+hash',
    run: async () => {
      const args = [n++, { currency: 'EUR' }]
      const k = hashKey({ fn: 'pricing/quote', args }).key
      let value = missMap.get(k)
      if (value === undefined) {
        if (missMap.size > 100_000) missMap.clear()
        value = await missCompute(n, { currency: 'EUR' })
        missMap.set(k, value)
      }
      return value
    },
  },
  { name: 'acd', run: () => acdMiss.quote({ sku: n++, currency: 'EUR' }) },
  { name: 'bento SQL', run: () => bentoMiss(n++) },
  { name: 'cm memory', run: () => missMemory(n++, { currency: 'EUR' }) },
  { name: 'cm memory, process', run: () => missMemoryLocal(n++, { currency: 'EUR' }) },
  { name: 'cm SQLite', run: () => missSqlite(n++, { currency: 'EUR' }) },
  { name: 'cm SQLite, process', run: () => missSqliteLocal(n++, { currency: 'EUR' }) },
  { name: 'cm SQLite 2-step', run: () => missTwoStep(n++, { currency: 'EUR' }) },
  { name: 'cm SQLite+L1', run: () => missL1(n++, { currency: 'EUR' }) },
])

/** `store.cache` without its optional atomic `setAndFinish` (methods bound, so `this` still works). */
function withoutSetAndFinish(s: Store): Store['cache'] {
  const c = s.cache
  return {
    get: (ns, key, o) => c.get(ns, key, o),
    set: (e) => c.set(e),
    delete: (ns, key) => c.delete(ns, key),
    invalidate: (ns, q) => c.invalidate(ns, q),
    list: (q) => c.list(q),
    stats: (ns) => c.stats(ns),
    purgeExpired: () => c.purgeExpired(),
    flush: () => c.flush?.() ?? Promise.resolve(),
  }
}

// ── report ─────────────────────────────────────────────────────────────────────────────────────────

let missed = 0
const rows: string[][] = []
for (const { payload, size, contenders: c } of results) {
  const l1 = c.get('cm L1')!
  const db = c.get('cm SQLite')!
  const l1VsMap = c.get('map+hash')! / l1
  const dbVsRaw = c.get('raw')! / db
  const met = l1VsMap <= TARGET_L1 && dbVsRaw <= TARGET_SQLITE
  if (!met) missed++
  rows.push([
    payload,
    `${(size / 1024).toFixed(1)} KB`,
    micros(c.get('map+hash sync')!),
    micros(c.get('map+hash')!),
    micros(c.get('acd')!),
    micros(c.get('raw')!),
    micros(l1),
    formatRatio(l1VsMap),
    formatRatio(c.get('map+hash sync')! / l1),
    formatRatio(c.get('acd')! / l1),
    micros(db),
    formatRatio(dbVsRaw),
    formatRatio(c.get('map+hash')! / db),
    formatRatio(c.get('acd')! / db),
    met ? 'met' : 'MISSED',
  ])
}
console.log(
  '\ncache hits: CPU time per awaited call (median of interleaved rounds); × = cache time ÷ baseline time;\n' +
    '× sync = L1 hit ÷ map+hash called in a plain synchronous loop (no await)\n',
)
printTable(
  [
    'value',
    'encoded',
    'map+hash (sync)',
    'map+hash',
    'acd',
    'raw SELECT+parse',
    'cm L1 hit',
    '× map+hash',
    '× sync',
    '× acd',
    'cm SQLite hit',
    '× raw',
    '× map+hash',
    '× acd',
    `target (L1 ≤${TARGET_L1}× map+hash, SQLite ≤${TARGET_SQLITE}× raw)`,
  ],
  rows,
)

const base = misses.get('map+hash')!
const bentoOps = misses.get('bento SQL')!
const acdOps = misses.get('acd')!
console.log(
  '\ncache misses (new arguments every call: compute a trivial function, record the fill run, store)\n',
)
printTable(
  ['contender', 'per miss', '× map+hash', '× acd', '× bento SQL'],
  [...misses].map(([name, ops]) => [
    name,
    micros(ops),
    formatRatio(base / ops),
    formatRatio(acdOps / ops),
    formatRatio(bentoOps / ops),
  ]),
)
const sqliteVsBento = bentoOps / misses.get('cm SQLite')!
const memoryVsAcd = acdOps / misses.get('cm memory')!
const memoryLocalVsAcd = acdOps / misses.get('cm memory, process')!
const sqliteLocalVsBento = bentoOps / misses.get('cm SQLite, process')!
const missTargets = [
  `cm SQLite miss ${formatRatio(sqliteVsBento)} bento SQL (target ≤ ${TARGET_MISS_SQLITE}×): ${sqliteVsBento <= TARGET_MISS_SQLITE ? 'met' : 'MISSED'}`,
  `cm memory miss ${formatRatio(memoryVsAcd)} acd (target ≤ ${TARGET_MISS_MEMORY}×): ${memoryVsAcd <= TARGET_MISS_MEMORY ? 'met' : 'MISSED'}`,
]
missTargets.push(
  `with singleFlight 'process' (no fill run): cm memory ${formatRatio(memoryLocalVsAcd)} acd (${memoryLocalVsAcd <= TARGET_MISS_MEMORY ? 'within' : 'over'} ${TARGET_MISS_MEMORY}×), cm SQLite ${formatRatio(sqliteLocalVsBento)} bento SQL (${sqliteLocalVsBento <= TARGET_MISS_SQLITE ? 'within' : 'over'} ${TARGET_MISS_SQLITE}×)`,
)
if (sqliteVsBento > TARGET_MISS_SQLITE) missed++
if (memoryVsAcd > TARGET_MISS_MEMORY) missed++
console.log(
  [
    '',
    'A cm SQLite miss is one store read, the claim of the fill run (write 1), and the entry stored with the run',
    'finished (write 2, `cache.setAndFinish`); "2-step" writes them apart (3 write transactions, before issue 12).',
    'That is the price of single flight across processes and of a recorded run per fill; acd keeps everything in',
    'one process, and bentocache reads and writes its SQL table with no run record. ", process" rows: the same',
    "caches with `singleFlight: 'process'` (single flight in this process, no fill run), acd's semantics.",
    ...missTargets,
    `${missed === 0 ? 'All targets met.' : `${missed} target(s) missed.`}`,
  ].join('\n'),
)

raw.close()
await bento.disconnect()
await store.close()
await memory.close()
rmSync(dir, { recursive: true, force: true })
void sink
if (process.env.BENCH_STRICT === '1' && missed > 0) process.exitCode = 1
