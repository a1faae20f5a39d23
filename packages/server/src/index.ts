/**
 * `@comp-manager/server`: the composed comp-manager REST server. `loadConfig()` reads and validates the
 * environment; `buildApp(config)` composes the store, auth, tracker and cache plugins with OpenAPI docs,
 * rate limits, health checks, request ids, security headers, CORS, compression and one error shape;
 * `startServer(config)` listens and shuts down gracefully on SIGTERM/SIGINT.
 */
// The decorators of the composed plugins (`fastify.compStore`, `authorize`, `tracker`…) are part of this
// package's types: these imports bring their `declare module 'fastify'` augmentations along. Not
// `fastify.cache` (also @fastify/caching's): `import '@comp-manager/fastify-cache/decorator'` or `cacheOf(app)`.
import '@comp-manager/fastify-auth'
import '@comp-manager/fastify-cache'
import '@comp-manager/fastify-store'
import '@comp-manager/fastify-tracker'
// …and `@fastify/swagger`'s (`tags`, `summary`, `description`, `security` in route schemas).
import '@fastify/swagger'

/** For `comp-manager api-key create`: the key and its hash, as API_KEYS takes it. */
export { generateApiKey } from '@comp-manager/fastify-auth'
/** The app's cache (`fastify.cache`), typed: `cacheOf(app).wrap(…)`. */
export { cacheOf } from '@comp-manager/fastify-cache'
export { API_PREFIX, type BuildAppOptions, buildApp, HEALTH_CHECK_TIMEOUT_MS, version } from './app.js'
export {
  type AuthConfig,
  type CodecBudgetConfig,
  ConfigError,
  type ConfigProblem,
  type ConfigSource,
  DEFAULT_DATA_DIR,
  DEFAULT_EVENTS_MAX_COUNT,
  DEFAULT_EVENTS_PRUNE_INTERVAL_MS,
  DEFAULT_EVENTS_RETENTION_MS,
  DEFAULT_NAMESPACE,
  DEFAULT_PORT,
  DEFAULT_RATE_LIMIT_MAX,
  DEFAULT_RATE_LIMIT_WINDOW_MS,
  DEFAULT_SHUTDOWN_TIMEOUT_MS,
  type EventRetentionConfig,
  generateSecret,
  type LimitsConfig,
  type LoadConfigOptions,
  type LogLevel,
  loadConfig,
  type MetricsConfig,
  MIN_JWT_SECRET_LENGTH,
  type NodeEnv,
  type RateLimitConfig,
  type ServerConfig,
  type ServerEnv,
  ServerEnvSchema,
  SQLITE_FILE_NAME,
  type SseLimitsConfig,
  type StoreConfig,
  secretVariables,
  weakSecretReason,
} from './config.js'
export { DASHBOARD_PREFIX, type DashboardPlugin } from './dashboard.js'
export { DOCS_PREFIX, type DocTag, defaultTags } from './docs.js'
export {
  errors,
  RateLimitedError,
  RouteNotFoundError,
  SHUTTING_DOWN_CODE,
  shuttingDownError,
} from './errors.js'
export { type EventRetention, registerEventRetention } from './event-retention.js'
export { HealthCheckResultSchema, HealthDetailedSchema, HealthSchema } from './health.js'
export { REDIS_KEY_PREFIX, rateLimitKey } from './rate-limit.js'
export { genReqId, REQUEST_ID_HEADER, SANE_REQUEST_ID } from './request-id.js'
export { type Drainable, drainRuns, type ShutdownControl } from './shutdown.js'
export { type StartedServer, type StartServerOptions, startServer } from './start.js'
