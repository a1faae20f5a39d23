import { type ErrorCode, errorCodes } from '@comp-manager/core'

/**
 * The codes a tracker raises (all `CompManagerError`s from `@comp-manager/core`: match on `err.code`).
 * Each entry says when; the README's "Errors" table is this list.
 */
export const trackerErrors = {
  CM_ERR_INVALID_ARGUMENT:
    'bad options at createTracker(), a bad name/function/option at track() or @tracked()',
  CM_ERR_ALREADY_RUNNING:
    "a live run of the same hash exists and onDuplicate is 'throw', 'rerun' or 'return'",
  CM_ERR_ALREADY_FINISHED: "a finished run of the same hash exists and onDuplicate is 'throw'",
  CM_ERR_LOST: "the run a 'wait' caller waited for was declared lost (its process died)",
  CM_ERR_TIMEOUT: "a 'wait' caller waited longer than timeoutMs",
  CM_ERR_PAUSED:
    'the run was paused: its call rejects with the id in err.details.id; resume(id) continues it',
  CM_ERR_CANCELLED: 'the run was cancelled with cancel(id)',
  CM_ERR_INVALID_TRANSITION:
    'pause/resume/cancel of a run whose status does not allow it (e.g. a finished run)',
  CM_ERR_NOT_FOUND:
    'pause/resume/cancel of an unknown id, or resume of a function not tracked in this process',
  CM_ERR_CONFLICT: 'two processes changed the same run at once (e.g. both resumed it); the loser gets this',
  CM_ERR_STORE_UNAVAILABLE: 'the store is unreachable when a call starts (once it runs, see the error event)',
} as const satisfies Partial<Record<ErrorCode, string>>

export type TrackerErrorCode = keyof typeof trackerErrors

/** `{ code: statusCode }` of every code above (what each maps to over HTTP). */
export const trackerErrorStatus: Record<TrackerErrorCode, number> = Object.fromEntries(
  Object.keys(trackerErrors).map((code) => [code, errorCodes[code as TrackerErrorCode].statusCode]),
) as Record<TrackerErrorCode, number>
