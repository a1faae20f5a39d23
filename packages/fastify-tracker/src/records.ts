/**
 * Reading and changing one record for the routes: find it in the namespaces the request may see, choose
 * where a new one goes, and change its status through the state machine (by the tracker for its own
 * namespace, by compare-and-set otherwise).
 */
import {
  assertTransition,
  type Computation,
  type ComputationPatch,
  type ComputationStatus,
  type ComputationStore,
  type ErrorInfo,
  isCompManagerError,
} from '@comp-manager/core'
import { firstFound, resolveNamespaces, withDetails, writeNamespace } from '@comp-manager/fastify-kit'
import type { Tracker } from '@comp-manager/tracker'
import type { FastifyRequest } from 'fastify'
import { ComputationConflictError, ComputationNotFoundError, ComputationValidationError } from './errors.js'

/** What the record operations work on. */
export interface RecordContext {
  tracker: Tracker
  computations: ComputationStore
  /** The plugin's namespace. */
  defaultNamespace: string
}

/** How many times a compare-and-set change is retried when the record changed under it. */
const CAS_TRIES = 3

/** The 404 of a computation that does not exist (or is outside the caller's namespaces). */
export const notFound = (id: string) =>
  withDetails(new ComputationNotFoundError(`computation ${id} not found`), { id })

/** The record `id` in the namespaces the request may see (the one it asked for, if any), or a 404. */
export async function find(
  ctx: RecordContext,
  request: FastifyRequest,
  id: string,
  requested: string | undefined,
): Promise<Computation> {
  const namespaces = resolveNamespaces(request, { defaultNamespace: ctx.defaultNamespace, requested })
  if (namespaces === null || namespaces.length === 0) throw notFound(id)
  const record = await firstFound(namespaces, (ns) => ctx.computations.get(ns, id))
  if (record === null) throw notFound(id)
  return record
}

/** Where `POST` creates a record: the requested namespace, else the plugin's, else the caller's only one. */
export const namespaceForCreate = (
  ctx: RecordContext,
  request: FastifyRequest,
  requested: string | undefined,
): string =>
  writeNamespace(request, {
    defaultNamespace: ctx.defaultNamespace,
    requested,
    notFound: ComputationNotFoundError,
    invalid: ComputationValidationError,
  })

/**
 * A compare-and-set against the record's current status, re-read and retried when it changed in
 * between; `next(current)` returns the patch for that state (it may throw, e.g. an invalid transition).
 */
export async function compareAndSet(
  ctx: RecordContext,
  record: Computation,
  next: (current: Computation) => ComputationPatch,
): Promise<Computation> {
  let current = record
  for (let tries = 1; ; tries++) {
    const patch = next(current)
    try {
      return await ctx.computations.update(current.namespace, current.id, current.status, patch)
    } catch (err) {
      if (!isCompManagerError(err, 'CM_ERR_CONFLICT') || tries >= CAS_TRIES) throw err
      const fresh = await ctx.computations.get(current.namespace, current.id)
      if (fresh === null) throw notFound(current.id)
      current = fresh
    }
  }
}

/** Resumes a paused run of the tracker in this process; resolves once it is `started` again. */
function resumeHere(ctx: RecordContext, request: FastifyRequest, record: Computation): Promise<Computation> {
  const { tracker } = ctx
  return new Promise<Computation>((resolve, reject) => {
    let settled = false
    const off = tracker.on('resumed', ({ record: resumed }) => {
      if (settled || resumed.id !== record.id) return
      settled = true
      off()
      resolve(resumed)
    })
    tracker.resume(record.id).then(
      () => {
        if (settled) return
        settled = true
        off()
        ctx.computations.get(record.namespace, record.id).then((r) => resolve(r ?? record), reject)
      },
      (err: unknown) => {
        if (settled) {
          // The resumed run ended with an error (paused again, cancelled, failed): recorded by the tracker.
          request.log.debug({ err, id: record.id }, 'a run resumed over HTTP ended with an error')
          return
        }
        settled = true
        off()
        if (isCompManagerError(err, 'CM_ERR_NOT_FOUND') && err.details?.functionFull !== undefined) {
          reject(
            withDetails(
              new ComputationConflictError(
                `computation ${record.id} can only be resumed by a process that tracks '${record.functionFull}'`,
              ),
              { id: record.id, functionFull: record.functionFull },
            ),
          )
        } else reject(err)
      },
    )
  })
}

/** Moves a record to `status`: through the tracker for its own namespace, by compare-and-set otherwise. */
export async function changeStatus(
  ctx: RecordContext,
  request: FastifyRequest,
  record: Computation,
  status: ComputationStatus,
  message: string | null | undefined,
): Promise<Computation> {
  assertTransition(record.status, status)
  const { tracker } = ctx
  const own = record.namespace === tracker.namespace
  switch (status) {
    case 'paused':
      if (own) return tracker.pause(record.id)
      return compareAndSet(ctx, record, (current) => {
        assertTransition(current.status, 'paused')
        return { status: 'paused' }
      })
    case 'failed': {
      const reason = message ?? 'cancelled over HTTP'
      if (own) {
        const cancelled = await tracker.cancel(record.id, reason)
        return message === undefined ? cancelled : compareAndSet(ctx, cancelled, () => ({ message }))
      }
      const error: ErrorInfo = { name: 'CancelledError', message: reason, code: 'CM_ERR_CANCELLED' }
      return compareAndSet(ctx, record, (current) => {
        assertTransition(current.status, 'failed')
        return { status: 'failed', error, ...(message === undefined ? {} : { message }) }
      })
    }
    case 'started':
      if (record.status === 'paused') {
        if (!own) {
          throw withDetails(
            new ComputationConflictError(
              `computation ${record.id} can only be resumed by a process that tracks '${record.functionFull}' in namespace ${record.namespace}`,
            ),
            { id: record.id, functionFull: record.functionFull },
          )
        }
        return resumeHere(ctx, request, record)
      }
      return compareAndSet(ctx, record, (current) => {
        assertTransition(current.status, 'started')
        return { status: 'started' }
      })
    default:
      return compareAndSet(ctx, record, (current) => {
        assertTransition(current.status, status)
        return { status }
      })
  }
}
