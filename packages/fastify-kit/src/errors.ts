/** The one error body of every route: an error handler over core's `toHttpError`, and its schema. */
import { ErrorBodySchema, toHttpError } from '@comp-manager/core'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'

export interface ErrorHandlerOptions {
  /** Show internal messages and stacks of 5xx errors in `details` (never in production). Default false. */
  development?: boolean
}

/** The `retry-after` (seconds) of a 503 `CM_ERR_STORE_UNAVAILABLE` that did not set its own. */
export const STORE_RETRY_AFTER_SECONDS = 5

/**
 * An error handler rendering every error (comp-manager's codes, validation, `@fastify/error`, auth,
 * rate limits, anything unexpected) as the one error body through core's `toHttpError`, with the
 * request id from `request.id`. Logs 5xx at `error` and the rest at `info`, as Fastify's default does.
 * Headers set before the error (`www-authenticate`, `retry-after`) are kept; a 503
 * `CM_ERR_STORE_UNAVAILABLE` without one gets `retry-after: 5` (`STORE_RETRY_AFTER_SECONDS`).
 */
export function createErrorHandler(
  options: ErrorHandlerOptions = {},
): (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => void {
  const development = options.development === true
  return function compManagerErrorHandler(error, request, reply) {
    const { statusCode, body } = toHttpError(error, { requestId: String(request.id), development })
    if (statusCode >= 500) request.log.error({ err: error, code: body.code }, body.message)
    else request.log.info({ err: error, code: body.code }, body.message)
    if (reply.sent || reply.raw.headersSent) return
    if (body.code === 'CM_ERR_STORE_UNAVAILABLE' && !reply.hasHeader('retry-after')) {
      reply.header('retry-after', String(STORE_RETRY_AFTER_SECONDS))
    }
    reply.code(statusCode).type('application/json; charset=utf-8').send(body)
  }
}

/** The error body's schema without its `$id` (inline in every route's responses; OpenAPI-friendly). */
export const ErrorResponseSchema = Type.Object(ErrorBodySchema.properties, {
  additionalProperties: false,
  description: 'The error body of every non-2xx response',
})

/** What each error status of the routes means, as the OpenAPI response's description. */
export const ERROR_DESCRIPTIONS: Readonly<Record<number, string>> = {
  400: 'Invalid input (`CM_ERR_VALIDATION`, `CM_ERR_INVALID_ARGUMENT`…): `details` says where',
  401: 'No credentials, or invalid or expired ones (`CM_ERR_UNAUTHORIZED`)',
  403: "The caller's role does not allow this (`CM_ERR_FORBIDDEN`)",
  404: "Not found, or outside the caller's namespaces (`CM_ERR_NOT_FOUND`)",
  409: 'Conflicts with the current state (`CM_ERR_CONFLICT`, `CM_ERR_DUPLICATE`, `CM_ERR_INVALID_TRANSITION`)',
  413: 'The body or the value is too large (`CM_ERR_MAX_BYTES`, `CM_ERR_VALUE_TOO_LARGE`)',
  429: 'Over the rate limit (`CM_ERR_RATE_LIMITED`): retry after `retry-after` seconds',
  500: 'Unexpected error (`CM_ERR_INTERNAL`): report it with the `requestId`',
  503: 'The store is unavailable (`CM_ERR_STORE_UNAVAILABLE`) or the server is shutting down (`CM_ERR_SHUTTING_DOWN`)',
}

/** The error body's schema described as the response of one status. */
export function errorResponse(status: number): typeof ErrorResponseSchema {
  return Type.Object(ErrorBodySchema.properties, {
    additionalProperties: false,
    description: ERROR_DESCRIPTIONS[status] ?? 'The error body of every non-2xx response',
  })
}

/** `{ [status]: error body }` for each status, to spread into a route's `response`. */
export function errorResponses(...statuses: number[]): Record<number, typeof ErrorResponseSchema> {
  return Object.fromEntries(statuses.map((status) => [status, errorResponse(status)]))
}
