// Per-call overhead of a tracked call (@comp-manager/tracker) on SQLite against calling the function directly,
// measured side by side in the same run (issue 4). Run: `pnpm bench tracker` or `node --import tsx tracker.bench.ts`.
//
// Each tracked call claims a record (one SQLite write transaction), runs the function with its lease timer, and
// writes the final status (a second write): that is the overhead measured. The function itself does almost
// nothing, so the difference is the tracker's cost. The database is a file in a temporary directory (WAL,
// synchronous = NORMAL: the SqliteStore defaults), not `:memory:`. The MemoryStore row shows the tracker's own
// cost without a database. Calls are sequential (one awaited after the other), contenders interleaved per round,
// median of the rounds reported. Wall time and CPU time (user + system of this process) are both printed: on an
// oversubscribed machine (load average above the core count) wall time mostly measures waiting for a CPU.
import { mkdtempSync, rmSync } from 'node:fs'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { MemoryStore } from '@comp-manager/core'
import { SqliteStore } from '@comp-manager/sqlite-store'
import { createTracker } from '@comp-manager/tracker'
import { check, defaultRounds, defaultTimeMs, formatRatio, printTable } from './harness.js'

const TARGET_OVERHEAD_US = 1000
const rounds = defaultRounds
const timeMs = Math.max(defaultTimeMs, 300)

const dir = mkdtempSync(join(tmpdir(), 'cm-tracker-bench-'))
const sqlite = new SqliteStore({ path: join(dir, 'bench.db') })
const memory = new MemoryStore()
const quiet = { error: () => {}, warn: () => {} }
const onSqlite = createTracker({ store: sqlite, namespace: 'bench', logger: quiet })
const onMemory = createTracker({ store: memory, namespace: 'bench', logger: quiet })

// The work: trivial, async, with an argument that changes per call (each call is a new hash).
const work = async (n: number, label: string) => ({ n: n + 1, label })
let counter = 0

interface Contender {
  name: string
  call: () => Promise<unknown>
}

const contenders: Contender[] = [
  { name: 'direct', call: () => work(counter++, 'x') },
  {
    name: 'tracked · SQLite · new args',
    call: (() => {
      const fn = onSqlite.track('work', work)
      return () => fn(counter++, 'x')
    })(),
  },
  {
    name: 'tracked · SQLite · same args (rerun)',
    call: (() => {
      const fn = onSqlite.track('work-same', work)
      return () => fn(1, 'x')
    })(),
  },
  {
    name: 'tracked · MemoryStore · new args',
    call: (() => {
      const fn = onMemory.track('work', work)
      return () => fn(counter++, 'x')
    })(),
  },
]

/** Wall-clock and CPU (user + system of this process) microseconds per call over `ms` of sequential calls. */
async function sample(call: () => Promise<unknown>, ms: number): Promise<{ wall: number; cpu: number }> {
  let calls = 0
  const cpu0 = process.cpuUsage()
  const start = performance.now()
  let now = start
  do {
    for (let i = 0; i < 16; i++) await call()
    calls += 16
    now = performance.now()
  } while (now - start < ms)
  const cpu = process.cpuUsage(cpu0)
  return { wall: ((now - start) * 1000) / calls, cpu: (cpu.user + cpu.system) / calls }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

// Sanity: a tracked call returns what the function returns, and records it.
const probe = onSqlite.track('probe', work)
check((await probe(41, 'p')).n === 42, 'a tracked call returns the function result')
check(
  (await onSqlite.list({ function: 'probe' })).data[0]?.status === 'finished',
  'the call is recorded finished',
)

const loadBefore = loadavg()[0]!
for (const c of contenders) await sample(c.call, 100) // warm-up (JIT, SQLite page cache), not recorded
const samples = new Map(contenders.map((c) => [c.name, { wall: [] as number[], cpu: [] as number[] }]))
for (let round = 0; round < rounds; round++) {
  for (let k = 0; k < contenders.length; k++) {
    const c = contenders[(k + round) % contenders.length]!
    const { wall, cpu } = await sample(c.call, timeMs)
    samples.get(c.name)!.wall.push(wall)
    samples.get(c.name)!.cpu.push(cpu)
  }
}
const load = Math.max(loadBefore, loadavg()[0]!)
const cores = availableParallelism()
const overloaded = load > cores

const perCall = new Map([...samples].map(([name, s]) => [name, { wall: median(s.wall), cpu: median(s.cpu) }]))
const direct = perCall.get('direct')!
const fmt = (us: number) => (us < 10 ? us.toFixed(2) : us.toFixed(1))
let missed = 0
const rows = contenders.map((c) => {
  const { wall, cpu } = perCall.get(c.name)!
  const isDirect = c.name === 'direct'
  const overWall = wall - direct.wall
  const overCpu = cpu - direct.cpu
  let verdict = ''
  if (c.name.includes('SQLite')) {
    if (overWall < TARGET_OVERHEAD_US) verdict = 'met'
    else if (overloaded && overCpu < TARGET_OVERHEAD_US) verdict = 'met on CPU time (wall inflated by load)'
    else {
      verdict = 'MISSED'
      missed++
    }
  }
  return [
    c.name,
    fmt(wall),
    isDirect ? '—' : fmt(overWall),
    isDirect ? '1×' : formatRatio(wall / direct.wall),
    fmt(cpu),
    isDirect ? '—' : fmt(overCpu),
    verdict,
  ]
})
const records = (await onSqlite.list({ perPage: 1 })).total

console.log(
  '\ntracker: a tracked call vs the direct call (µs/call, median of interleaved rounds; × = tracked ÷ direct)\n',
)
printTable(
  [
    'contender',
    'wall µs',
    'overhead',
    '×',
    'CPU µs',
    'CPU overhead',
    `target (< ${TARGET_OVERHEAD_US} µs overhead)`,
  ],
  rows,
)
console.log(
  [
    '',
    `${records} runs recorded in a SQLite file under ${tmpdir()} (removed at exit); ${rounds} rounds of ${timeMs} ms each.`,
    'Each tracked call: hash + encode args, claim (1 write transaction), lease timer, final status (1 write).',
    `Load average ${load.toFixed(1)} on ${cores} cores${overloaded ? ': oversubscribed, so wall times include waiting for a CPU' : ''}.`,
    missed === 0 ? 'Target met.' : `${missed} SQLite contender(s) missed the target.`,
  ].join('\n'),
)

await onSqlite.close()
await onMemory.close()
await sqlite.close()
await memory.close()
rmSync(dir, { recursive: true, force: true })
if (process.env.BENCH_STRICT === '1' && missed > 0) process.exitCode = 1
