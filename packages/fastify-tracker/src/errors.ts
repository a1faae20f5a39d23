import createError from '@fastify/error'

/**
 * The errors this plugin raises itself, as `@fastify/error` classes. Their `code`s are comp-manager's
 * catalogued codes (`@comp-manager/core`'s `errorCodes`), so the error handler renders the standard body
 * `{ statusCode, code, error, message, requestId, details? }`. Everything else a route can answer
 * (validation, auth, invalid transitions, store failures) comes with core's codes through `toHttpError`.
 */

/** 404: no such computation in the caller's namespaces (or a namespace the caller may not see). */
export const ComputationNotFoundError = createError('CM_ERR_NOT_FOUND', '%s', 404)

/** 409: `POST /computations` for a hash that already has a run in the namespace. */
export const DuplicateComputationError = createError('CM_ERR_DUPLICATE', '%s', 409)

/** 409: the change needs a process that can act on the run (resume here, delete a live run). */
export const ComputationConflictError = createError('CM_ERR_CONFLICT', '%s', 409)

/** 400: a request the schema lets through but that makes no sense (e.g. `args` not an argument list). */
export const ComputationValidationError = createError('CM_ERR_VALIDATION', '%s', 400)

/** The error classes of this plugin, by name; match on `err.code`, not on the message. */
export const errors = {
  ComputationNotFoundError,
  DuplicateComputationError,
  ComputationConflictError,
  ComputationValidationError,
} as const
