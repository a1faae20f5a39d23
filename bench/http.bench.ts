// The composed server over HTTP (issue 6): req/s and p99 latency of `GET /api/v1/computations/:id` and
// `GET /api/v1/cache/stats` with auth on, against a bare Fastify route returning the same JSON, measured
// in the same run. Run: `pnpm bench http` or `node --import tsx http.bench.ts`.
//
//   server — `@comp-manager/server`'s buildApp as in production (NODE_ENV=production, logger off): request
//            ids, helmet, compression, the global rate limit (10^6 per second: counted on every request, never reached),
//            JWT verification and the viewer role check, namespace scoping, TypeBox response schemas, and
//            the embedded SQLite store (the record is read from the file on every request).
//   stack  — the same server, a route of its own returning that JSON from memory (viewer role required): the
//            cost of the composition alone, without the store and the route plugin (informative, no target).
//   bare   — `Fastify()` with one route returning the same JSON object from memory, no schema, no plugin.
//
// Both servers run in one child process (so the load generator, autocannon, has the other core), on
// 127.0.0.1 only. Each contender is measured for BENCH_HTTP_SECONDS (default 3) with
// BENCH_HTTP_CONNECTIONS (default 10) connections, rounds interleaved (BENCH_ROUNDS, default 3), and the
// median round is reported. Target: the server keeps ≥ 60% of the bare route's req/s.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import autocannon from 'autocannon'
import { printTable } from './harness.js'

const TARGET = 0.6
const SECONDS = Number(process.env.BENCH_HTTP_SECONDS ?? 3)
const CONNECTIONS = Number(process.env.BENCH_HTTP_CONNECTIONS ?? 10)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)

interface Served {
  server: string
  bare: string
  token: string
  id: string
}

// ── the child: both servers ───────────────────────────────────────────────────────────────────────

async function serve(): Promise<void> {
  const { buildApp, loadConfig } = await import('@comp-manager/server')
  const { default: Fastify } = await import('fastify')
  const dataDir = mkdtempSync(join(tmpdir(), 'cm-bench-http-'))
  const config = loadConfig({
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    JWT_SECRET: 'bench-Q8vN2pLk9RzT4wYb8HmC3jFs6GdA1eU0oIi',
    RATE_LIMIT_MAX: '1000000',
    RATE_LIMIT_WINDOW: '1s',
    LOG_LEVEL: 'silent',
    COMP_MANAGER_DATA_DIR: dataDir,
  })
  // The same JSON as the real routes, from memory, through the whole stack (auth included): what the
  // composed server costs by itself, without the store and the plugin's route work.
  const memory: { computation?: unknown; stats?: unknown } = {}
  const app = await buildApp(config, {
    logger: false,
    routes: (api) => {
      const viewer = { preHandler: api.authorize('viewer'), schema: { tags: ['bench'], summary: 'bench' } }
      api.get('/bench/computation', viewer, async () => memory.computation)
      api.get('/bench/stats', viewer, async () => memory.stats)
    },
  })
  const operator = app.issueToken({ sub: 'bench-writer', role: 'operator', namespaces: ['default'] })
  const created = await app.inject({
    method: 'POST',
    url: '/api/v1/computations',
    headers: { authorization: `Bearer ${operator}` },
    payload: {
      function: 'monthlyTotal',
      args: ['2024-05', { __type__: 'bigint', value: '1980000' }],
      message: 'bench',
    },
  })
  if (created.statusCode !== 201)
    throw new Error(`POST /api/v1/computations: ${created.statusCode} ${created.body}`)
  const { id } = created.json() as { id: string }
  await app.cache.set('bench:rates', { EUR: 1, USD: 1.08 }, { ttl: '1h', tags: ['bench'] })
  const token = app.issueToken(
    { sub: 'bench-reader', role: 'viewer', namespaces: ['default'] },
    { expiresIn: '1h' },
  )
  const headers = { authorization: `Bearer ${token}` }
  const computation = await app.inject({ url: `/api/v1/computations/${id}`, headers })
  const stats = await app.inject({ url: '/api/v1/cache/stats', headers })
  if (computation.statusCode !== 200 || stats.statusCode !== 200) {
    throw new Error(`warm-up failed: ${computation.statusCode} ${stats.statusCode}`)
  }

  const bare = Fastify()
  const computationBody = computation.json()
  const statsBody = stats.json()
  memory.computation = computationBody
  memory.stats = statsBody
  bare.get('/api/v1/computations/:id', async () => computationBody)
  bare.get('/api/v1/cache/stats', async () => statsBody)

  const served: Served = {
    server: await app.listen({ port: 0, host: '127.0.0.1' }),
    bare: await bare.listen({ port: 0, host: '127.0.0.1' }),
    token,
    id,
  }
  process.stdout.write(`${JSON.stringify(served)}\n`)
  process.once('SIGTERM', async () => {
    await Promise.all([app.close(), bare.close()])
    rmSync(dataDir, { recursive: true, force: true })
    process.exit(0)
  })
}

// ── the parent: the load ──────────────────────────────────────────────────────────────────────────

interface Sample {
  rps: number
  p99: number
  errors: number
}

async function load(url: string, token: string, seconds: number): Promise<Sample> {
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: seconds,
    headers: { authorization: `Bearer ${token}` },
  })
  return {
    rps: result.requests.average,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx + result.timeouts,
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

async function main(): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', new URL(import.meta.url).pathname, '--serve'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const exited = new Promise((resolve) => child.once('exit', resolve))
  try {
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).once('line', resolve)
      child.once('exit', (code) => reject(new Error(`the servers exited early (${code})`)))
    })
    const served = JSON.parse(line) as Served
    for (const base of [served.server, served.bare]) {
      if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(base)) throw new Error(`not a loopback address: ${base}`)
    }
    const routes = [
      {
        name: `GET /api/v1/computations/:id`,
        path: `/api/v1/computations/${served.id}`,
        stack: '/api/v1/bench/computation',
      },
      { name: 'GET /api/v1/cache/stats', path: '/api/v1/cache/stats', stack: '/api/v1/bench/stats' },
    ]
    console.log(
      `autocannon: ${CONNECTIONS} connections, ${SECONDS} s per sample, ${ROUNDS} interleaved rounds, median reported`,
    )
    const rows: string[][] = []
    let missed = 0
    for (const route of routes) {
      const contenders = [
        { name: 'server', url: `${served.server}${route.path}` },
        { name: 'stack', url: `${served.server}${route.stack}` },
        { name: 'bare', url: `${served.bare}${route.path}` },
      ]
      for (const c of contenders) await load(c.url, served.token, 1) // warm-up (JIT, SQLite page cache)
      const samples = new Map<string, Sample[]>(contenders.map((c) => [c.name, []]))
      for (let round = 0; round < ROUNDS; round++) {
        for (let k = 0; k < contenders.length; k++) {
          const c = contenders[(k + round) % contenders.length]!
          const sample = await load(c.url, served.token, SECONDS)
          if (sample.errors > 0)
            throw new Error(`${c.name} ${route.name}: ${sample.errors} errors or non-2xx answers`)
          samples.get(c.name)!.push(sample)
        }
      }
      const rps = (name: string) => median(samples.get(name)!.map((s) => s.rps))
      const p99 = (name: string) => median(samples.get(name)!.map((s) => s.p99))
      const ratio = rps('server') / rps('bare')
      const met = ratio >= TARGET
      if (!met) missed++
      rows.push([
        route.name,
        rps('server').toFixed(0),
        `${p99('server')} ms`,
        rps('bare').toFixed(0),
        `${p99('bare')} ms`,
        `${(ratio * 100).toFixed(0)}%`,
        `${((rps('stack') / rps('bare')) * 100).toFixed(0)}%`,
        `${met ? 'met' : 'MISSED'} (≥ ${TARGET * 100}%)`,
      ])
    }
    console.log()
    printTable(
      [
        'route (auth on)',
        'server req/s',
        'server p99',
        'bare req/s',
        'bare p99',
        'server/bare',
        'stack/bare',
        'target',
      ],
      rows,
    )
    console.log(
      '\nstack/bare: the same JSON from memory through the whole server (request id, security headers, rate limit,\n' +
        'JWT check, compression hook, error handler) without the store and the route plugin: what the composition costs.',
    )
    console.log(`\n${missed === 0 ? 'All targets met.' : `${missed} route(s) missed the target.`}`)
    if (process.env.BENCH_STRICT === '1' && missed > 0) process.exitCode = 1
  } finally {
    child.kill('SIGTERM')
    await exited
  }
}

if (process.argv.includes('--serve')) await serve()
else await main()
