/** All of the route kit at once, for the encapsulated context that declares a plugin's routes. */
import { cmError } from '@comp-manager/core'
import type { FastifyInstance } from 'fastify'
import { dollarKeyGuard } from './dollar-keys.js'
import { createErrorHandler, type ErrorHandlerOptions } from './errors.js'
import { routeValidatorCompiler } from './validation.js'

/** Options of {@link useRouteKit}. */
export interface RouteKitOptions extends ErrorHandlerOptions {
  /**
   * Answer unknown routes below the context's prefix with the standard body (404
   * `CM_ERR_ROUTE_NOT_FOUND`) instead of Fastify's default one. Default true.
   */
  notFound?: boolean
}

/**
 * Applies the kit to an encapsulated child context (call it in the function registered without
 * `fastify-plugin` that declares the routes): the validator compiler, the error handler, the
 * `$`-key guard and (unless `notFound: false`) a not-found handler for the context's prefix. Nothing
 * reaches the host's app.
 */
export function useRouteKit(fastify: FastifyInstance, options: RouteKitOptions = {}): void {
  fastify.setValidatorCompiler(routeValidatorCompiler)
  fastify.setErrorHandler(createErrorHandler(options))
  fastify.addHook('preValidation', dollarKeyGuard)
  if (options.notFound !== false) {
    fastify.setNotFoundHandler(async (request) => {
      throw cmError(
        'CM_ERR_ROUTE_NOT_FOUND',
        `Route ${request.method}:${request.url.split('?')[0]} not found`,
      )
    })
  }
}
