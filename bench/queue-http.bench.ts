// The queue over the HTTP worker protocol (issue 17), beside the in-process figure, in one run:
//   - throughput: JOBS no-op jobs queued in the server's SQLite file, drained by 4 worker processes —
//     in-process workers on the file (`createWorker`, the baseline: queue.bench.ts's own figure) vs HTTP
//     workers (`createHttpWorker` of @comp-manager/client: claim with long-poll, complete) against the
//     composed server (`@comp-manager/server`'s buildApp, production settings, auth on) listening on
//     loopback in its own process (queue/server-child.ts); printed as HTTP jobs/s ÷ in-process jobs/s.
//   - long-poll claim latency: one idle HTTP worker in another process waits in `POST /workers/claim`
//     (`waitMs` 30 s); a client submits with `POST /computations`; the time from just before the submit
//     to the moment the worker's claim answered (its function called), p50/p99. Beside it, the baseline:
//     submit → start of an idle in-process worker in another process on the same file (queue.watch).
// Env: BENCH_QUEUE_JOBS (10000), BENCH_QUEUE_CONCURRENCY (per worker process, 8), BENCH_QUEUE_SAMPLES (200).
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { SQLITE_FILE_NAME } from '@comp-manager/server'
import { SqliteStore } from '@comp-manager/sqlite-store'
import { createQueue } from '@comp-manager/worker'

const here = dirname(fileURLToPath(import.meta.url))
const JOBS = Number(process.env.BENCH_QUEUE_JOBS ?? 10_000)
const CONCURRENCY = Number(process.env.BENCH_QUEUE_CONCURRENCY ?? 8)
const SAMPLES = Number(process.env.BENCH_QUEUE_SAMPLES ?? 200)
const WORKERS = 4
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

type Message = { type?: string; m?: string; id?: string; at?: number }

function message(child: ChildProcess, type: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: Message) => {
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

/** `count` worker processes of `script` with `args`, ready; `go()` starts them, `stop()` ends them. */
async function spawnWorkers(script: string, args: string[], count: number) {
  const children = Array.from({ length: count }, () =>
    spawn(process.execPath, ['--import', 'tsx', join(here, 'queue', script), ...args], {
      cwd: here,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  )
  await Promise.all(children.map((child) => message(child, 'ready')))
  return {
    children,
    go: async () => {
      const going = children.map((child) => message(child, 'going'))
      for (const child of children) child.send({ type: 'go' })
      await Promise.all(going)
    },
    stop: async () => {
      const stopped = children.map((child) => message(child, 'stopped').catch(() => {}))
      for (const child of children) child.send({ type: 'stop' })
      await Promise.race([Promise.all(stopped), sleep(5000)])
      for (const child of children) if (child.exitCode === null) child.kill('SIGKILL')
    },
  }
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? Number.NaN

/** Queues JOBS no-op jobs in `namespace`, starts the workers, and returns jobs/s of the drain. */
async function drain(
  store: SqliteStore,
  namespace: string,
  workers: Awaited<ReturnType<typeof spawnWorkers>>,
): Promise<number> {
  const queue = createQueue({ store, namespace })
  for (let i = 0; i < JOBS; i++) await queue.submit('noop', [i])
  const start = performance.now()
  await workers.go()
  for (;;) {
    const { total } = await store.computations.list({ namespace, status: 'finished', perPage: 1 })
    if (total >= JOBS) break
    await sleep(20)
  }
  const seconds = (performance.now() - start) / 1000
  await workers.stop()
  return JOBS / seconds
}

/** Submit over HTTP → the idle HTTP worker's long-poll claim answered (the worker's clock, same machine). */
async function httpLatency(
  url: string,
  operator: string,
  worker: string,
  store: SqliteStore,
): Promise<number[]> {
  const idle = await spawnWorkers('http-child.ts', ['latency', url, worker, '1'], 1)
  const claimedAt = new Map<string, number>()
  let arrived: (() => void) | undefined
  idle.children[0]!.on('message', (m: Message) => {
    if (m?.type !== 'claimed') return
    claimedAt.set(m.id!, m.at!)
    arrived?.()
  })
  await idle.go()
  // Listed in the fleet: its first claim reached the server (and waits there).
  for (;;) {
    const res = await fetch(`${url}/api/v1/workers?namespace=bench-http-latency`, {
      headers: { authorization: `Bearer ${operator}` },
    })
    if (((await res.json()) as { data: unknown[] }).data.length > 0) break
    await sleep(50)
  }
  await sleep(500)
  const samples: number[] = []
  for (let i = 0; i < SAMPLES; i++) {
    await sleep(20 + Math.random() * 60)
    const submitted = Date.now()
    const res = await fetch(`${url}/api/v1/computations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${operator}`, 'content-type': 'application/json' },
      body: JSON.stringify({ function: 'noop', args: [`latency-${i}`], namespace: 'bench-http-latency' }),
    })
    if (res.status !== 201) throw new Error(`POST /computations: ${res.status} ${await res.text()}`)
    const { id } = (await res.json()) as { id: string }
    while (!claimedAt.has(id)) await new Promise<void>((resolve) => (arrived = resolve))
    samples.push(claimedAt.get(id)! - submitted)
    // Back in its long-poll before the next submit: its complete has landed (it claims right after).
    while ((await store.computations.get('bench-http-latency', id))?.status !== 'finished') await sleep(5)
  }
  await idle.stop()
  return samples.sort((a, b) => a - b)
}

/** Submit in the store → start of an idle in-process worker in another process (as queue.bench.ts). */
async function inProcessLatency(path: string, store: SqliteStore): Promise<number[]> {
  const queue = createQueue({ store, namespace: 'bench-latency' })
  const worker = await spawnWorkers('child.ts', ['ours-sqlite-latency', path, '1'], 1)
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

const fmt = (n: number) => (Number.isFinite(n) ? n.toFixed(0) : 'n/a')
const latencyLine = (name: string, s: number[]) =>
  `  ${name.padEnd(34)} p50 ${fmt(percentile(s, 0.5)).padStart(4)} ms   p99 ${fmt(percentile(s, 0.99)).padStart(4)} ms`

async function main() {
  console.log(
    `queue over HTTP: ${JOBS} no-op jobs, ${WORKERS} worker processes × concurrency ${CONCURRENCY}; latency: ${SAMPLES} submits to an idle worker`,
  )
  const dataDir = mkdtempSync(join(tmpdir(), 'cm-queue-http-bench-'))
  const path = join(dataDir, SQLITE_FILE_NAME)
  // The server in its own process (it creates the file); the bench opens the file after it.
  const server = spawn(
    process.execPath,
    ['--import', 'tsx', join(here, 'queue', 'server-child.ts'), dataDir],
    {
      cwd: here,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  )
  const { url, worker, operator } = await new Promise<{ url: string; worker: string; operator: string }>(
    (resolve, reject) => {
      server.once('message', (m: { type: string; url: string; worker: string; operator: string }) =>
        resolve(m),
      )
      server.once('exit', (code) => reject(new Error(`the server exited (${code})`)))
    },
  )
  // The bench's own connection to the server's file: queues the jobs, counts the finished ones.
  const store = new SqliteStore({ path })
  try {
    const inProcess = await drain(
      store,
      'bench',
      await spawnWorkers('child.ts', ['ours-sqlite', path, String(CONCURRENCY)], WORKERS),
    )
    const overHttp = await drain(
      store,
      'bench-http',
      await spawnWorkers('http-child.ts', ['throughput', url, worker, String(CONCURRENCY)], WORKERS),
    )
    const inProcessLat = await inProcessLatency(path, store)
    const httpLat = await httpLatency(url, operator, worker, store)
    const load = loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')
    console.log(`\nthroughput (load average ${load})`)
    console.log(`  in-process workers (SQLite)        ${fmt(inProcess).padStart(6)} jobs/s`)
    console.log(`  HTTP workers (server on SQLite)    ${fmt(overHttp).padStart(6)} jobs/s`)
    console.log(`  HTTP ÷ in-process                  ${(overHttp / inProcess).toFixed(2)}×`)
    console.log('latency, idle worker in another process')
    console.log(latencyLine('in-process: submit → start', inProcessLat))
    console.log(latencyLine('HTTP: POST → long-poll claim answers', httpLat))
    console.log(
      `  HTTP ÷ in-process                  p50 ${(percentile(httpLat, 0.5) / percentile(inProcessLat, 0.5)).toFixed(2)}×   p99 ${(percentile(httpLat, 0.99) / percentile(inProcessLat, 0.99)).toFixed(2)}×`,
    )
  } finally {
    await store.close()
    const stopped = message(server, 'stopped').catch(() => {})
    server.send({ type: 'stop' })
    await Promise.race([stopped, sleep(5000)])
    if (server.exitCode === null) server.kill('SIGKILL')
    rmSync(dataDir, { recursive: true, force: true })
  }
}

await main()
