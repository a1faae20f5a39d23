import v8 from 'node:v8'
import { runInNewContext } from 'node:vm'

// A small side-by-side harness. Why not tinybench's per-call timing: most cases here take well under a
// microsecond to a few microseconds, where a timer read per call is a large, uneven share of the sample.
// Here each sample times a batch of calls, contenders are interleaved (the order rotates every round)
// so the noise of a shared machine hits every side, and the reported figure is the median of the rounds.

export interface Contender {
  name: string
  run: () => unknown
}

export interface MeasureOptions {
  /** Rounds per contender; the median is reported. Env `BENCH_ROUNDS`, default 5. */
  rounds?: number
  /** Milliseconds per sample. Env `BENCH_TIME_MS`, default 200. */
  timeMs?: number
}

export const defaultRounds = Number(process.env.BENCH_ROUNDS ?? 5)
export const defaultTimeMs = Number(process.env.BENCH_TIME_MS ?? 200)
/**
 * `cpu` (default): ops per second of this process's CPU time, so the time the process spends descheduled on
 * a busy machine does not count (everything measured here is synchronous, on this thread; GC helper threads
 * are counted, as they are part of the cost). `wall`: ops per second of elapsed time. Env `BENCH_CLOCK`.
 */
export const clock: 'cpu' | 'wall' = process.env.BENCH_CLOCK === 'wall' ? 'wall' : 'cpu'

// A full GC before every sample, outside the timed part, so no contender pays for the garbage of the one
// measured before it (object-hash, for one, leaves a lot). Exposed at run time: no node flag needed.
v8.setFlagsFromString('--expose-gc')
const collect = runInNewContext('gc') as () => void

// Results go here so no call can be optimised away.
let sink: unknown
export function consume(): unknown {
  return sink
}

function cpuMs(): number {
  const { user, system } = process.cpuUsage()
  return (user + system) / 1000
}

function sample(run: () => unknown, timeMs: number): number {
  collect()
  let iterations = 0
  let batch = 1
  const start = performance.now()
  const cpuStart = cpuMs()
  let now = start
  do {
    for (let i = 0; i < batch; i++) sink = run()
    iterations += batch
    now = performance.now()
    if (now - start < timeMs / 8) batch *= 2
  } while (now - start < timeMs)
  const elapsed = clock === 'cpu' ? cpuMs() - cpuStart : now - start
  return (iterations * 1000) / Math.max(elapsed, 0.001)
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** Ops/s of each contender (median of the rounds), measured interleaved. */
export function measure(contenders: Contender[], options: MeasureOptions = {}): Map<string, number> {
  const rounds = options.rounds ?? defaultRounds
  const timeMs = options.timeMs ?? defaultTimeMs
  for (const c of contenders) sample(c.run, Math.min(timeMs, 100)) // warm-up (JIT), not recorded
  const samples = new Map<string, number[]>(contenders.map((c) => [c.name, []]))
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < contenders.length; k++) {
      const c = contenders[(k + round) % contenders.length]!
      samples.get(c.name)!.push(sample(c.run, timeMs))
    }
  }
  return new Map([...samples].map(([name, values]) => [name, median(values)]))
}

export function formatOps(ops: number): string {
  if (ops >= 1e6) return `${(ops / 1e6).toFixed(2)}M`
  if (ops >= 1e3) return `${(ops / 1e3).toFixed(1)}k`
  return ops >= 10 ? ops.toFixed(0) : ops.toFixed(2)
}

export function formatRatio(ratio: number): string {
  return `${ratio >= 10 ? ratio.toFixed(1) : ratio.toFixed(2)}×`
}

/** Prints a plain-text table with padded columns. */
export function printTable(headers: string[], rows: string[][]): void {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ')
  console.log(line(headers))
  console.log(widths.map((w) => '-'.repeat(w)).join('  '))
  for (const row of rows) console.log(line(row))
}

/** Throws when two functions disagree: each contender is checked once, before timing. */
export function check(condition: boolean, message: string): void {
  if (!condition) throw new Error(`bench sanity check failed: ${message}`)
}
