/**
 * The routes of a held lease: `POST /computations/:id/{heartbeat,complete,fail,release}`. Each starts by
 * checking the lease token (`heldRun`) and changes the run through core's lifecycle or the queue port.
 */
import { type Computation, isCompManagerError, type Progress, type ResultRef } from '@comp-manager/core'
import {
  cancelledError,
  cancelRun,
  endRun,
  notifyQueued,
  patchLiveRun,
  pauseRun,
} from '@comp-manager/core/runs'
import { errorResponses, protect } from '@comp-manager/fastify-kit'
import { ComputationSummaryDtoSchema as SummarySchema } from '@comp-manager/fastify-tracker'
import { backoffDelay } from '@comp-manager/worker'
import { toSummary } from './dto.js'
import { reportedError } from './events.js'
import { checkEncoded, heldRun, leaseLost } from './held.js'
import type { ProtocolRoutes } from './route-types.js'
import {
  CompleteBodySchema,
  FailBodySchema,
  FailResponseSchema,
  HeartbeatBodySchema,
  HeartbeatResponseSchema,
  JobParamsSchema,
  ReleaseBodySchema,
  ReleaseResponseSchema,
} from './schemas.js'

const iso = (ms: number): string => new Date(ms).toISOString()
const DAY_MS = 86_400_000

/** The lease length of a claim, as its record shows it (the claim or the last heartbeat set both). */
const leaseLengthOf = (record: Computation): number =>
  Math.min(DAY_MS, Math.max(1000, (record.leaseUntil ?? 0) - (record.heartbeatAt ?? 0)))

/** A write that lost a race with a recovery, a cancel or a pause: the lease is gone, nothing was written. */
async function orLeaseLost<T>(id: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write()
  } catch (err) {
    if (isCompManagerError(err, 'CM_ERR_CONFLICT') || isCompManagerError(err, 'CM_ERR_INVALID_TRANSITION')) {
      throw leaseLost(id, (err.details?.actual as string | undefined) ?? null, 'the run changed meanwhile')
    }
    throw err
  }
}

function heartbeatRoute(routes: ProtocolRoutes): void {
  const { app, instance, tagged, authErrors, lease } = routes
  app.post(
    '/computations/:id/heartbeat',
    {
      bodyLimit: lease.maxResultBytes + 64 * 1024,
      schema: {
        ...tagged(
          'heartbeatJob',
          'Renew the lease of a job (worker protocol)',
          'Extends the lease by its length, records `progress`/`message` and saves `checkpoint` when given; answers ' +
            'with any pending request: `pause` (save state, then `release` with reason `pause`) or `cancel` (stop). ' +
            '409 `CM_ERR_LEASE_LOST` for a stale, foreign or forged token (nothing changed).',
        ),
        params: JobParamsSchema,
        body: HeartbeatBodySchema,
        response: {
          200: HeartbeatResponseSchema,
          ...errorResponses(400, ...authErrors, 404, 409, 413, 500, 503),
        },
      },
      preHandler: protect(instance, 'worker'),
    },
    async (request) => {
      const { id } = request.params
      const body = request.body
      const { claim, record, cancelled } = await heldRun(lease, request, id, body.leaseToken, {
        allowCancelled: true,
      })
      if (cancelled) return { leaseExpiresAt: null, requested: 'cancel' as const }
      let current = record
      if (body.checkpoint !== undefined) {
        checkEncoded(lease, body.checkpoint, 'body/checkpoint')
        current = await orLeaseLost(id, () =>
          patchLiveRun(
            lease.computations,
            claim.namespace,
            id,
            { checkpoint: body.checkpoint ?? null },
            { current },
          ),
        )
      }
      const progress: Progress | undefined =
        typeof body.progress === 'number' ? { fraction: body.progress } : body.progress
      const renewed = await orLeaseLost(id, () =>
        lease.computations.heartbeat(claim.namespace, id, {
          leaseUntil: Date.now() + leaseLengthOf(current),
          ...(progress === undefined ? {} : { progress }),
          ...(body.message === undefined ? {} : { message: body.message }),
        }),
      )
      void routes.fleet
        .seen(claim.worker)
        .catch((err: unknown) => request.log.warn({ err }, 'fleet refresh failed'))
      return {
        leaseExpiresAt: renewed.leaseUntil === null ? null : iso(renewed.leaseUntil),
        requested: renewed.pauseRequestedAt !== null ? ('pause' as const) : null,
      }
    },
  )
}

function completeRoute(routes: ProtocolRoutes): void {
  const { app, instance, tagged, authErrors, lease, store } = routes
  app.post(
    '/computations/:id/complete',
    {
      bodyLimit: lease.maxResultBytes + 64 * 1024,
      schema: {
        ...tagged(
          'completeJob',
          'Record the result of a job (worker protocol)',
          "Stores `result` (codec-encoded) as the job's cached result and ends the run `finished`. 413 for a result " +
            'over the limit, 400 for one the codec refuses (the lease is kept: report a failure instead). 409 ' +
            '`CM_ERR_LEASE_LOST` for a stale, foreign or forged token (nothing changed).',
        ),
        params: JobParamsSchema,
        body: CompleteBodySchema,
        response: { 200: SummarySchema, ...errorResponses(400, ...authErrors, 404, 409, 413, 500, 503) },
      },
      preHandler: protect(instance, 'worker'),
    },
    async (request) => {
      const { id } = request.params
      const { claim, record } = await heldRun(lease, request, id, request.body.leaseToken)
      const text = checkEncoded(lease, request.body.result, 'body/result')
      const meta = await store.cache.set({
        namespace: record.namespace,
        key: record.hash,
        function: record.function,
        functionFull: record.functionFull,
        version: null,
        algorithm: record.hashAlgorithm,
        args: record.args,
        value: text,
        ttlMs: null,
      })
      const result: ResultRef = { cacheKey: meta.key, namespace: record.namespace, size: meta.size }
      const ended = await orLeaseLost(id, () =>
        endRun(lease.computations, claim.namespace, id, { status: 'finished', result }, { current: record }),
      )
      routes.events.emit('finished', { record: ended })
      return toSummary(ended)
    },
  )
}

function failRoute(routes: ProtocolRoutes): void {
  const { app, instance, tagged, authErrors, lease, queue, options } = routes
  app.post(
    '/computations/:id/fail',
    {
      schema: {
        ...tagged(
          'failJob',
          'Record the failure of a job (worker protocol)',
          'With `retryable: true` and attempts left, this attempt ends `failed` and the next one is queued after the ' +
            'backoff, in one step (`status: "queued"`); otherwise the run ends `failed`. 409 `CM_ERR_LEASE_LOST` for a ' +
            'stale, foreign or forged token (nothing changed).',
        ),
        params: JobParamsSchema,
        body: FailBodySchema,
        response: { 200: FailResponseSchema, ...errorResponses(400, ...authErrors, 404, 409, 413, 500, 503) },
      },
      preHandler: protect(instance, 'worker'),
    },
    async (request) => {
      const { id } = request.params
      const body = request.body
      const { claim, record } = await heldRun(lease, request, id, body.leaseToken)
      const error = {
        name: body.error.name,
        message: body.error.message,
        ...(body.error.stack === undefined ? {} : { stack: body.error.stack }),
      }
      if (body.retryable === true && record.attempt < record.maxAttempts) {
        const runAt = Date.now() + backoffDelay(options.backoff, record.attempt)
        const { failed, next } = await orLeaseLost(id, () =>
          queue.retry(claim.namespace, id, {
            error,
            runAt,
            message: `attempt ${record.attempt} of ${record.maxAttempts} failed; attempt ${record.attempt + 1} at ${iso(runAt)}`,
          }),
        )
        notifyQueued(routes.store)
        routes.events.emit('retrying', { record: failed, next, error: reportedError(error) })
        return {
          status: 'queued' as const,
          next: { id: next.id, attempt: next.attempt, runAt: iso(next.runAt ?? runAt) },
        }
      }
      const ended = await orLeaseLost(id, () =>
        endRun(lease.computations, claim.namespace, id, { status: 'failed', error }, { current: record }),
      )
      routes.events.emit('failed', { record: ended, error: reportedError(error) })
      return { status: 'failed' as const, next: null }
    },
  )
}

function releaseRoute(routes: ProtocolRoutes): void {
  const { app, instance, tagged, authErrors, lease, queue } = routes
  app.post(
    '/computations/:id/release',
    {
      bodyLimit: lease.maxResultBytes + 64 * 1024,
      schema: {
        ...tagged(
          'releaseJob',
          'Give a job back (worker protocol)',
          '`pause`: the run becomes `paused` with `checkpoint` (resumed later by any worker); `cancel`: it ends ' +
            '`failed` (cancelled); `shutdown`: it goes back to `queued` (same attempt, checkpoint kept). 409 ' +
            '`CM_ERR_LEASE_LOST` for a stale, foreign or forged token (nothing changed).',
        ),
        params: JobParamsSchema,
        body: ReleaseBodySchema,
        response: {
          200: ReleaseResponseSchema,
          ...errorResponses(400, ...authErrors, 404, 409, 413, 500, 503),
        },
      },
      preHandler: protect(instance, 'worker'),
    },
    async (request) => {
      const { id } = request.params
      const body = request.body
      const { claim, record } = await heldRun(lease, request, id, body.leaseToken)
      if (body.checkpoint !== undefined) checkEncoded(lease, body.checkpoint, 'body/checkpoint')
      const ns = claim.namespace
      const checkpoint = body.checkpoint === undefined ? {} : { checkpoint: body.checkpoint ?? null }
      switch (body.reason) {
        case 'pause': {
          const saved =
            body.checkpoint === undefined
              ? record
              : await orLeaseLost(id, () =>
                  patchLiveRun(lease.computations, ns, id, checkpoint, { current: record }),
                )
          const paused = await orLeaseLost(id, () => pauseRun(lease.computations, ns, id, { current: saved }))
          routes.events.emit('paused', { record: paused })
          return { status: 'paused' as const }
        }
        case 'cancel': {
          const cancelled = await orLeaseLost(id, () =>
            cancelRun(lease.computations, ns, id, { reason: 'released by its worker', current: record }),
          )
          routes.events.emit('failed', {
            record: cancelled,
            error: reportedError(cancelledError('released by its worker')),
          })
          return { status: 'failed' as const }
        }
        case 'shutdown': {
          const requeued = await orLeaseLost(id, () => queue.requeue(ns, id, 'started', checkpoint))
          notifyQueued(routes.store)
          routes.events.emit('released', { record: requeued })
          return { status: 'queued' as const }
        }
      }
    },
  )
}

export const leaseRoutes = [heartbeatRoute, completeRoute, failRoute, releaseRoute]
