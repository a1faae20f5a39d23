import { cmError } from '../errors/index.js'

/** Every status a computation can be in. */
export const computationStatuses = ['queued', 'started', 'paused', 'finished', 'failed', 'lost'] as const
export type ComputationStatus = (typeof computationStatuses)[number]

/** Statuses a run can still leave: it holds (or awaits) a lease. */
export const activeStatuses: readonly ComputationStatus[] = ['queued', 'started', 'paused']
/** Statuses a run never leaves. */
export const terminalStatuses: readonly ComputationStatus[] = ['finished', 'failed', 'lost']

/**
 * The state machine: `queued → started → finished | failed`, `started ⇄ paused`,
 * `started | paused → lost` (the lease expired: the process died). `queued → failed` lets a queued
 * record be cancelled before it ever ran. `started | paused → queued` puts a job back in the queue
 * (a draining worker releasing it, a paused run resumable by any worker).
 */
export const allowedTransitions: Readonly<Record<ComputationStatus, readonly ComputationStatus[]>> = {
  queued: ['started', 'failed'],
  started: ['finished', 'failed', 'paused', 'lost', 'queued'],
  paused: ['started', 'failed', 'lost', 'queued'],
  finished: [],
  failed: [],
  lost: [],
}

export function isComputationStatus(value: unknown): value is ComputationStatus {
  return typeof value === 'string' && (computationStatuses as readonly string[]).includes(value)
}

export function isTerminalStatus(status: ComputationStatus): boolean {
  return terminalStatuses.includes(status)
}

export function canTransition(from: ComputationStatus, to: ComputationStatus): boolean {
  return allowedTransitions[from]?.includes(to) ?? false
}

/** Throws `CM_ERR_INVALID_TRANSITION` unless `from → to` is an edge of the state machine. */
export function assertTransition(from: ComputationStatus, to: ComputationStatus): void {
  if (!isComputationStatus(from) || !isComputationStatus(to)) {
    throw cmError('CM_ERR_INVALID_ARGUMENT', `unknown status in transition ${String(from)} → ${String(to)}`, {
      details: { from, to },
    })
  }
  if (!canTransition(from, to)) {
    throw cmError('CM_ERR_INVALID_TRANSITION', `a computation cannot go from '${from}' to '${to}'`, {
      details: { from, to, allowed: allowedTransitions[from] },
    })
  }
}
