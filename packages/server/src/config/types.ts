import type { ApiKeyEntry } from '@comp-manager/fastify-auth'
import type { EnvReport } from './env-reader.js'
import type { EventRetentionConfig } from './events.js'
import type { WebhooksConfig } from './webhooks.js'

/** The values of `NODE_ENV`. */
export const NODE_ENVS = ['development', 'test', 'production'] as const
/** `NODE_ENV`: `test` behaves as `development` except for its log level. */
export type NodeEnv = (typeof NODE_ENVS)[number]

/** The values of `LOG_LEVEL` (pino's levels). */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

/** Where the Store lives: an SQLite file (the default) or MongoDB. */
/** MongoDB connection settings from the environment (`MONGODB_*`). */
export interface MongoConnectionSettings {
  /** `MongoClientOptions`: pool size, timeouts, TLS files. */
  clientOptions: Record<string, unknown>
  operationTimeoutMs: number
}

export type StoreConfig =
  | { kind: 'sqlite'; path: string }
  | ({ kind: 'mongo'; url: string; dbName?: string } & MongoConnectionSettings)

export interface AuthConfig {
  /** HMAC secret of the JWTs (≥ 32 characters). Never logged. */
  secret: string
  /** `true` when no secret was configured and one was generated for this process (development only). */
  generatedSecret: boolean
  issuer: string
  audience: string
  /** Lifetime of issued tokens: seconds (what `loadConfig` sets), or `'15m'`, `'2h'`… */
  expiresIn: string | number
  /** API keys (hashed) for services. */
  apiKeys: ApiKeyEntry[]
}

export interface RateLimitConfig {
  /** Requests per window and per caller (identity, API key, or IP). */
  max: number
  /** Length of the window in milliseconds. */
  timeWindowMs: number
}

/** The codec's decoding budgets for request `args` (core's `CodecLimits` without `maxBytes`). */
export interface CodecBudgetConfig {
  maxBigIntDigits: number
  maxStringLength: number
  maxBinaryBytes: number
  maxEntries: number
  maxNodes: number
  maxDepth: number
}

/** Caps and timeouts of the event streams (`@comp-manager/fastify-tracker`'s `sse` options). */
export interface SseLimitsConfig {
  maxStreams: number
  maxStreamsPerClient: number
  idleTimeoutMs: number
  stallTimeoutMs: number
}

/** The per-request and per-client budgets (`BODY_LIMIT`, `CODEC_*`, `SSE_*`). */
export interface LimitsConfig {
  /** Largest request body in bytes (Fastify's `bodyLimit`; routes with small bodies take less). */
  bodyLimit: number
  codec: CodecBudgetConfig
  sse: SseLimitsConfig
}

/** `GET /metrics` (`METRICS_TOKEN`, `METRICS_PORT`, `METRICS_HOST`). */
export interface MetricsConfig {
  /** The scrapers' bearer token; `null`: none (a separate port only). */
  token: string | null
  /** Serve it on a server of its own on this port; `null`: on the app, under `/metrics`. */
  port: number | null
  host: string
}

/** Where one setting came from. */
export type ConfigSource = 'file' | 'env' | 'default' | 'generated'

/** The server's configuration: what {@link loadConfig} returns and {@link buildApp} takes. */
export interface ServerConfig {
  env: NodeEnv
  host: string
  port: number
  /** Absolute directory of the embedded SQLite file (`COMP_MANAGER_DATA_DIR`). */
  dataDir: string
  /** The namespace of the server's own tracker (computations created over HTTP default to it). */
  namespace: string
  store: StoreConfig
  /** Redis for rate limits shared by every instance; `null`: in-memory, per instance. */
  redisUrl: string | null
  /**
   * With `redisUrl`: prefix of the channel the cache publishes its deletes and invalidations on
   * (`REDIS_CHANNEL`, + the namespace), for the L1 of every process on it. Default `'comp-manager:cache:'`.
   */
  redisChannel?: string
  /** `null`: authentication disabled (`AUTH_ENABLED=false`). */
  auth: AuthConfig | null
  /** Origins allowed by CORS: a list, `'*'` for any, or `null` for no CORS headers at all. */
  corsOrigins: string[] | '*' | null
  rateLimit: RateLimitConfig
  /** Body, codec and event-stream budgets. */
  limits: LimitsConfig
  /** `GET /metrics` and its protection; absent or `null`: not served. */
  metrics?: MetricsConfig | null
  logLevel: LogLevel
  /** Fastify's `trustProxy`: `false`, `true`, a hop count or a list of addresses/CIDRs. */
  trustProxy: boolean | number | string[]
  /** How long a shutdown waits for in-flight requests and running computations. */
  shutdownTimeoutMs: number
  /** Serve `/docs` (Swagger UI) and `/docs/json`. */
  docs: boolean
  /**
   * The periodic prune of the store's event log (`EVENTS_*`); absent: the defaults (7 days, 1,000,000
   * events, every 10 minutes); `null`: never pruned by this instance.
   */
  events?: EventRetentionConfig | null
  /** Webhook subscriptions and their delivery (`WEBHOOKS_*`); absent: the defaults (enabled, no private targets). */
  webhooks?: WebhooksConfig
  /** Serve the web dashboard (`@comp-manager/dashboard`) at `/dashboard`. */
  dashboard: boolean
  /** Where each variable's value came from (secrets' values are never kept here). */
  sources: Record<string, ConfigSource>
  /** Things worth a warning at start-up (a generated secret, a file overriding a variable…). */
  warnings: string[]
}

export interface LoadConfigOptions {
  /** Directory that relative paths (`COMP_MANAGER_DATA_DIR`) are resolved from. Default `process.cwd()`. */
  cwd?: string
}

/** What a section of the configuration gets besides its variables (internal). */
export interface ConfigContext {
  /** Collects the problems, warnings and sources. */
  readonly report: EnvReport
  readonly production: boolean
  /** Directory relative paths are resolved from. */
  readonly cwd: string
}
