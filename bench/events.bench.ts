// The event log's cost and reach (issue 18). Run: `pnpm bench events` or `node --import tsx events.bench.ts`.
//
// 1. Write overhead. The same tracked call and the same cache fill on two SQLite files, one with the event
//    log's triggers (the store as shipped) and one with them dropped (named baseline "no event log"): the
//    ratio is what appending the events in the change's transaction costs. Interleaved, median of rounds.
// 2. Fan-out. 100 `GET /events` subscribers (real HTTP, one listening server), one event written by another
//    connection to the file (as another process would): latency from the write to each subscriber's
//    receipt, p50/p99 over every subscriber of every repetition. Bounded by the hub's poll (`sse.pollMs`).
import { mkdtempSync, rmSync } from 'node:fs'
import { request } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createCache } from '@comp-manager/cache'
import fastifyCompStore from '@comp-manager/fastify-store'
import { fastifyTracker } from '@comp-manager/fastify-tracker'
import { SqliteStore } from '@comp-manager/sqlite-store'
import { createTracker } from '@comp-manager/tracker'
import Sqlite from 'better-sqlite3'
import Fastify from 'fastify'
import { check, defaultRounds, defaultTimeMs, formatRatio, printTable } from './harness.js'

const dir = mkdtempSync(join(tmpdir(), 'cm-events-bench-'))
const quiet = { error: () => {}, warn: () => {} }

function open(name: string, withLog: boolean): SqliteStore {
  const path = join(dir, name)
  new SqliteStore({ path }).close()
  if (!withLog) {
    const db = new Sqlite(path)
    for (const trigger of [
      'events_computation_insert',
      'events_computation_status',
      'events_computation_progress',
    ])
      db.exec(`DROP TRIGGER ${trigger}`)
    db.close()
  }
  return new SqliteStore({ path })
}

const cpuMs = () => {
  const { user, system } = process.cpuUsage()
  return (user + system) / 1000
}

/**
 * Calls per second of this process's CPU time (better-sqlite3 runs in this thread, so the store's work
 * is counted; time spent descheduled on a busy machine is not). `BENCH_CLOCK=wall` for elapsed time.
 */
async function opsPerSecond(run: () => Promise<unknown>, timeMs: number): Promise<number> {
  let n = 0
  const start = performance.now()
  const cpuStart = cpuMs()
  while (performance.now() - start < timeMs) {
    await run()
    n++
  }
  const elapsed = process.env.BENCH_CLOCK === 'wall' ? performance.now() - start : cpuMs() - cpuStart
  return (n * 1000) / Math.max(elapsed, 0.001)
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!
const quantile = (xs: number[], q: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!

async function writeOverhead(): Promise<string[][]> {
  const withLog = open('with.db', true)
  const without = open('without.db', false)
  let counter = 0
  const work = async (n: number) => n + 1
  const side = (store: SqliteStore) => {
    const tracked = createTracker({ store, namespace: 'bench', logger: quiet }).track('work', work)
    const cache = createCache({ store, namespace: 'bench', statsFlushMs: 0 })
    const filled = cache.wrap('fill', work)
    return { track: () => tracked(counter++), fill: () => filled(counter++) }
  }
  const a = side(withLog)
  const b = side(without)
  const rows: string[][] = []
  for (const kind of ['track', 'fill'] as const) {
    const on: number[] = []
    const off: number[] = []
    await opsPerSecond(a[kind], 100)
    await opsPerSecond(b[kind], 100)
    for (let r = 0; r < defaultRounds; r++) {
      const first = r % 2 === 0
      const x = await opsPerSecond(first ? a[kind] : b[kind], defaultTimeMs)
      const y = await opsPerSecond(first ? b[kind] : a[kind], defaultTimeMs)
      ;(first ? on : off).push(x)
      ;(first ? off : on).push(y)
    }
    const label = kind === 'track' ? 'tracked call (claim + finish)' : 'cache fill (claim + set + finish)'
    const withOps = median(on)
    const withoutOps = median(off)
    check(withOps > 0 && withoutOps > 0, 'both sides ran')
    rows.push([
      label,
      `${Math.round(withOps)}/s`,
      `${Math.round(withoutOps)}/s`,
      formatRatio(withoutOps / withOps),
      `${((1e6 / withOps - 1e6 / withoutOps) | 0).toString()} µs`,
    ])
  }
  const events = await withLog.events!.lastSequence()
  check(events > 0, 'the store with the log wrote events')
  await withLog.close()
  await without.close()
  return rows
}

/** Opens an SSE stream and calls `onEvent(id)` for each event's `id:` line. */
function subscribe(port: number, onEvent: (id: number) => void): Promise<() => void> {
  return new Promise((resolve, reject) => {
    const req = request(
      { port, host: '127.0.0.1', path: '/events', headers: { accept: 'text/event-stream' } },
      (res) => {
        if (res.statusCode !== 200) return reject(new Error(`GET /events: ${res.statusCode}`))
        let buffer = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => {
          buffer += chunk
          let i = buffer.indexOf('\n')
          while (i !== -1) {
            const line = buffer.slice(0, i)
            buffer = buffer.slice(i + 1)
            if (line.startsWith('id:')) onEvent(Number(line.slice(3).trim()))
            i = buffer.indexOf('\n')
          }
        })
        resolve(() => req.destroy())
      },
    )
    req.on('error', reject)
    req.end()
  })
}

async function fanOut(subscribers: number, repetitions: number) {
  const path = join(dir, 'fanout.db')
  const app = Fastify()
  await app.register(fastifyCompStore, { sqlite: { path } })
  await app.register(fastifyTracker, {
    eventsPrefix: '/events',
    sse: { maxStreams: 1000, maxStreamsPerClient: 1000 },
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  const writer = new SqliteStore({ path })
  const latencies: number[] = []
  const pending = new Map<number, { at: number; left: number; done: () => void }>()
  const closers = await Promise.all(
    Array.from({ length: subscribers }, () =>
      subscribe(port, (id) => {
        const p = pending.get(id)
        if (p === undefined) return
        latencies.push(performance.now() - p.at)
        if (--p.left === 0) p.done()
      }),
    ),
  )
  await new Promise((r) => setTimeout(r, 500))
  for (let i = 0; i < repetitions; i++) {
    const at = performance.now()
    const done = new Promise<void>((resolve) => {
      void writer.computations
        .create({
          namespace: 'default',
          function: 'fan',
          functionFull: 'fan',
          args: [i],
          hash: `fan-${i}-${Math.random()}`,
          hashAlgorithm: 'sha256',
        })
        .then(async () =>
          pending.set(await writer.events!.lastSequence(), { at, left: subscribers, done: resolve }),
        )
    })
    await done
    await new Promise((r) => setTimeout(r, 50))
  }
  check(latencies.length === subscribers * repetitions, 'every subscriber got every event')
  for (const close of closers) close()
  await writer.close()
  await app.close()
  return { p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), n: latencies.length }
}

const overhead = await writeOverhead()
console.log(
  `Write overhead of the event log (SQLite, appended by triggers in the change transaction; per ${process.env.BENCH_CLOCK === 'wall' ? 'elapsed' : 'CPU'} second)\n`,
)
printTable(
  ['operation', 'with event log', 'no event log (baseline)', 'baseline ÷ with', 'extra per call'],
  overhead,
)
const fan = await fanOut(100, Number(process.env.BENCH_FANOUT_REPS ?? 20))
console.log(
  `\nFan-out of one event to 100 GET /events subscribers (written by another connection; hub poll 250 ms)\n`,
)
printTable(
  ['subscribers', 'samples', 'p50', 'p99'],
  [['100', String(fan.n), `${fan.p50.toFixed(1)} ms`, `${fan.p99.toFixed(1)} ms`]],
)
rmSync(dir, { recursive: true, force: true })
