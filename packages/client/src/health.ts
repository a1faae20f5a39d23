/** `client.health()` and `client.healthDetailed()` (`/health`). */
import type { Core } from './core.js'
import type { CallOptions } from './options.js'
import { routes } from './routes.js'
import type { Health, HealthReport } from './types.js'

export interface HealthApi {
  /** Liveness: `{ status: 'ok' }`. */
  health(options?: CallOptions): Promise<Health>
  /** Each registered check (store ping with latency…). Resolves with the report on 503 too: read `status`. */
  healthDetailed(options?: CallOptions): Promise<HealthReport>
}

/** A failing check is an answer, not an error: no retry on its 503, and no throw. */
const report = { accept: [503], retries: 0 } as const

export function healthApi(core: Core): HealthApi {
  const { api } = core
  return {
    health: async (opts) => core.call(opts, (init) => api.GET(routes.health, { ...init })),
    healthDetailed: async (opts) =>
      core.call<HealthReport>(opts, (init) => api.GET(routes.healthDetailed, { ...init }), report),
  }
}
