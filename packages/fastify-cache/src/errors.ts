import createError from '@fastify/error'

/**
 * The errors this plugin raises itself, as `@fastify/error` classes. Their `code`s are comp-manager's
 * catalogued codes (`@comp-manager/core`'s `errorCodes`), so the error handler renders the standard body
 * `{ statusCode, code, error, message, requestId, details? }`. Everything else a route can answer
 * (validation, auth, store failures) comes with core's codes through `toHttpError`.
 */

/** 404: no such live entry in the caller's namespaces (absent, expired, or in a namespace the caller may not see). */
export const CacheEntryNotFoundError = createError('CM_ERR_NOT_FOUND', '%s', 404)

/** 400: a request the schema lets through but that makes no sense (invalidate without criteria, `all` combined). */
export const CacheValidationError = createError('CM_ERR_VALIDATION', '%s', 400)

/** The error classes of this plugin, by name; match on `err.code`, not on the message. */
export const errors = {
  CacheEntryNotFoundError,
  CacheValidationError,
} as const
