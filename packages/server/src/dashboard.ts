import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import type { ServerConfig } from './config.js'

/** Where `buildApp` mounts the dashboard when `config.dashboard` is on. */
export const DASHBOARD_PREFIX = '/dashboard'

/** What `@comp-manager/dashboard` exports (its plugin), as far as the server needs it. */
// biome-ignore lint/suspicious/noExplicitAny: the plugin's options are the dashboard's own.
export type DashboardPlugin = FastifyPluginAsync<any>

/**
 * Loads `@comp-manager/dashboard` (an optional peer: only needed when the dashboard is on). The name
 * is a variable so that the server builds and type-checks without it.
 */
async function loadDashboard(): Promise<DashboardPlugin> {
  const name = '@comp-manager/dashboard'
  try {
    const mod = (await import(name)) as { default: DashboardPlugin }
    return mod.default
  } catch (err) {
    throw new Error(
      '`DASHBOARD_ENABLED` is on but @comp-manager/dashboard cannot be loaded: install it next to ' +
        '@comp-manager/server (npm install @comp-manager/dashboard), or turn the dashboard off',
      { cause: err },
    )
  }
}

/** Mounts the dashboard at `/dashboard` when the configuration asks for it (its API is this server's). */
export async function registerDashboard(
  app: FastifyInstance,
  config: ServerConfig,
  plugin: DashboardPlugin | undefined,
): Promise<void> {
  if (!config.dashboard) return
  const dashboard = plugin ?? (await loadDashboard())
  await app.register(dashboard, { prefix: DASHBOARD_PREFIX, apiBaseUrl: '' })
}
