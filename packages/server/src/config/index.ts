/**
 * The server's configuration from environment variables: one TypeBox schema of the variables
 * (`schema.ts`, composed of one part per section: runtime, HTTP, store, auth, rate limit, limits), read by one
 * typed reader (`env-reader.ts`), then assembled section by section (`load.ts`).
 */
export { DEFAULT_JWT_AUDIENCE, DEFAULT_JWT_EXPIRES_IN_MS, DEFAULT_JWT_ISSUER } from './auth.js'
export { ConfigError, type ConfigProblem } from './errors.js'
export {
  DEFAULT_EVENTS_MAX_COUNT,
  DEFAULT_EVENTS_PRUNE_INTERVAL_MS,
  DEFAULT_EVENTS_RETENTION_MS,
  type EventRetentionConfig,
} from './events.js'
export { DEFAULT_PORT } from './http.js'
export {
  DEFAULT_BODY_LIMIT,
  DEFAULT_SSE_IDLE_TIMEOUT_MS,
  DEFAULT_SSE_MAX_STREAMS,
  DEFAULT_SSE_MAX_STREAMS_PER_CLIENT,
  DEFAULT_SSE_STALL_TIMEOUT_MS,
  SMALL_BODY_LIMIT,
} from './limits.js'
export { loadConfig } from './load.js'
export { DEFAULT_RATE_LIMIT_MAX, DEFAULT_RATE_LIMIT_WINDOW_MS } from './rate-limit.js'
export { DEFAULT_SHUTDOWN_TIMEOUT_MS } from './runtime.js'
export { type ServerEnv, ServerEnvSchema, secretVariables } from './schema.js'
export { generateSecret, MIN_JWT_SECRET_LENGTH, weakSecretReason } from './secrets.js'
export { DEFAULT_DATA_DIR, DEFAULT_NAMESPACE, SQLITE_FILE_NAME } from './store.js'
export type {
  AuthConfig,
  CodecBudgetConfig,
  ConfigSource,
  LimitsConfig,
  LoadConfigOptions,
  LogLevel,
  MetricsConfig,
  NodeEnv,
  RateLimitConfig,
  ServerConfig,
  SseLimitsConfig,
  StoreConfig,
} from './types.js'
export type { WebhooksConfig } from './webhooks.js'
