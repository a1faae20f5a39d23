/**
 * `@comp-manager/fastify-webhooks`: webhook subscriptions per namespace and their delivery, as a
 * Fastify 5 plugin usable alone in any app that registers `@comp-manager/fastify-store` with a store
 * that has the event log and document ports. Deliveries come from the durable event log, at least
 * once, signed as the Standard Webhooks specification says.
 */
import type { FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'
import { type FastifyWebhooksOptions, PLUGIN_NAME } from './options.js'
import { fastifyWebhooksPlugin } from './plugin.js'
import './types.js'

export { type RetryPolicy, retryDelay } from './backoff.js'
export { type DeliveryOutcome, type DeliveryRequest, deliver } from './deliver.js'
export { Dispatcher, type DispatcherOptions } from './dispatcher.js'
export { errors, SubscriptionNotFoundError, TargetRefusedError } from './errors.js'
export {
  type ConfiguredSubscription,
  DEFAULT_CONCURRENCY,
  DEFAULT_DECORATOR,
  DEFAULT_DISABLE_AFTER_FAILURES,
  DEFAULT_LOG_SIZE,
  DEFAULT_POLL_MS,
  DEFAULT_RETRY,
  DEFAULT_TIMEOUT_MS,
  type FastifyWebhooksOptions,
  PLUGIN_NAME,
} from './options.js'
export { eventBody, messageIdOf } from './payload.js'
export type { Webhooks } from './plugin.js'
export {
  CreateWebhookBodySchema,
  type DeliveryDto,
  DeliveryListSchema,
  DeliverySchema,
  UpdateWebhookBodySchema,
  type WebhookDto,
  WebhookListSchema,
  WebhookSchema,
} from './schemas.js'
export { WebhookService } from './service.js'
export { generateSecret, SECRET_PREFIX, sign, signedHeaders, verify } from './signing.js'
export type { DeliveryLogEntry, DeliveryState, Subscription } from './subscriptions.js'
export {
  checkTarget,
  checkTargetUrl,
  isForbiddenAddress,
  type TargetPolicy,
  type TargetProblem,
} from './targets.js'
export type { WebhooksDecorator } from './types.js'

/**
 * The plugin: `app.register(fastifyWebhooks, { allowPrivateTargets, retry, timeoutMs, … })` after
 * `@comp-manager/fastify-store` (and `@comp-manager/fastify-auth`, to protect the admin routes).
 * Decorates `fastify.webhooks` (or `fastify[decorator]`) and registers the `webhooks` health check.
 */
export const fastifyWebhooks: FastifyPluginAsync<FastifyWebhooksOptions> = fp(fastifyWebhooksPlugin, {
  fastify: '5.x',
  name: PLUGIN_NAME,
  dependencies: ['@comp-manager/fastify-store'],
})

export default fastifyWebhooks
