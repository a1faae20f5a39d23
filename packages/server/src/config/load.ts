import { authConfig } from './auth.js'
import { type Env, EnvReport, readEnv } from './env-reader.js'
import { ConfigError } from './errors.js'
import { eventsConfig } from './events.js'
import { httpConfig } from './http.js'
import { limitsConfig } from './limits.js'
import { metricsConfig } from './metrics.js'
import { rateLimitConfig } from './rate-limit.js'
import { runtimeConfig } from './runtime.js'
import { ServerEnvSchema } from './schema.js'
import { storeConfig } from './store.js'
import type { ConfigContext, LoadConfigOptions, ServerConfig } from './types.js'
import { webhooksConfig } from './webhooks.js'

/**
 * Reads and validates the configuration from environment variables (see the README's table, rendered
 * from {@link ServerEnvSchema}). Secrets (`JWT_SECRET`, `MONGODB_URL`, `REDIS_URL`, `API_KEYS`, `METRICS_TOKEN`) may also
 * be given as `<NAME>_FILE`, the path of a file holding the value (Docker/Kubernetes secrets):
 * **`*_FILE` > the variable > the default**.
 *
 * Development defaults need no variable at all (SQLite under `./data`, a generated JWT secret). In
 * production a missing, placeholder or weak `JWT_SECRET` is refused.
 *
 * Throws a {@link ConfigError} listing every bad variable by name.
 */
export function loadConfig(env: Env = process.env, options: LoadConfigOptions = {}): ServerConfig {
  const report = new EnvReport()
  const { values } = readEnv(ServerEnvSchema, env, report)
  const context: ConfigContext = {
    report,
    production: values.NODE_ENV === 'production',
    cwd: options.cwd ?? process.cwd(),
  }
  const runtime = runtimeConfig(values, context)
  const http = httpConfig(values, context)
  const store = storeConfig(values, context)
  const rateLimit = rateLimitConfig(values)
  const auth = authConfig(values, context)
  const { limits } = limitsConfig(values)
  const metrics = metricsConfig(values)
  const { webhooks } = webhooksConfig(values, context)
  const { events } = eventsConfig(values)
  if (report.problems.length > 0) throw new ConfigError(report.problems)
  return {
    env: runtime.env,
    host: http.host,
    port: http.port,
    ...store,
    redisUrl: rateLimit.redisUrl,
    redisChannel: rateLimit.redisChannel,
    auth,
    corsOrigins: http.corsOrigins,
    rateLimit: rateLimit.rateLimit,
    limits,
    metrics,
    logLevel: runtime.logLevel,
    trustProxy: http.trustProxy,
    shutdownTimeoutMs: runtime.shutdownTimeoutMs,
    docs: runtime.docs,
    webhooks,
    events,
    dashboard: runtime.dashboard,
    sources: report.sources,
    warnings: report.warnings,
  }
}
