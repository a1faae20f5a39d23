// The cost of @comp-manager/fastify-metrics per HTTP request and per store operation, against the same app
// without it, measured side by side in the same run (issue 18). Run: `pnpm bench metrics` or
// `node --import tsx metrics.bench.ts`.
//
//   before         — Fastify + `fastify.compStore` (a MemoryStore) + a route reading one record: no metrics plugin.
//   no-otel        — the same with the plugin, tracing off (`tracing: false`): exactly the code path taken when
//                    `@opentelemetry/api` is not installed (no import, every tracing call a null check).
//   otel-no-sdk    — the plugin with `@opentelemetry/api` installed and no SDK registered (the API's own
//                    non-recording spans).
//
// Each sample sends BENCH_METRICS_REQUESTS (default 2000) sequential `inject()` requests; CPU time of this
// process (user + system) per request, rounds interleaved (BENCH_ROUNDS, default 5), median reported. Goal:
// no-otel ≤ 1.15× before, and otel-no-sdk ≤ 1.1× no-otel.
import { MemoryStore } from '@comp-manager/core'
import fastifyMetrics from '@comp-manager/fastify-metrics'
import Fastify, { type FastifyInstance } from 'fastify'
import { printTable } from './harness.js'

const REQUESTS = Number(process.env.BENCH_METRICS_REQUESTS ?? 2000)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)
const TOKEN = 'bench-metrics-token-0123456789'
const CONTENDERS = ['before', 'no-otel', 'otel-no-sdk'] as const
type Name = (typeof CONTENDERS)[number]

async function appOf(name: Name): Promise<{ app: FastifyInstance; id: string }> {
  const app = Fastify()
  app.decorate('compStore', new MemoryStore())
  if (name !== 'before') {
    await app.register(fastifyMetrics, {
      token: TOKEN,
      defaultMetrics: false,
      tracing: name === 'otel-no-sdk',
    })
  }
  app.get('/things/:id', async (request) => {
    const { id } = request.params as { id: string }
    return app.compStore.computations.get('bench', id)
  })
  await app.ready()
  const record = await app.compStore.computations.create({
    namespace: 'bench',
    function: 'f',
    functionFull: 'f',
    args: [1],
    hash: 'bench-hash',
    hashAlgorithm: 'sha256',
  })
  return { app, id: record.id }
}

function cpuMs(): number {
  const { user, system } = process.cpuUsage()
  return (user + system) / 1000
}

async function sample(app: FastifyInstance, id: string): Promise<number> {
  const start = cpuMs()
  for (let i = 0; i < REQUESTS; i++) {
    const res = await app.inject(`/things/${id}`)
    if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}`)
  }
  return ((cpuMs() - start) * 1000) / REQUESTS // µs per request
}

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2
}

const apps = new Map<Name, { app: FastifyInstance; id: string }>()
for (const name of CONTENDERS) apps.set(name, await appOf(name))
for (const [, { app, id }] of apps) await sample(app, id) // warm-up
const samples = new Map<Name, number[]>(CONTENDERS.map((n) => [n, []]))
for (let round = 0; round < ROUNDS; round++) {
  for (let k = 0; k < CONTENDERS.length; k++) {
    const name = CONTENDERS[(k + round) % CONTENDERS.length] as Name
    const { app, id } = apps.get(name) as { app: FastifyInstance; id: string }
    samples.get(name)?.push(await sample(app, id))
  }
}
const us = new Map(CONTENDERS.map((n) => [n, median(samples.get(n) ?? [])]))
const before = us.get('before') as number
const noOtel = us.get('no-otel') as number
const otel = us.get('otel-no-sdk') as number
console.log(
  `\nmetrics: CPU µs per request (${REQUESTS} sequential inject() per sample, median of ${ROUNDS} rounds)`,
)
printTable(
  ['contender', 'µs/request', 'vs before', 'vs no-otel'],
  CONTENDERS.map((n) => {
    const v = us.get(n) as number
    return [n, v.toFixed(1), `${(v / before).toFixed(2)}×`, `${(v / noOtel).toFixed(2)}×`]
  }),
)
console.log(
  `goal: no-otel ≤ 1.15× before (${(noOtel / before).toFixed(2)}×), otel-no-sdk ≤ 1.1× no-otel (${(otel / noOtel).toFixed(2)}×)`,
)
for (const { app } of apps.values()) await app.close()
