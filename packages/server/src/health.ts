import { errorResponses, runHealthChecks } from '@comp-manager/fastify-kit'
import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'

export const HealthSchema = Type.Object(
  { status: Type.Literal('ok') },
  { $id: 'Health', additionalProperties: false, description: 'The process is up and serving requests' },
)

export const HealthCheckResultSchema = Type.Object(
  {
    ok: Type.Boolean(),
    latencyMs: Type.Number({ minimum: 0, description: 'How long the check took' }),
    error: Type.Optional(Type.String({ description: 'Why it failed (never a stack trace)' })),
    details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { $id: 'HealthCheckResult', additionalProperties: false },
)

export const HealthDetailedSchema = Type.Object(
  {
    status: Type.Union([Type.Literal('ok'), Type.Literal('fail')]),
    version: Type.String({ description: 'Version of @comp-manager/server' }),
    uptimeSeconds: Type.Number({ minimum: 0 }),
    checks: Type.Record(Type.String(), HealthCheckResultSchema, {
      description: 'One entry per registered check (`store`, `redis`…)',
    }),
  },
  {
    $id: 'HealthDetailed',
    additionalProperties: false,
    description: 'Every check and its latency (`status: "fail"` with 503 when one fails)',
  },
)

export interface HealthRoutesOptions {
  version: string
  /** A check that has not answered after this long fails. */
  timeoutMs: number
}

/**
 * `GET /health` (liveness: the process answers; no dependency is touched, no rate limit) and
 * `GET /health/detailed` (every check registered in `fastify.compHealthChecks`, concurrently, with its
 * latency; 503 when one fails). Both are public.
 */
export async function healthRoutes(fastify: FastifyInstance, options: HealthRoutesOptions): Promise<void> {
  fastify.get(
    '/health',
    {
      config: { rateLimit: false },
      schema: {
        operationId: 'getHealth',
        tags: ['health'],
        summary: 'Liveness',
        description: 'Answers `{ status: "ok" }` while the process serves requests. Touches no dependency.',
        security: [],
        response: { 200: HealthSchema, ...errorResponses(503) },
      },
    },
    async () => ({ status: 'ok' as const }),
  )

  fastify.get(
    '/health/detailed',
    {
      schema: {
        operationId: 'getHealthDetailed',
        tags: ['health'],
        summary: 'Readiness: every plugin check',
        description:
          'Runs every registered check (the store ping, Redis…) concurrently and reports each with its latency. ' +
          `Answers 503 when one fails or does not answer within ${options.timeoutMs} ms.`,
        security: [],
        response: { 200: HealthDetailedSchema, 503: HealthDetailedSchema, ...errorResponses(429) },
      },
    },
    async (_request, reply) => {
      const report = await runHealthChecks(fastify, { timeoutMs: options.timeoutMs })
      const checks: Record<string, { ok: boolean; latencyMs: number; error?: string; details?: object }> = {}
      for (const [name, result] of Object.entries(report.checks)) {
        checks[name] = { ...result, latencyMs: Math.round((result.latencyMs ?? 0) * 1000) / 1000 }
      }
      return reply.code(report.ok ? 200 : 503).send({
        status: report.ok ? 'ok' : 'fail',
        version: options.version,
        uptimeSeconds: Math.round(process.uptime()),
        checks,
      })
    },
  )
}
