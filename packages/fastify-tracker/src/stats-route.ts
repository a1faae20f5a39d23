/**
 * `GET /computations/stats`: what the fleet is doing, from the store (so every instance answers the
 * same): queue depth (`queued`), `running` (`started`), `paused`, and the runs that failed, finished
 * or were lost in the last hour (by their last change, paged newest first and stopped at the hour).
 */
import type { ComputationStatus } from '@comp-manager/core'
import {
  errorResponses,
  IsoDateTimeSchema,
  protect,
  resolveNamespaces,
  withDetails,
} from '@comp-manager/fastify-kit'
import { type Static, Type } from 'typebox'
import { ComputationNotFoundError } from './errors.js'
import type { RecordContext } from './records.js'
import type { Routes } from './route-types.js'
import { RecordQuerySchema } from './schemas.js'

const HOUR_MS = 3_600_000
/** Runs of the last hour counted at most (per status); above it the count is a lower bound. */
export const MAX_HOURLY_COUNT = 10_000

const Count = (description: string) => Type.Integer({ minimum: 0, description })

export const ComputationStatsSchema = Type.Object(
  {
    namespaces: Type.Array(Type.String(), { description: 'The namespaces counted' }),
    at: IsoDateTimeSchema,
    queued: Count('Queue depth: runs waiting for a worker'),
    running: Count('Runs started and not over'),
    paused: Count('Runs paused'),
    lastHour: Type.Object(
      { failed: Count('Failed in the last hour'), finished: Count('Finished'), lost: Count('Lost') },
      { additionalProperties: false, description: 'Runs that ended in the last hour, by outcome' },
    ),
    lowerBound: Type.Boolean({ description: "A count hit the store's count limit: it is at least that" }),
  },
  {
    additionalProperties: false,
    title: 'ComputationStats',
    description: 'What the fleet is doing, counted in the store',
  },
)
export type ComputationStatsDto = Static<typeof ComputationStatsSchema>

async function countOf(ctx: RecordContext, namespace: string | string[], status: ComputationStatus) {
  const page = await ctx.computations.list({ namespace, status, perPage: 1 })
  return { n: page.total, bound: page.totalIsLowerBound }
}

/** Runs of `status` whose last change is younger than `since` (newest first, stopped at `since`). */
async function recentOf(
  ctx: RecordContext,
  namespace: string | string[],
  status: ComputationStatus,
  since: number,
) {
  let n = 0
  let cursor: string | undefined
  for (;;) {
    const page = await ctx.computations.list({
      namespace,
      status,
      sort: '-updatedAt',
      perPage: 100,
      include: [],
      ...(cursor === undefined ? {} : { cursor }),
    })
    for (const r of page.data) {
      if (r.updatedAt < since) return { n, bound: false }
      n++
    }
    if (page.nextCursor === null) return { n, bound: false }
    if (n >= MAX_HOURLY_COUNT) return { n, bound: true }
    cursor = page.nextCursor
  }
}

export function statsRoute({ app, instance, tagged, authErrors, ctx }: Routes): void {
  app.get(
    '/stats',
    {
      schema: {
        ...tagged(
          'getComputationStats',
          'Computation statistics',
          'Queue depth, running and paused runs, and the runs that failed, finished or were lost in the last hour, ' +
            "in the caller's namespaces (or `namespace`), counted in the store: every instance answers the same.",
        ),
        querystring: RecordQuerySchema,
        response: { 200: ComputationStatsSchema, ...errorResponses(400, ...authErrors, 404, 500, 503) },
      },
      preHandler: protect(instance, 'viewer'),
    },
    async (request): Promise<ComputationStatsDto> => {
      const requested = request.query.namespace
      const namespaces = resolveNamespaces(request, { defaultNamespace: ctx.defaultNamespace, requested })
      if (namespaces === null)
        throw withDetails(new ComputationNotFoundError(`namespace ${requested} not found`), {
          namespace: requested,
        })
      const now = Date.now()
      if (namespaces.length === 0) {
        const zero = { failed: 0, finished: 0, lost: 0 }
        return {
          namespaces,
          at: new Date(now).toISOString(),
          queued: 0,
          running: 0,
          paused: 0,
          lastHour: zero,
          lowerBound: false,
        }
      }
      const ns = namespaces.length === 1 ? namespaces[0]! : namespaces
      const since = now - HOUR_MS
      const [queued, running, paused, failed, finished, lost] = await Promise.all([
        countOf(ctx, ns, 'queued'),
        countOf(ctx, ns, 'started'),
        countOf(ctx, ns, 'paused'),
        recentOf(ctx, ns, 'failed', since),
        recentOf(ctx, ns, 'finished', since),
        recentOf(ctx, ns, 'lost', since),
      ])
      return {
        namespaces,
        at: new Date(now).toISOString(),
        queued: queued.n,
        running: running.n,
        paused: paused.n,
        lastHour: { failed: failed.n, finished: finished.n, lost: lost.n },
        lowerBound: [queued, running, paused, failed, finished, lost].some((c) => c.bound),
      }
    },
  )
}
