import type { Tracker } from '@comp-manager/tracker'

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * The tracker of `@comp-manager/fastify-tracker` (created on `fastify.compStore`, or the one passed
     * in), under the default `decorator`; with another name, see {@link TrackerDecorator} and `trackerOf`.
     */
    tracker: Tracker
  }
}

/**
 * `{ [Name]: Tracker }`, to type the decorator under the name chosen with the `decorator` option:
 * `declare module 'fastify' { interface FastifyInstance extends TrackerDecorator<'compTracker'> {} }`.
 */
export type TrackerDecorator<Name extends string = 'tracker'> = { [K in Name]: Tracker }
