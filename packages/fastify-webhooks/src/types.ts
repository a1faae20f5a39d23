import type { Webhooks } from './plugin.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** `@comp-manager/fastify-webhooks`: the subscriptions service and this process's dispatcher. */
    webhooks: Webhooks
  }
}
