import type { Cache } from '@comp-manager/cache'

declare module 'fastify' {
  interface FastifyInstance {
    /** The cache of `@comp-manager/fastify-cache` (created on `fastify.compStore`, or the one passed in). */
    cache: Cache
  }
}
