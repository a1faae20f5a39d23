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

/** `{ [status]: ErrorResponseSchema }` for each status, to spread into a route's `response`. */
export function errorResponses(...statuses: number[]): Record<number, typeof ErrorResponseSchema> {
  return Object.fromEntries(statuses.map((status) => [status, ErrorResponseSchema]))
}
