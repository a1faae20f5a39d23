import type { Tracker } from '@comp-manager/tracker'

declare module 'fastify' {
  interface FastifyInstance {
    /** The tracker of `@comp-manager/fastify-tracker` (created on `fastify.compStore`, or the one passed in). */
    tracker: Tracker
  }
}
