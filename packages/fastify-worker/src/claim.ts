/**
 * `POST /workers/claim` (up to `max` jobs, long-polling up to `waitMs`) and `GET /workers` (the fleet).
 */
import type { Computation, WorkerInfo } from '@comp-manager/core'
import { onQueued } from '@comp-manager/core/runs'
import { errorResponses, protect, resolveNamespaces, withDetails } from '@comp-manager/fastify-kit'
import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { JobNotFoundError, WorkerValidationError } from './errors.js'
import type { ProtocolRoutes } from './route-types.js'
import {
  type ClaimBody,
  ClaimBodySchema,
  type ClaimedJob,
  ClaimResponseSchema,
  type WorkerDto,
  WorkerListQuerySchema,
  WorkerPageSchema,
} from './schemas.js'

const iso = (ms: number): string => new Date(ms).toISOString()

/** First and longest pause between two empty claims while long-polling (a queued job in this process wakes it at once). */
const FIRST_POLL_MS = 20
const MAX_POLL_MS = 250

function toJob(routes: ProtocolRoutes, record: Computation, leaseMs: number): ClaimedJob {
  return {
    id: record.id,
    namespace: record.namespace,
    function: record.function,
    functionFull: record.functionFull,
    hash: record.hash,
    args: record.args,
    checkpoint: record.checkpoint,
    attempt: record.attempt,
    maxAttempts: record.maxAttempts,
    leaseToken: routes.lease.tokens.issue(record),
    leaseExpiresAt: iso(record.leaseUntil ?? Date.now() + leaseMs),
    heartbeatMs: Math.max(1, Math.floor(leaseMs / 3)),
  }
}

/** Claims up to `max` jobs now, in one atomic step (`queue.claimBatch`: one write transaction on SQLite). */
async function claimNow(
  routes: ProtocolRoutes,
  body: ClaimBody,
  namespaces: string[],
  leaseMs: number,
  host: string,
): Promise<ClaimedJob[]> {
  const records = await routes.queue.claimBatch({
    namespaces,
    functions: body.functions,
    worker: body.workerId,
    pid: body.pid ?? null,
    host: body.host ?? host,
    leaseMs,
    max: body.max ?? 1,
    // Recorded with the claim: a sweeper's or waiter's `expire` then gives the plugin's retries.
    maxLostRetries: routes.options.maxLostRetries,
  })
  for (const record of records) {
    routes.events.emit('started', {
      record,
      resumed: record.checkpoint !== null && record.checkpoint !== undefined,
    })
  }
  return records.map((record) => toJob(routes, record, leaseMs))
}

/** Resolves after `ms`, when a job is queued in this process, or when the request is gone. */
function pause(routes: ProtocolRoutes, request: FastifyRequest, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer)
      off()
      request.raw.off('close', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    const off = onQueued(routes.store, done)
    request.raw.once('close', done)
  })
}

function claimRoute(routes: ProtocolRoutes): void {
  const { app, instance, tagged, authErrors, options } = routes
  app.post(
    '/workers/claim',
    {
      schema: {
        ...tagged(
          'claimJobs',
          'Claim jobs (worker protocol)',
          'Claims up to `max` runnable jobs of `functions` in the namespaces of the token (or `namespace`), each ' +
            'leased for `leaseMs` with a `leaseToken`; exactly one worker gets each job. When none is runnable, waits ' +
            "up to `waitMs` (the server's `maxWaitMs` at most) for one, then answers 204. Registers the worker in the " +
            'fleet (`GET /workers`). See docs/WORKER-PROTOCOL.md.',
        ),
        body: ClaimBodySchema,
        response: {
          200: ClaimResponseSchema,
          204: Type.Null({ description: 'Nothing runnable within `waitMs`' }),
          ...errorResponses(400, ...authErrors, 404, 413, 500, 503),
        },
      },
      preHandler: protect(instance, 'worker'),
    },
    async (request, reply) => {
      const body = request.body
      const waitMs = body.waitMs ?? 0
      if (waitMs > options.maxWaitMs) {
        throw withDetails(new WorkerValidationError(`body/waitMs must be at most ${options.maxWaitMs}`), {
          in: 'body',
          issues: [{ path: 'body/waitMs', message: `must be at most ${options.maxWaitMs}` }],
        })
      }
      const namespaces = resolveNamespaces(request, {
        defaultNamespace: options.namespace,
        requested: body.namespace,
      })
      if (namespaces === null) {
        throw withDetails(new JobNotFoundError(`namespace ${body.namespace} not found`), {
          namespace: body.namespace,
        })
      }
      if (namespaces.length === 0) return reply.code(204).send(null)
      const leaseMs = body.leaseMs ?? options.leaseMs
      await routes.fleet.claimed(body, namespaces, request.ip)
      const deadline = Date.now() + waitMs
      for (let pollMs = FIRST_POLL_MS; ; pollMs = Math.min(MAX_POLL_MS, pollMs * 2)) {
        const jobs = await claimNow(routes, body, namespaces, leaseMs, request.ip)
        if (jobs.length > 0) return { jobs }
        const left = deadline - Date.now()
        if (left <= 0 || request.raw.destroyed) return reply.code(204).send(null)
        await pause(routes, request, Math.min(pollMs, left))
      }
    },
  )
}

const toWorkerDto = (w: WorkerInfo): WorkerDto => ({
  id: w.id,
  namespaces: [...w.namespaces],
  functions: [...w.functions],
  host: w.host,
  pid: w.pid,
  concurrency: w.concurrency,
  running: w.running,
  startedAt: iso(w.startedAt),
  lastSeenAt: iso(w.lastSeenAt),
  expiresAt: iso(w.expiresAt),
  version: w.version ?? null,
})

function listRoute(routes: ProtocolRoutes): void {
  const { app, instance, tagged, authErrors, options } = routes
  app.get(
    '/workers',
    {
      schema: {
        ...tagged(
          'listWorkers',
          'List the live workers',
          "The workers (HTTP and in-process alike) that registered, claimed or heartbeated within the registry's " +
            "time to live and serve the caller's namespaces, by id; `cursor` is the previous page's `next_cursor`.",
        ),
        querystring: WorkerListQuerySchema,
        response: { 200: WorkerPageSchema, ...errorResponses(400, ...authErrors, 404, 500, 503) },
      },
      preHandler: protect(instance, 'viewer'),
    },
    async (request) => {
      const query = request.query
      const namespaces = resolveNamespaces(request, {
        defaultNamespace: options.namespace,
        requested: query.namespace,
      })
      if (namespaces === null) {
        throw withDetails(new JobNotFoundError(`namespace ${query.namespace} not found`), {
          namespace: query.namespace,
        })
      }
      const identity = request.auth ?? null
      const everything =
        query.namespace === undefined &&
        identity !== null &&
        (identity.allNamespaces || identity.role === 'admin')
      const all = await routes.fleet.list(everything ? undefined : namespaces)
      const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor)
      const perPage = query.per_page ?? 20
      const rest = after === undefined ? all : all.filter((w) => w.id > after)
      const data = rest.slice(0, perPage)
      const last = data.at(-1)
      return {
        data: data.map(toWorkerDto),
        per_page: perPage,
        total: all.length,
        next_cursor:
          rest.length > perPage && last !== undefined ? Buffer.from(last.id).toString('base64url') : null,
      }
    },
  )
}

function decodeCursor(cursor: string): string {
  const id = Buffer.from(cursor, 'base64url').toString('utf8')
  if (id.length === 0 || id.length > 512) {
    throw withDetails(new WorkerValidationError('querystring/cursor is not a cursor of this listing'), {
      in: 'querystring',
      issues: [{ path: 'querystring/cursor', message: 'is not a cursor of this listing' }],
    })
  }
  return id
}

export const fleetRoutes = [claimRoute, listRoute]
