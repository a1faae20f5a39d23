/**
 * The control routes of one computation — `POST /:id/cancel | pause | resume | retry` — and its result,
 * `GET /:id/result`. Every change goes through core's run lifecycle (the tracker's for its own runs, the
 * queue port's `requeue`/`enqueue` for jobs); an impossible one is 409 with the current status in `details`.
 */
import { type Computation, cmError, isCompManagerError, type QueueStore } from '@comp-manager/core'
import { notifyQueued } from '@comp-manager/core/runs'
import { errorResponses, protect, withDetails } from '@comp-manager/fastify-kit'
import { toDto } from './dto.js'
import { ComputationConflictError, ComputationNotFoundError } from './errors.js'
import { changeStatus, find, pauseOutcome } from './records.js'
import { resultPayload } from './result-body.js'
import type { Routes } from './route-types.js'
import {
  CancelBodySchema,
  ComputationDtoSchema,
  IdParamsSchema,
  PauseAnswerSchema,
  RecordQuerySchema,
  ResultSchema,
} from './schemas.js'

type Action = 'cancel' | 'pause' | 'resume' | 'retry'

/** A 409 naming the run's current status: the action does not apply to it. */
function impossible(record: Computation, action: Action, why: string): Error {
  return withDetails(
    new ComputationConflictError(`cannot ${action} computation ${record.id}: it is '${record.status}'${why}`),
    { id: record.id, status: record.status, action },
  )
}

/** Runs `change`; an invalid transition (or a record that changed meanwhile) becomes {@link impossible}. */
async function through(record: Computation, action: Action, change: () => Promise<Computation>) {
  try {
    return await change()
  } catch (err) {
    if (isCompManagerError(err, 'CM_ERR_INVALID_TRANSITION')) throw impossible(record, action, '')
    throw err
  }
}

/** Puts a paused job back in the queue (any worker resumes it), or resumes a paused tracked run here. */
async function resume(routes: Routes, request: Parameters<typeof changeStatus>[1], record: Computation) {
  const queue = routes.ctx.tracker.store.queue
  if (record.status !== 'paused') throw impossible(record, 'resume', ': only a paused run resumes')
  if (queue === undefined || record.worker === null) {
    return changeStatus(routes.ctx, request, record, 'started', undefined)
  }
  const requeued = await queue.requeue(record.namespace, record.id, 'paused')
  notifyQueued(routes.ctx.tracker.store)
  return requeued
}

/** A new attempt of a failed or lost job (same call, same policy). */
async function retry(routes: Routes, record: Computation): Promise<Computation> {
  const queue: QueueStore | undefined = routes.ctx.tracker.store.queue
  if (record.status !== 'failed' && record.status !== 'lost') {
    throw impossible(record, 'retry', ': only a failed or lost run is retried')
  }
  if (queue === undefined) throw impossible(record, 'retry', ': the store has no queue to run it again')
  const latest = await routes.ctx.computations.getByHash(record.namespace, record.hash)
  if (latest !== null && latest.id !== record.id) {
    throw withDetails(
      new ComputationConflictError(
        `cannot retry computation ${record.id}: a later attempt exists (${latest.id}, ${latest.status})`,
      ),
      {
        id: record.id,
        status: record.status,
        action: 'retry',
        latest: { id: latest.id, status: latest.status },
      },
    )
  }
  const { record: next } = await queue.enqueue({
    namespace: record.namespace,
    name: record.name,
    function: record.function,
    functionFull: record.functionFull,
    args: record.args,
    hash: record.hash,
    hashAlgorithm: record.hashAlgorithm,
    priority: record.priority,
    maxAttempts: record.maxAttempts,
    owner: record.owner,
  })
  notifyQueued(routes.ctx.tracker.store)
  return next
}

const DESCRIPTIONS: Record<Action, [string, string]> = {
  cancel: [
    'Cancel a computation',
    'Ends a queued, started or paused run as `failed` with `CM_ERR_CANCELLED` (`reason` as its message); the ' +
      'worker running it is told at its next heartbeat. 409 with `details.status` for a run that is over.',
  ],
  pause: [
    'Pause a computation',
    'Asks a running run to pause. 200 with `outcome: "paused"` when it is paused (nobody held a lease on it, or ' +
      'this server runs it and it stopped). 202 with `outcome: "pause_requested"` when its runner (another process, ' +
      'a worker) is told at its next heartbeat: the run is still `started` with `pauseRequestedAt` set, and it ' +
      'pauses only if its function stops (one that never checks its context finishes instead). 409 with ' +
      '`details.status` when it is not running, or ended before it could stop. A paused run: 200 `paused`.',
  ],
  resume: [
    'Resume a paused computation',
    'A paused job goes back to the queue (`queued`, its checkpoint kept) and any worker with its function resumes ' +
      'it; a paused tracked run is resumed by this server when it tracks the function. 409 otherwise.',
  ],
  retry: [
    'Retry a failed or lost computation',
    'Queues a new attempt (attempt + 1, same arguments, priority and attempts) of a failed or lost job: 201 with ' +
      'the new record and its `location`. 409 with `details.status` when the run is not over, finished, or a later ' +
      'attempt exists.',
  ],
}

function actionRoute(action: Action) {
  return (routes: Routes): void => {
    const { app, instance, tagged, authErrors, ctx } = routes
    const [summary, description] = DESCRIPTIONS[action]
    app.post(
      `/:id/${action}`,
      {
        schema: {
          ...tagged(`${action}Computation`, summary, description),
          params: IdParamsSchema,
          querystring: RecordQuerySchema,
          ...(action === 'cancel' ? { body: CancelBodySchema } : {}),
          response: {
            ...(action === 'retry'
              ? { 201: { ...ComputationDtoSchema, description: 'The new attempt' } }
              : action === 'pause'
                ? {
                    200: { ...PauseAnswerSchema, description: 'Paused' },
                    202: { ...PauseAnswerSchema, description: 'Pause requested: the run is still running' },
                  }
                : { 200: ComputationDtoSchema }),
            // Only cancel takes a body (a reason): only it can be too large.
            ...errorResponses(400, ...authErrors, 404, 409, ...(action === 'cancel' ? [413] : []), 500, 503),
          },
        },
        preHandler: protect(instance, 'operator'),
      },
      async (request, reply) => {
        const record = await find(ctx, request, request.params.id, request.query.namespace)
        switch (action) {
          case 'cancel': {
            const reason = (request.body as { reason?: string } | null)?.reason
            return toDto(
              await through(record, action, () => changeStatus(ctx, request, record, 'failed', reason)),
            )
          }
          case 'pause': {
            // Pausing a paused run answers it as it is (as core's requestPause does).
            const after =
              record.status === 'paused'
                ? record
                : await through(record, action, () => changeStatus(ctx, request, record, 'paused', undefined))
            const outcome = pauseOutcome(after)
            if (outcome === 'pause_requested') reply.code(202)
            return { ...toDto(after), outcome }
          }
          case 'resume':
            return toDto(await through(record, action, () => resume(routes, request, record)))
          case 'retry': {
            const next = await retry(routes, record)
            const base = request.url.split('?')[0]!.replace(/\/[^/]+\/retry\/?$/, '')
            reply.code(201).header('location', `${base}/${encodeURIComponent(next.id)}`)
            return toDto(next)
          }
        }
      },
    )
  }
}

/** `GET /:id/result`: the stored result, codec-encoded, sent as stored (no re-serialization). */
function resultRoute({ app, instance, tagged, authErrors, ctx }: Routes): void {
  app.get(
    '/:id/result',
    {
      schema: {
        ...tagged(
          'getComputationResult',
          'Get the result of a computation',
          "The result in the codec's JSON form, as the worker stored it (over 256 KiB: streamed, chunked). 404 while the run is not finished " +
            '(`details.status`) or when its result is no longer stored; 409 with the error (`details.error`) when ' +
            'it failed or was lost.',
        ),
        params: IdParamsSchema,
        querystring: RecordQuerySchema,
        response: { 200: ResultSchema, ...errorResponses(400, ...authErrors, 404, 409, 500, 503) },
      },
      preHandler: protect(instance, 'viewer'),
    },
    async (request, reply) => {
      const record = await find(ctx, request, request.params.id, request.query.namespace)
      const { id, status } = record
      if (status === 'failed' || status === 'lost') {
        const message = record.error?.message ?? (status === 'lost' ? 'its worker died' : 'it failed')
        throw cmError(
          status === 'lost' ? 'CM_ERR_LOST' : 'CM_ERR_CONFLICT',
          `computation ${id} ${status}: ${message}`,
          {
            details: { id, status, error: record.error },
          },
        )
      }
      if (status !== 'finished') {
        throw withDetails(
          new ComputationNotFoundError(`computation ${id} has no result yet: it is '${status}'`),
          {
            id,
            status,
          },
        )
      }
      const ref = record.result
      if (ref === null) return reply.type('application/json').send('null')
      const entry = await ctx.tracker.store.cache.get(ref.namespace ?? record.namespace, ref.cacheKey)
      if (entry === null) {
        throw withDetails(
          new ComputationNotFoundError(
            `the result of computation ${id} is no longer stored (expired or pruned)`,
          ),
          { id, status, cacheKey: ref.cacheKey },
        )
      }
      return reply.type('application/json').send(resultPayload(entry.value))
    },
  )
}

/** The control and result routes, declared with the other record routes. */
export const controlRoutes: Array<(routes: Routes) => void> = [
  actionRoute('cancel'),
  actionRoute('pause'),
  actionRoute('resume'),
  actionRoute('retry'),
  resultRoute,
]
