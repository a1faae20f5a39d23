import createError from '@fastify/error'

/**
 * Request-time errors. Their `code`s are comp-manager's catalogued codes (`@comp-manager/core`'s
 * `errorCodes`), so comp-manager's error handler renders the standard body
 * `{ statusCode, code, error, message, requestId }`; with Fastify's default handler the `code` and
 * `statusCode` are the same. Messages never contain a token, a key or a cookie.
 */

/** 401: no valid credentials (missing, expired, forged, malformed token or API key). */
export const UnauthorizedError = createError('CM_ERR_UNAUTHORIZED', '%s', 401)

/** 403: the credentials are valid but their role is below the route's. */
export const ForbiddenError = createError('CM_ERR_FORBIDDEN', '%s', 403)

/** The error classes of this plugin, by name; match on `err.code`, not on the message. */
export const errors = {
  UnauthorizedError,
  ForbiddenError,
} as const
