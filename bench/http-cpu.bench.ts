// Server CPU per request (issue 12): an authenticated `GET /api/v1/computations/:id` through the composed
// server, as in production (NODE_ENV=production, the default logger at `info`, writing to /dev/null),
// against a hand-written route doing the same essential work, measured in the same run.
// Run: `pnpm bench http-cpu` or `node --import tsx http-cpu.bench.ts`.
//
//   server   — `@comp-manager/server`'s buildApp from loadConfig (production, LOG_LEVEL info): request ids,
//              helmet, compression, the global rate limit (10^6 per second), JWT verification, the viewer
//              role, namespace scoping, the embedded SQLite store, the TypeBox response schema, the logs.
//   hand     — bare `Fastify()` + `@fastify/jwt` (`request.jwtVerify()`), a better-sqlite3 prepared point read
//              of the same record in the same file, the row mapped to the same DTO, the same response
//              schema; no logger.
//   hand+log — the same, with Fastify's own logger at `info` (pino, two lines per request).
//
// Each contender runs in a process of its own, which reports its CPU (`process.cpuUsage()`, user + system)
// around each sample, so the load generator (autocannon, in this process) does not count. BENCH_HTTP_REQUESTS
// (default 20 000) requests per sample over BENCH_HTTP_CONNECTIONS (default 10) connections, rounds
// interleaved (BENCH_ROUNDS, default 3), median reported. Goal: server ≤ 1.1× hand's CPU per request.
import { type ChildProcess, fork } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import autocannon from 'autocannon'
import { printTable } from './harness.js'

const GOAL = 1.1
const REQUESTS = Number(process.env.BENCH_HTTP_REQUESTS ?? 20_000)
const CONNECTIONS = Number(process.env.BENCH_HTTP_CONNECTIONS ?? 10)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const SECRET = 'bench-Q8vN2pLk9RzT4wYb8HmC3jFs6GdA1eU0oIi'
const CONTENDERS = ['server', 'hand', 'hand+log'] as const
type Name = (typeof CONTENDERS)[number]

interface Ready {
  url: string
  token?: string
  id?: string
}

// ── the children ──────────────────────────────────────────────────────────────────────────────────

/** The composed server; creates the record the others read. */
async function serveComposed(dataDir: string): Promise<Ready> {
  const { buildApp, loadConfig } = await import('@comp-manager/server')
  const config = loadConfig({
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    JWT_SECRET: SECRET,
    RATE_LIMIT_MAX: '1000000',
    RATE_LIMIT_WINDOW: '1s',
    COMP_MANAGER_DATA_DIR: dataDir,
  })
  const app = await buildApp(config)
  const operator = app.issueToken({ sub: 'bench-writer', role: 'operator', namespaces: ['default'] })
  const created = await app.inject({
    method: 'POST',
    url: '/api/v1/computations',
    headers: { authorization: `Bearer ${operator}` },
    payload: {
      function: 'monthlyTotal',
      args: ['2024-05', { __type__: 'bigint', value: '1980000' }],
      message: 'bench',
      status: 'started',
    },
  })
  if (created.statusCode !== 201) throw new Error(`POST: ${created.statusCode} ${created.body}`)
  const token = app.issueToken(
    { sub: 'bench-reader', role: 'viewer', namespaces: ['default'] },
    { expiresIn: '1h' },
  )
  return { url: await app.listen({ port: 0, host: '127.0.0.1' }), token, id: created.json().id }
}

interface Row {
  [column: string]: string | number | null
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())
const json = (text: string | number | null) => (text === null ? null : JSON.parse(String(text)))

/** The hand-written route: what a user would write for this one endpoint. */
async function serveHand(dataDir: string, logged: boolean): Promise<Ready> {
  const { default: Fastify } = await import('fastify')
  const { default: fastifyJwt } = await import('@fastify/jwt')
  const { default: Database } = await import('better-sqlite3')
  const { ComputationDtoSchema } = await import('@comp-manager/fastify-tracker')
  const db = new Database(join(dataDir, 'comp-manager.db'), { readonly: true })
  const byId = db.prepare('SELECT * FROM computations WHERE namespace = ? AND id = ?')
  const app = Fastify({ logger: logged ? { level: 'info' } : false })
  await app.register(fastifyJwt, { secret: SECRET })
  app.get<{ Params: { id: string } }>(
    '/api/v1/computations/:id',
    { schema: { response: { 200: ComputationDtoSchema } } },
    async (request, reply) => {
      const user = await request.jwtVerify<{ role: string; ns: string[] }>()
      if (!user.ns.includes('default') && !user.ns.includes('*')) return reply.code(404).send()
      const r = byId.get('default', request.params.id) as Row | undefined
      if (r === undefined) return reply.code(404).send()
      const activeSince = r.active_since as number | null
      return {
        id: r.id,
        namespace: r.namespace,
        name: r.name,
        function: r.function,
        functionFull: r.function_full,
        args: json(r.args),
        hash: r.hash,
        hashAlgorithm: r.hash_algorithm,
        attempt: r.attempt,
        status: r.status,
        pid: r.pid,
        host: r.host,
        owner: r.owner,
        message: r.message,
        error: json(r.error),
        progress: json(r.progress),
        result: json(r.result),
        checkpoint: json(r.checkpoint),
        createdAt: iso(r.created_at as number),
        updatedAt: iso(r.updated_at as number),
        startedAt: iso(r.started_at as number | null),
        finishedAt: iso(r.finished_at as number | null),
        pausedAt: iso(r.paused_at as number | null),
        heartbeatAt: iso(r.heartbeat_at as number | null),
        leaseUntil: iso(r.lease_until as number | null),
        pauseRequestedAt: iso(r.pause_requested_at as number | null),
        priority: r.priority,
        runAt: iso(r.run_at as number | null),
        maxAttempts: r.max_attempts,
        worker: r.worker,
        runningTimeMs:
          r.started_at === null
            ? null
            : (r.active_ms as number) + (activeSince === null ? 0 : Date.now() - activeSince),
        schemaVersion: r.schema_version,
      }
    },
  )
  return { url: await app.listen({ port: 0, host: '127.0.0.1' }) }
}

async function child(name: Name, dataDir: string): Promise<void> {
  process.once('SIGTERM', () => process.exit(0))
  const ready =
    name === 'server' ? await serveComposed(dataDir) : await serveHand(dataDir, name === 'hand+log')
  const profiler = new Session()
  process.on('message', (m: { cpu?: boolean; profile?: 'start' | 'stop' }) => {
    if (m.cpu) {
      const { user, system } = process.cpuUsage()
      process.send!({ cpuUs: user + system })
    }
    if (m.profile !== undefined)
      void profile(profiler, name, m.profile).then(() => process.send!({ profiled: true }))
  })
  process.send!({ ready })
}

/** BENCH_CPU_PROF=dir: a V8 CPU profile of the measured rounds only (no start-up, no warm-up), `dir/<name>.cpuprofile`. */
async function profile(session: Session, name: Name, step: 'start' | 'stop'): Promise<void> {
  if (step === 'start') {
    session.connect()
    await session.post('Profiler.enable')
    await session.post('Profiler.start')
    return
  }
  const { profile } = await session.post('Profiler.stop')
  const dir = process.env.BENCH_CPU_PROF!
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, `${name.replace('+', '-')}.cpuprofile`), JSON.stringify(profile))
  session.disconnect()
}

// ── the parent: the load ──────────────────────────────────────────────────────────────────────────

function ask<T>(proc: ChildProcess, key: string, message?: object): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: Record<string, unknown>) => {
      if (!(key in m)) return
      proc.off('message', onMessage)
      resolve(m[key] as T)
    }
    proc.on('message', onMessage)
    proc.once('exit', (code) => reject(new Error(`a bench server exited (${code})`)))
    if (message !== undefined) proc.send(message)
  })
}

function spawnServer(name: Name, dataDir: string): ChildProcess {
  return fork(new URL(import.meta.url).pathname, ['--serve', name, dataDir], {
    execArgv: ['--import', 'tsx'],
    // The production logger writes to the child's stdout: /dev/null, as a log shipper would drain it.
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  })
}

/** CPU microseconds of the server per request, over `amount` requests. */
async function sample(proc: ChildProcess, url: string, token: string, amount: number): Promise<number> {
  const before = await ask<number>(proc, 'cpuUs', { cpu: true })
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    amount,
    headers: { authorization: `Bearer ${token}` },
  })
  const after = await ask<number>(proc, 'cpuUs', { cpu: true })
  const errors = result.errors + result.non2xx + result.timeouts
  if (errors > 0) throw new Error(`${url}: ${errors} errors or non-2xx answers`)
  return (after - before) / result.requests.total
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'cm-bench-http-cpu-'))
  const procs = new Map<Name, ChildProcess>()
  try {
    const server = spawnServer('server', dataDir)
    procs.set('server', server)
    const first = await ask<Ready>(server, 'ready')
    const urls = new Map<Name, string>([['server', first.url]])
    for (const name of CONTENDERS.slice(1)) {
      const proc = spawnServer(name, dataDir)
      procs.set(name, proc)
      urls.set(name, (await ask<Ready>(proc, 'ready')).url)
    }
    const path = `/api/v1/computations/${first.id}`
    const token = first.token!
    for (const name of CONTENDERS)
      await sample(procs.get(name)!, `${urls.get(name)}${path}`, token, REQUESTS / 4)
    const profiling = process.env.BENCH_CPU_PROF !== undefined
    if (profiling) for (const proc of procs.values()) await ask(proc, 'profiled', { profile: 'start' })
    const samples = new Map<Name, number[]>(CONTENDERS.map((n) => [n, []]))
    for (let round = 0; round < ROUNDS; round++) {
      for (let k = 0; k < CONTENDERS.length; k++) {
        const name = CONTENDERS[(k + round) % CONTENDERS.length]!
        samples.get(name)!.push(await sample(procs.get(name)!, `${urls.get(name)}${path}`, token, REQUESTS))
      }
    }
    if (profiling) for (const proc of procs.values()) await ask(proc, 'profiled', { profile: 'stop' })
    const cpu = (name: Name) => median(samples.get(name)!)
    console.log(
      `autocannon: ${CONNECTIONS} connections, ${REQUESTS} requests per sample, ${ROUNDS} interleaved rounds, median reported`,
    )
    console.log()
    printTable(
      ['contender', 'server CPU per request', 'vs hand', 'samples (µs)'],
      CONTENDERS.map((name) => [
        name,
        `${cpu(name).toFixed(1)} µs`,
        `${(cpu(name) / cpu('hand')).toFixed(2)}×`,
        samples
          .get(name)!
          .map((s) => s.toFixed(0))
          .join(' '),
      ]),
    )
    const ratio = cpu('server') / cpu('hand')
    console.log(
      `\nGET /api/v1/computations/:id, auth on, production logger: server ÷ hand = ${ratio.toFixed(2)}× — goal ≤ ${GOAL}× ${ratio <= GOAL ? 'met' : 'MISSED'}`,
    )
    if (process.env.BENCH_STRICT === '1' && ratio > GOAL) process.exitCode = 1
  } finally {
    await Promise.all(
      [...procs.values()].map((proc) => {
        const exited = new Promise((resolve) => proc.once('exit', resolve))
        proc.kill('SIGTERM')
        return exited
      }),
    )
    rmSync(dataDir, { recursive: true, force: true })
  }
}

const serveAt = process.argv.indexOf('--serve')
if (serveAt !== -1) await child(process.argv[serveAt + 1] as Name, process.argv[serveAt + 2]!)
else await main()
