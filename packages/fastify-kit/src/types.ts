/**
 * The `fastify.compStore` decorator's type. `@comp-manager/fastify-store` (or any plugin that
 * registers a comp-manager Store) decorates it; the route plugins read it through this declaration
 * without depending on the plugin or on any database.
 */
import type { Store } from '@comp-manager/core'

declare module 'fastify' {
  interface FastifyInstance {
    /** The comp-manager Store, registered by `@comp-manager/fastify-store` (or another store plugin). */
    compStore: Store
  }
}
