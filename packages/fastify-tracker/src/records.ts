/**
 * Reading and changing one record for the routes: find it in the namespaces the request may see, choose
 * where a new one goes, and change its status through core's run lifecycle (by the tracker for its own
 * namespace, by the lifecycle operations otherwise).
 */
import {
  assertTransition,
  type Computation,
  type ComputationStatus,
  type ComputationStore,
  isCompManagerError,
} from '@comp-manager/core'
import {
  cancelRun,
  isPauseRequested,
  noteRun,
  type RunNotes,
  requestPause,
  transitionRun,
} from '@comp-manager/core/runs'
import { findInNamespaces, withDetails, writeNamespace } from '@comp-manager/fastify-kit'
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
  return findInNamespaces(
    request,
    { defaultNamespace: ctx.defaultNamespace, requested },
    (ns) => ctx.computations.get(ns, id),
    () => notFound(id),
  )
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

/**
 * Moves a record to `status` through core's run lifecycle: by the tracker for its own namespace (so a
 * run of this process is stopped at once), by the lifecycle operation directly otherwise. A pause of a
 * run that is running is a request (the answer is the record still `started`, `pauseRequestedAt` set);
 * a cancel records `message` in the same write.
 */
export async function changeStatus(
  ctx: RecordContext,
  request: FastifyRequest,
  record: Computation,
  status: ComputationStatus,
  message: string | null | undefined,
): Promise<Computation> {
  assertTransition(record.status, status)
  const { tracker, computations } = ctx
  const own = record.namespace === tracker.namespace
  const { namespace, id } = record
  switch (status) {
    case 'paused':
      return own ? tracker.pause(id) : requestPause(computations, namespace, id, { current: record })
    case 'failed': {
      const reason = message ?? 'cancelled over HTTP'
      const note = message === undefined ? {} : { message }
      if (own) return tracker.cancel(id, reason, message)
      return cancelRun(computations, namespace, id, { reason, ...note, current: record })
    }
    case 'started':
      if (record.status !== 'paused')
        return transitionRun(computations, namespace, id, 'started', { current: record })
      if (!own) {
        throw withDetails(
          new ComputationConflictError(
            `computation ${id} can only be resumed by a process that tracks '${record.functionFull}' in namespace ${namespace}`,
          ),
          { id, functionFull: record.functionFull },
        )
      }
      return resumeHere(ctx, request, record)
    default:
      return transitionRun(computations, namespace, id, status, { current: record })
  }
}

/**
 * What a pause did to `record` (the answer of `changeStatus(…, 'paused')`): `paused`, or
 * `pause_requested` while its runner has not stopped it (still `started`, `pauseRequestedAt` set). A run
 * that ended instead (this process's run finished while the pause waited for it) is a 409: the pause
 * did not happen, and the answer must not say it did.
 */
export function pauseOutcome(record: Computation): 'paused' | 'pause_requested' {
  if (record.status === 'paused') return 'paused'
  if (isPauseRequested(record)) return 'pause_requested'
  throw withDetails(
    new ComputationConflictError(
      `computation ${record.id} was not paused: it is '${record.status}' (its function ended before it stopped for the pause)`,
    ),
    { id: record.id, status: record.status, action: 'pause' },
  )
}

/** Sets the message and/or progress of a record (of a run that is not over). */
export function noteRecord(ctx: RecordContext, record: Computation, notes: RunNotes): Promise<Computation> {
  return noteRun(ctx.computations, record.namespace, record.id, notes, { current: record })
}
