import { type CompManagerError, cmError } from '@comp-manager/core'
import createError from '@fastify/error'

/**
 * 429: the caller went over its rate limit. `retry-after` says in how many seconds it may try again;
 * `details` has the limit and the window.
 */
export const RateLimitedError = createError('CM_ERR_RATE_LIMITED', 'Too many requests: retry in %s', 429)

/** 404: no route matches the method and path (`setNotFoundHandler`). */
export const RouteNotFoundError = createError('CM_ERR_ROUTE_NOT_FOUND', 'Route %s %s not found', 404)

/** Code of {@link shuttingDownError} (in core's catalogue). */
export const SHUTTING_DOWN_CODE = 'CM_ERR_SHUTTING_DOWN'

/**
 * 503: the server is shutting down; the request reached it on a connection that was already open. The
 * response carries `connection: close`: retry it (on another instance).
 */
export function shuttingDownError(): CompManagerError {
  return cmError(SHUTTING_DOWN_CODE, 'The server is shutting down: retry the request')
}

/** The errors this package raises, by name: match on `err.code`. */
export const errors = { RateLimitedError, RouteNotFoundError } as const
