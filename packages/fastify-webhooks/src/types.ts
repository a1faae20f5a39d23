import type { Webhooks } from './plugin.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** `@comp-manager/fastify-webhooks`: the subscriptions service and this process's dispatcher. */
    webhooks: Webhooks
  }
}

/**
 * `{ [Name]: Webhooks }`, to type the decorator under the name chosen with the `decorator` option:
 * `declare module 'fastify' { interface FastifyInstance extends WebhooksDecorator<'compWebhooks'> {} }`.
 */
export type WebhooksDecorator<Name extends string = 'webhooks'> = { [K in Name]: Webhooks }
