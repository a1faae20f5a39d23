// @comp-manager/cache: hit latency with L1, hit latency from SQLite, and miss overhead, against named baselines
// measured side by side in the same run (issue 5). Run: `pnpm bench cache` or `node --import tsx cache.bench.ts`.
//
// Baselines:
//   map+hash  — `map.get(hashKey({ fn, args }).key)`: the floor of any memoizer that keys calls like we do.
//   acd       — async-cache-dedupe `define()` with its memory storage (key: safe-stable-stringify of the arg).
//   raw       — better-sqlite3 prepared `SELECT value … WHERE namespace = ? AND key = ?` + core `parse` of the
//               value, on the same file, the key computed beforehand (the floor of a SQLite hit).
// Every contender is called and awaited the same way (the cache API is async), interleaved, median of rounds.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isDeepStrictEqual } from 'node:util'
import { createCache } from '@comp-manager/cache'
import { hashKey, MemoryStore, parse } from '@comp-manager/core'
import { SqliteStore } from '@comp-manager/sqlite-store'
import { createCache as createAcd } from 'async-cache-dedupe'
import Sqlite from 'better-sqlite3'
import { check, defaultRounds, defaultTimeMs, formatRatio, measure, printTable } from './harness.js'

const TARGET_L1 = 3
const TARGET_SQLITE = 2

// ── an async twin of harness.measure ───────────────────────────────────────────────────────────────

interface AsyncContender {
  name: string
  run: () => Promise<unknown>
}

let sink: unknown

async function sample(run: () => Promise<unknown>, timeMs: number): Promise<number> {
  let iterations = 0
  let batch = 1
  const start = performance.now()
  let now = start
  do {
    for (let i = 0; i < batch; i++) sink = await run()
    iterations += batch
    now = performance.now()
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
const missL1 = createCache({ store, namespace: 'miss-l1', l1: true }).wrap('pricing/quote', missCompute)
const acdMiss = createAcd({ ttl: 3600, storage: { type: 'memory', options: { size: 10_000 } } }).define(
  'quote',
  async (arg: { sku: number; currency: string }) => quote(arg.sku, arg.currency),
)
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
  { name: 'cm memory', run: () => missMemory(n++, { currency: 'EUR' }) },
  { name: 'cm SQLite', run: () => missSqlite(n++, { currency: 'EUR' }) },
  { name: 'cm SQLite+L1', run: () => missL1(n++, { currency: 'EUR' }) },
])

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
  '\ncache hits: latency per awaited call (median of interleaved rounds); × = cache time ÷ baseline time;\n' +
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
console.log(
  '\ncache misses (new arguments every call: compute a trivial function, record the fill run, store)\n',
)
printTable(
  ['contender', 'per miss', '× map+hash', '× acd'],
  [...misses].map(([name, ops]) => [
    name,
    micros(ops),
    formatRatio(base / ops),
    formatRatio(misses.get('acd')! / ops),
  ]),
)
console.log(
  [
    '',
    'A cm miss is one store read, one claim of the fill run, the run marked finished, and one entry write: on SQLite',
    'three short write transactions (WAL, synchronous=NORMAL). That is the price of single flight across processes',
    'and of a recorded run per fill; the baselines keep everything in one process and write nothing down.',
    `${missed === 0 ? 'All targets met.' : `${missed} payload(s) missed a target.`}`,
  ].join('\n'),
)

raw.close()
await store.close()
await memory.close()
rmSync(dir, { recursive: true, force: true })
void sink
if (process.env.BENCH_STRICT === '1' && missed > 0) process.exitCode = 1
