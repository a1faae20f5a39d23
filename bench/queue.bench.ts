// Queue throughput and latency, side by side with BullMQ on a local Redis, in one run:
//   - 10,000 no-op jobs drained by 4 worker processes: ours on SQLite (and on MongoDB when MONGODB_URL is
//     set) vs BullMQ on a `redis-server` this bench starts on loopback; printed as our jobs/s ÷ BullMQ's.
//   - submit → function start, with one idle worker in another process: p50 and p99, ours and BullMQ's.
// Env: BENCH_QUEUE_JOBS (10000), BENCH_QUEUE_CONCURRENCY (per worker process, 8), BENCH_QUEUE_SAMPLES (200),
// BENCH_QUEUE_NODE_ARGS (extra node flags for the worker processes, e.g. --cpu-prof --cpu-prof-dir=DIR).
// Needs `redis-server` on the PATH (Debian: `apt-get install -y redis-server`); without it the BullMQ
// side is skipped and said so.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { loadavg, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Store } from '@comp-manager/core'
import { SqliteStore } from '@comp-manager/sqlite-store'
import { createQueue } from '@comp-manager/worker'
import { Queue, QueueEvents } from 'bullmq'

const here = dirname(fileURLToPath(import.meta.url))
const JOBS = Number(process.env.BENCH_QUEUE_JOBS ?? 10_000)
const CONCURRENCY = Number(process.env.BENCH_QUEUE_CONCURRENCY ?? 8)
const SAMPLES = Number(process.env.BENCH_QUEUE_SAMPLES ?? 200)
const WORKERS = 4
// Extra node flags for the worker processes, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile them.
const NODE_ARGS = (process.env.BENCH_QUEUE_NODE_ARGS ?? '').split(' ').filter((a) => a !== '')
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

function message(child: ChildProcess, type: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: { type?: string; m?: string }) => {
      if (m?.type === 'log') console.error(`  [worker ${child.pid}] ${m.m}`)
      if (m?.type !== type) return
      child.off('message', onMessage)
      child.off('exit', onExit)
      resolve()
    }
    const onExit = (code: number | null) => reject(new Error(`worker exited (${code}) before '${type}'`))
    child.on('message', onMessage)
    child.once('exit', onExit)
  })
}

async function spawnWorkers(kind: string, target: string, count: number, concurrency: number) {
  const children = Array.from({ length: count }, () =>
    spawn(
      process.execPath,
      [...NODE_ARGS, '--import', 'tsx', join(here, 'queue', 'child.ts'), kind, target, String(concurrency)],
      {
        cwd: here,
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      },
    ),
  )
  await Promise.all(children.map((child) => message(child, 'ready')))
  return {
    go: async () => {
      const going = children.map((child) => message(child, 'going'))
      for (const child of children) child.send({ type: 'go' })
      await Promise.all(going)
    },
    stop: async () => {
      // Each child exits by itself after 'stopped' (writing its --cpu-prof profile, if asked): wait for
      // the exits, not only the messages, before killing whatever is left.
      const exited = children.map(
        (child) =>
          new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve(null))),
      )
      const stopped = children.map((child) => message(child, 'stopped').catch(() => {}))
      for (const child of children) child.send({ type: 'stop' })
      await Promise.race([Promise.all([...stopped, ...exited]), sleep(5000)])
      for (const child of children) if (child.exitCode === null) child.kill('SIGKILL')
    },
  }
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN

/** Our throughput: JOBS queued first, then 4 worker processes drain them; jobs per second of the drain. */
async function oursThroughput(kind: string, target: string, store: Store): Promise<number> {
  const queue = createQueue({ store, namespace: 'bench' })
  for (let i = 0; i < JOBS; i++) await queue.submit('noop', [i])
  const workers = await spawnWorkers(kind, target, WORKERS, CONCURRENCY)
  const start = performance.now()
  await workers.go()
  for (;;) {
    const { total } = await store.computations.list({ namespace: 'bench', status: 'finished', perPage: 1 })
    if (total >= JOBS) break
    await sleep(20)
  }
  const seconds = (performance.now() - start) / 1000
  await workers.stop()
  return JOBS / seconds
}

/** Our latency: one idle worker in another process; each job returns the time its function started. */
async function oursLatency(kind: string, target: string, store: Store): Promise<number[]> {
  const queue = createQueue({ store, namespace: 'bench-latency' })
  const worker = await spawnWorkers(`${kind}-latency`, target, 1, 1)
  await worker.go()
  await sleep(500)
  const samples: number[] = []
  for (let i = 0; i < SAMPLES; i++) {
    await sleep(20 + Math.random() * 60)
    const submitted = Date.now()
    const job = await queue.submit('noop', [`latency-${i}`])
    samples.push((await job.result<number>()) - submitted)
  }
  await worker.stop()
  return samples.sort((a, b) => a - b)
}

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

async function startRedis(): Promise<{ port: number; stop: () => void } | null> {
  if (spawnSync('redis-server', ['--version']).status !== 0) return null
  const port = await freePort()
  const redis = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  )
  const probe = new Queue('probe', { connection: { host: '127.0.0.1', port } })
  await probe.waitUntilReady()
  await probe.close()
  return { port, stop: () => redis.kill('SIGTERM') }
}

async function bullThroughput(port: number): Promise<number> {
  const connection = { host: '127.0.0.1', port }
  const queue = new Queue('bench', { connection })
  await queue.obliterate({ force: true })
  for (let i = 0; i < JOBS; i += 1000) {
    const batch = Array.from({ length: Math.min(1000, JOBS - i) }, (_, k) => ({
      name: 'noop',
      data: { i: i + k },
    }))
    await queue.addBulk(batch)
  }
  const workers = await spawnWorkers('bullmq', `127.0.0.1:${port}`, WORKERS, CONCURRENCY)
  const start = performance.now()
  await workers.go()
  for (;;) {
    const { completed = 0 } = await queue.getJobCounts('completed')
    if (completed >= JOBS) break
    await sleep(20)
  }
  const seconds = (performance.now() - start) / 1000
  await workers.stop()
  await queue.close()
  return JOBS / seconds
}

async function bullLatency(port: number): Promise<number[]> {
  const connection = { host: '127.0.0.1', port }
  const queue = new Queue('bench-latency', { connection })
  const events = new QueueEvents('bench-latency', { connection })
  await events.waitUntilReady()
  const worker = await spawnWorkers('bullmq-latency', `127.0.0.1:${port}`, 1, 1)
  await worker.go()
  await sleep(500)
  const samples: number[] = []
  for (let i = 0; i < SAMPLES; i++) {
    await sleep(20 + Math.random() * 60)
    const submitted = Date.now()
    const job = await queue.add('noop', { i })
    samples.push(((await job.waitUntilFinished(events)) as number) - submitted)
  }
  await worker.stop()
  await events.close()
  await queue.close()
  return samples.sort((a, b) => a - b)
}

const fmt = (n: number) => (Number.isFinite(n) ? n.toFixed(0) : 'n/a')
const latencyLine = (name: string, s: number[]) =>
  `  ${name.padEnd(22)} p50 ${fmt(percentile(s, 0.5)).padStart(4)} ms   p99 ${fmt(percentile(s, 0.99)).padStart(4)} ms`

async function main() {
  console.log(
    `queue: ${JOBS} no-op jobs, ${WORKERS} worker processes × concurrency ${CONCURRENCY}; latency: ${SAMPLES} submits to an idle worker`,
  )
  const dir = mkdtempSync(join(tmpdir(), 'cm-queue-bench-'))
  const path = join(dir, 'bench.db')
  const store = new SqliteStore({ path })
  const redis = await startRedis()
  try {
    const ours = await oursThroughput('ours-sqlite', path, store)
    const bull = redis === null ? Number.NaN : await bullThroughput(redis.port)
    const oursLat = await oursLatency('ours-sqlite', path, store)
    const bullLat = redis === null ? [] : await bullLatency(redis.port)
    const load = loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')
    console.log(`\nthroughput (load average ${load})`)
    console.log(`  ours (SQLite)          ${fmt(ours).padStart(6)} jobs/s`)
    console.log(
      `  BullMQ (Redis)         ${redis === null ? '  skipped: redis-server not found' : `${fmt(bull).padStart(6)} jobs/s`}`,
    )
    if (redis !== null) console.log(`  ours ÷ BullMQ          ${(ours / bull).toFixed(2)}×   (goal ≥ 0.5×)`)
    console.log('submit → start, idle worker in another process (goal p50 ≤ 25 ms, p99 ≤ 100 ms)')
    console.log(latencyLine('ours (SQLite)', oursLat))
    if (redis !== null) console.log(latencyLine('BullMQ (Redis)', bullLat))
    if (process.env.MONGODB_URL) {
      const { createMongoStore } = await import('@comp-manager/mongo-store')
      const mongo = await createMongoStore({ url: process.env.MONGODB_URL })
      const onMongo = await oursThroughput('ours-mongo', process.env.MONGODB_URL, mongo)
      await mongo.close()
      console.log(
        `  ours (MongoDB)         ${fmt(onMongo).padStart(6)} jobs/s${redis === null ? '' : `   ÷ BullMQ ${(onMongo / bull).toFixed(2)}×`}`,
      )
    } else console.log('  MongoDB: skipped (MONGODB_URL not set)')
  } finally {
    redis?.stop()
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

await main()
