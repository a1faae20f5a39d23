/** All of the route kit at once, for the encapsulated context that declares a plugin's routes. */
import { cmError } from '@comp-manager/core'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type {
  FastifyBaseLogger,
  FastifyInstance,
  preHandlerHookHandler,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify'
import { dollarKeyGuard } from './dollar-keys.js'
import { createErrorHandler, type ErrorHandlerOptions } from './errors.js'
import { routeValidatorCompiler } from './validation.js'

/** A plugin's routes context typed by the TypeBox type provider (`instance.withTypeProvider<TypeBoxTypeProvider>()`). */
export type TypeBoxApp = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>

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
 * `$`-key guard and (unless `notFound: false`) a not-found handler for the context's prefix, rate
 * limited when the host registered `@fastify/rate-limit` before the plugin. Nothing reaches the host's app.
 */
export function useRouteKit(fastify: FastifyInstance, options: RouteKitOptions = {}): void {
  fastify.setValidatorCompiler(routeValidatorCompiler)
  fastify.setErrorHandler(createErrorHandler(options))
  fastify.addHook('preValidation', dollarKeyGuard)
  if (options.notFound !== false) {
    // Unknown routes count against the caller's rate limit too, when the host registered
    // `@fastify/rate-limit` (its `rateLimit()` preHandler, with the host's global settings).
    const rateLimit = (fastify as unknown as { rateLimit?: () => preHandlerHookHandler }).rateLimit
    const limited = typeof rateLimit === 'function' ? { preHandler: rateLimit.call(fastify) } : {}
    fastify.setNotFoundHandler(limited, async (request) => {
      throw cmError(
        'CM_ERR_ROUTE_NOT_FOUND',
        `Route ${request.method}:${request.url.split('?')[0]} not found`,
      )
    })
  }
}
