import createError from '@fastify/error'

/**
 * The errors this plugin raises itself, as `@fastify/error` classes with comp-manager's catalogued
 * codes, so the error handler renders the standard body `{ statusCode, code, error, message, requestId,
 * details? }`. Validation, auth, codec and store errors come with core's codes through `toHttpError`.
 */

/** 404: no such computation in the caller's namespaces (or a namespace the caller may not see). */
export const JobNotFoundError = createError('CM_ERR_NOT_FOUND', '%s', 404)

/** 409: the lease token is stale, foreign or forged; nothing was changed. */
export const LeaseLostError = createError('CM_ERR_LEASE_LOST', '%s', 409)

/** 400: a request the schema lets through but that makes no sense. */
export const WorkerValidationError = createError('CM_ERR_VALIDATION', '%s', 400)

/** The error classes of this plugin, by name; match on `err.code`, not on the message. */
export const errors = { JobNotFoundError, LeaseLostError, WorkerValidationError } as const
