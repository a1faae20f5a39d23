import type { Store } from '@comp-manager/core'
import type { HealthChecks } from './health.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The comp-manager Store registered by `@comp-manager/fastify-store`. */
    compStore: Store
    /**
     * Health checks of the comp-manager plugins, by name; created by the first plugin that registers one.
     * Use `registerHealthCheck` and `runHealthChecks` rather than the map itself.
     */
    compHealthChecks: HealthChecks
  }
}
