import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { CompManagerError } from '@comp-manager/core'
import type { ApiKeyEntry, Role } from '@comp-manager/fastify-auth'

/** `NODE_ENV`: `test` behaves as `development` except for its log level. */
export type NodeEnv = 'development' | 'test' | 'production'
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'

/** Where the Store lives: an SQLite file (the default) or MongoDB. */
export type StoreConfig = { kind: 'sqlite'; path: string } | { kind: 'mongo'; url: string; dbName?: string }

export interface AuthConfig {
  /** HMAC secret of the JWTs (≥ 32 characters). Never logged. */
  secret: string
  /** `true` when no secret was configured and one was generated for this process (development only). */
  generatedSecret: boolean
  issuer: string
  audience: string
  /** Lifetime of issued tokens: seconds, or `'15m'`, `'2h'`… */
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
  /** `null`: authentication disabled (`AUTH_ENABLED=false`). */
  auth: AuthConfig | null
  /** Origins allowed by CORS: a list, `'*'` for any, or `null` for no CORS headers at all. */
  corsOrigins: string[] | '*' | null
  rateLimit: RateLimitConfig
  logLevel: LogLevel
  /** Fastify's `trustProxy`: `false`, `true`, a hop count or a list of addresses/CIDRs. */
  trustProxy: boolean | number | string[]
  /** How long a shutdown waits for in-flight requests and running computations. */
  shutdownTimeoutMs: number
  /** Serve `/docs` (Swagger UI) and `/docs/json`. */
  docs: boolean
  /** Where each variable's value came from (secrets' values are never kept here). */
  sources: Record<string, ConfigSource>
  /** Things worth a warning at start-up (a generated secret, a file overriding a variable…). */
  warnings: string[]
}

/** One problem with one variable. */
export interface ConfigProblem {
  variable: string
  message: string
}

/**
 * The configuration is invalid: the message lists every problem, one line each, starting with the name
 * of the variable; `details.problems` has them as `{ variable, message }`.
 */
export class ConfigError extends CompManagerError {
  readonly problems: ConfigProblem[]

  constructor(problems: ConfigProblem[]) {
    const lines = problems.map((p) => `  - ${p.variable}: ${p.message}`)
    super('CM_ERR_INVALID_ARGUMENT', 500, `Invalid configuration:\n${lines.join('\n')}`, {
      details: { problems, variables: problems.map((p) => p.variable) },
    })
    this.name = 'ConfigError'
    this.problems = problems
  }
}

/** Variables that may hold secrets: each can be given as `<NAME>_FILE`, a path to a file holding it. */
export const secretVariables = ['JWT_SECRET', 'MONGODB_URL', 'REDIS_URL', 'API_KEYS'] as const

export const MIN_JWT_SECRET_LENGTH = 32
export const DEFAULT_PORT = 3000
export const DEFAULT_DATA_DIR = './data'
export const SQLITE_FILE_NAME = 'comp-manager.db'
export const DEFAULT_NAMESPACE = 'default'
export const DEFAULT_RATE_LIMIT_MAX = 300
export const DEFAULT_RATE_LIMIT_WINDOW_MS = 60_000
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000
export const DEFAULT_JWT_ISSUER = 'comp-manager'
export const DEFAULT_JWT_AUDIENCE = 'comp-manager-api'
export const DEFAULT_JWT_EXPIRES_IN = '15m'

/** Placeholders found in sample `.env` files and tutorials; a secret containing one is refused in production. */
const placeholderWords = [
  'changeme',
  'change-me',
  'change_me',
  'changethis',
  'replaceme',
  'replace-me',
  'your-secret',
  'your_secret',
  'yoursecret',
  'supersecret',
  'super-secret',
  'mysecret',
  'my-secret',
  'jwt-secret',
  'jwt_secret',
  'jwtsecret',
  'placeholder',
  'example',
  'insecure',
  'not-secret',
  'notsecret',
  'development',
  'dev-secret',
  'password',
  'secretkey',
  'secret-key',
  'default',
]

const NAMESPACE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/
const API_KEY_ID = /^[A-Za-z0-9-]{1,64}$/
const HASH = /^[0-9a-f]{64}$/
const ROLES: readonly Role[] = ['viewer', 'operator', 'admin']
const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']
const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/
const unitMs: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

const show = (value: string): string => JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value)

/**
 * Why `secret` is too weak to sign tokens in production, or `null` when it is acceptable: shorter than
 * 32 characters, fewer than 10 distinct characters, or containing a placeholder (`changeme`, `secret-key`…).
 */
export function weakSecretReason(secret: string): string | null {
  if (secret.length < MIN_JWT_SECRET_LENGTH) {
    return `must be at least ${MIN_JWT_SECRET_LENGTH} characters (got ${secret.length})`
  }
  if (new Set(secret).size < 10) return 'has fewer than 10 distinct characters: use a random secret'
  const lower = secret.toLowerCase()
  const word = placeholderWords.find((w) => lower.includes(w))
  if (word !== undefined) return `contains the placeholder ${JSON.stringify(word)}: use a random secret`
  if (/^(.{1,16}?)\1+.{0,16}$/s.test(secret)) return 'is a short pattern repeated: use a random secret'
  return null
}

/** Generates a secret suitable for `JWT_SECRET` (48 random bytes, base64url). */
export function generateSecret(): string {
  return randomBytes(48).toString('base64url')
}

function parseBoolean(value: string): boolean | undefined {
  const v = value.trim().toLowerCase()
  if (['1', 'true', 'yes', 'on'].includes(v)) return true
  if (['0', 'false', 'no', 'off'].includes(v)) return false
  return undefined
}

/** Milliseconds from `1500`, `'90s'`, `'15m'`, `'1h'`; `undefined` when malformed. */
export function parseDurationMs(value: string): number | undefined {
  const match = DURATION.exec(value.trim())
  if (match === null) return undefined
  const ms = Number(match[1]) * unitMs[match[2] ?? 'ms']!
  return Number.isFinite(ms) ? Math.round(ms) : undefined
}

function parseOrigin(value: string): string | undefined {
  try {
    const url = new URL(value)
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined
    if (url.origin !== value.replace(/\/$/, '')) return undefined
    return url.origin
  } catch {
    return undefined
  }
}

interface Reader {
  /** The value of a variable, `undefined` when unset or empty. */
  get(name: string): string | undefined
  /** A secret: `<name>_FILE` first, then `<name>`; `undefined` when neither is set. */
  secret(name: string): string | undefined
  problem(variable: string, message: string): void
  source(name: string, source: ConfigSource): void
}

const MALFORMED = Symbol('malformed')

function checkApiKeys(raw: string, variable: string, reader: Reader): ApiKeyEntry[] {
  const entries: unknown[] = []
  const trimmed = raw.trim()
  if (trimmed.startsWith('[')) {
    let parsed: unknown
    try {
      parsed = JSON.parse(trimmed)
    } catch {
      reader.problem(variable, 'is not valid JSON (expected an array of { id, hash, role, namespaces })')
      return []
    }
    if (!Array.isArray(parsed)) {
      reader.problem(variable, 'must be a JSON array of { id, hash, role, namespaces }')
      return []
    }
    entries.push(...parsed)
  } else {
    // Compact form: `id:role:ns1|ns2:hash`, entries separated by commas, spaces or new lines.
    for (const [i, item] of trimmed
      .split(/[\s,]+/)
      .filter(Boolean)
      .entries()) {
      const parts = item.split(':')
      if (parts.length !== 4) {
        reader.problem(
          variable,
          `entry ${i + 1} must be \`id:role:namespaces:sha256hash\` (namespaces separated by |)`,
        )
        entries.push(MALFORMED)
        continue
      }
      const [id, role, namespaces, hash] = parts as [string, string, string, string]
      entries.push({ id, role, namespaces: namespaces.split('|'), hash })
    }
  }
  const keys: ApiKeyEntry[] = []
  const ids = new Set<string>()
  entries.forEach((entry, i) => {
    if (entry === MALFORMED) return
    const where = `entry ${i + 1}`
    if (typeof entry !== 'object' || entry === null) {
      reader.problem(variable, `${where} must be an object`)
      return
    }
    const { id, hash, role, namespaces, subject } = entry as Record<string, unknown>
    if (typeof id !== 'string' || !API_KEY_ID.test(id)) {
      reader.problem(variable, `${where}: id must be 1-64 letters, digits or '-'`)
    } else if (ids.has(id)) {
      reader.problem(variable, `${where}: the id ${JSON.stringify(id)} is listed twice`)
    } else if (typeof hash !== 'string' || !HASH.test(hash)) {
      // Never print the value: it may be a plaintext key pasted by mistake.
      reader.problem(
        variable,
        `${where} (${id}): hash must be the SHA-256 hex of the key (64 lowercase hex characters), not the key itself`,
      )
    } else if (typeof role !== 'string' || !ROLES.includes(role as Role)) {
      reader.problem(variable, `${where} (${id}): role must be one of ${ROLES.join(', ')}`)
    } else if (
      !Array.isArray(namespaces) ||
      namespaces.length === 0 ||
      !namespaces.every((ns) => ns === '*' || (typeof ns === 'string' && NAMESPACE.test(ns)))
    ) {
      reader.problem(variable, `${where} (${id}): namespaces must be a non-empty list of namespaces or '*'`)
    } else if (subject !== undefined && (typeof subject !== 'string' || subject === '')) {
      reader.problem(variable, `${where} (${id}): subject must be a non-empty string`)
    } else {
      ids.add(id)
      keys.push({
        id,
        hash,
        role: role as Role,
        namespaces: namespaces as string[],
        ...(subject === undefined ? {} : { subject: subject as string }),
      })
    }
  })
  return keys
}

export interface LoadConfigOptions {
  /** Directory that relative paths (`COMP_MANAGER_DATA_DIR`) are resolved from. Default `process.cwd()`. */
  cwd?: string
}

/**
 * Reads and validates the configuration from environment variables (see the README's table). Secrets
 * (`JWT_SECRET`, `MONGODB_URL`, `REDIS_URL`, `API_KEYS`) may also be given as `<NAME>_FILE`, the path of a
 * file holding the value (Docker/Kubernetes secrets): **`*_FILE` > the variable > the default**.
 *
 * Development defaults need no variable at all (SQLite under `./data`, a generated JWT secret). In
 * production a missing, placeholder or weak `JWT_SECRET` is refused.
 *
 * Throws a {@link ConfigError} listing every bad variable by name.
 */
export function loadConfig(
  env: Record<string, string | undefined> = process.env,
  options: LoadConfigOptions = {},
): ServerConfig {
  const problems: ConfigProblem[] = []
  const sources: Record<string, ConfigSource> = {}
  const warnings: string[] = []

  const reader: Reader = {
    get(name) {
      const value = env[name]
      if (value === undefined || value.trim() === '') return undefined
      sources[name] = 'env'
      return value.trim()
    },
    secret(name) {
      const file = env[`${name}_FILE`]
      const direct = env[name]
      if (file !== undefined && file.trim() !== '') {
        let content: string
        try {
          content = readFileSync(file.trim(), 'utf8')
        } catch (err) {
          const code = (err as { code?: unknown }).code
          problems.push({
            variable: `${name}_FILE`,
            message: `cannot read ${show(file.trim())} (${typeof code === 'string' ? code : 'error'})`,
          })
          return undefined
        }
        const value = content.replace(/[\r\n]+$/, '')
        if (value.trim() === '') {
          problems.push({ variable: `${name}_FILE`, message: `the file ${show(file.trim())} is empty` })
          return undefined
        }
        if (direct !== undefined && direct.trim() !== '') {
          warnings.push(`${name}_FILE and ${name} are both set: ${name}_FILE wins`)
        }
        sources[name] = 'file'
        return value
      }
      if (direct === undefined || direct.trim() === '') return undefined
      sources[name] = 'env'
      return direct.trim()
    },
    problem(variable, message) {
      problems.push({ variable, message })
    },
    source(name, source) {
      sources[name] = source
    },
  }

  const oneOf = <T extends string>(name: string, allowed: readonly T[], fallback: T): T => {
    const value = reader.get(name)
    if (value === undefined) {
      sources[name] = 'default'
      return fallback
    }
    if (!(allowed as readonly string[]).includes(value)) {
      reader.problem(name, `must be one of ${allowed.join(', ')} (got ${show(value)})`)
      return fallback
    }
    return value as T
  }
  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const value = reader.get(name)
    if (value === undefined) {
      sources[name] = 'default'
      return fallback
    }
    const n = Number(value)
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) {
      reader.problem(name, `must be an integer from ${min} to ${max} (got ${show(value)})`)
      return fallback
    }
    return n
  }
  const boolean = (name: string, fallback: boolean): boolean => {
    const value = reader.get(name)
    if (value === undefined) {
      sources[name] = 'default'
      return fallback
    }
    const parsed = parseBoolean(value)
    if (parsed === undefined) {
      reader.problem(name, `must be true or false (got ${show(value)})`)
      return fallback
    }
    return parsed
  }
  const duration = (name: string, fallback: number, min: number, max: number): number => {
    const value = reader.get(name)
    if (value === undefined) {
      sources[name] = 'default'
      return fallback
    }
    const ms = parseDurationMs(value)
    if (ms === undefined || ms < min || ms > max) {
      reader.problem(
        name,
        `must be a duration from ${min} ms to ${max} ms: milliseconds or a number with ms, s, m, h or d (got ${show(value)})`,
      )
      return fallback
    }
    return ms
  }

  const nodeEnv = oneOf<NodeEnv>('NODE_ENV', ['development', 'test', 'production'], 'development')
  const production = nodeEnv === 'production'

  const port = integer('PORT', DEFAULT_PORT, 0, 65535)
  const host = reader.get('HOST') ?? (production ? '0.0.0.0' : '127.0.0.1')
  if (/\s/.test(host)) reader.problem('HOST', `must be a host name or address (got ${show(host)})`)

  const dataDir = resolve(
    options.cwd ?? process.cwd(),
    reader.get('COMP_MANAGER_DATA_DIR') ?? DEFAULT_DATA_DIR,
  )
  const namespace = reader.get('COMP_MANAGER_NAMESPACE') ?? DEFAULT_NAMESPACE
  if (!NAMESPACE.test(namespace)) {
    reader.problem(
      'COMP_MANAGER_NAMESPACE',
      `must be 1-128 letters, digits, '.', '_', ':' or '-' (got ${show(namespace)})`,
    )
  }

  // Store: MongoDB when MONGODB_URL is set, else the embedded SQLite file.
  let store: StoreConfig = { kind: 'sqlite', path: join(dataDir, SQLITE_FILE_NAME) }
  const mongoUrl = reader.secret('MONGODB_URL')
  if (mongoUrl !== undefined) {
    if (!/^mongodb(\+srv)?:\/\/\S+$/.test(mongoUrl)) {
      // The url may hold a password: name the variable, not the value.
      reader.problem('MONGODB_URL', 'must be a mongodb:// or mongodb+srv:// connection string')
    } else {
      const dbName = reader.get('MONGODB_DB')
      store = { kind: 'mongo', url: mongoUrl, ...(dbName === undefined ? {} : { dbName }) }
    }
  } else if (reader.get('MONGODB_DB') !== undefined) {
    reader.problem('MONGODB_DB', 'is set but MONGODB_URL is not')
  }

  let redisUrl: string | null = null
  const redis = reader.secret('REDIS_URL')
  if (redis !== undefined) {
    if (!/^rediss?:\/\/\S+$/.test(redis)) reader.problem('REDIS_URL', 'must be a redis:// or rediss:// url')
    else redisUrl = redis
  }

  // Authentication.
  const authEnabled = boolean('AUTH_ENABLED', true)
  let auth: AuthConfig | null = null
  const secret = reader.secret('JWT_SECRET')
  const apiKeysRaw = reader.secret('API_KEYS')
  if (authEnabled) {
    let resolvedSecret = secret
    let generatedSecret = false
    if (resolvedSecret === undefined) {
      if (production) {
        reader.problem(
          'JWT_SECRET',
          'is required in production (or JWT_SECRET_FILE): generate one with ' +
            `node -e "console.log(require('node:crypto').randomBytes(48).toString('base64url'))"`,
        )
      } else {
        resolvedSecret = generateSecret()
        generatedSecret = true
        sources.JWT_SECRET = 'generated'
        warnings.push(
          'JWT_SECRET is not set: using a secret generated for this process (tokens do not survive a restart)',
        )
      }
    } else {
      const weak = weakSecretReason(resolvedSecret)
      const variable = sources.JWT_SECRET === 'file' ? 'JWT_SECRET_FILE' : 'JWT_SECRET'
      if (weak !== null && (production || resolvedSecret.length < MIN_JWT_SECRET_LENGTH)) {
        reader.problem(variable, `is too weak${production ? ' for production' : ''}: it ${weak}`)
      } else if (weak !== null) {
        warnings.push(`${variable} would be refused in production: it ${weak}`)
      }
    }
    const expiresRaw = reader.get('JWT_EXPIRES_IN')
    let expiresIn: string | number = DEFAULT_JWT_EXPIRES_IN
    if (expiresRaw !== undefined) {
      const ms = parseDurationMs(expiresRaw)
      if (ms === undefined || ms < 1000 || ms > 30 * 86_400_000) {
        reader.problem(
          'JWT_EXPIRES_IN',
          `must be a duration from 1s to 30d, e.g. 15m or 2h (got ${show(expiresRaw)})`,
        )
      } else expiresIn = Math.floor(ms / 1000)
    }
    const apiKeys =
      apiKeysRaw === undefined
        ? []
        : checkApiKeys(apiKeysRaw, sources.API_KEYS === 'file' ? 'API_KEYS_FILE' : 'API_KEYS', reader)
    auth = {
      secret: resolvedSecret ?? '',
      generatedSecret,
      issuer: reader.get('JWT_ISSUER') ?? DEFAULT_JWT_ISSUER,
      audience: reader.get('JWT_AUDIENCE') ?? DEFAULT_JWT_AUDIENCE,
      expiresIn,
      apiKeys,
    }
  } else {
    if (production) {
      warnings.push(
        'AUTH_ENABLED=false in production: every route is open to anyone who can reach the server',
      )
    }
    if (secret !== undefined) warnings.push('JWT_SECRET is set but AUTH_ENABLED=false: it is not used')
    if (apiKeysRaw !== undefined) warnings.push('API_KEYS is set but AUTH_ENABLED=false: they are not used')
  }

  // CORS.
  let corsOrigins: string[] | '*' | null = null
  const cors = reader.get('CORS_ORIGINS')
  if (cors !== undefined) {
    const items = cors.split(/[\s,]+/).filter(Boolean)
    if (items.includes('*')) {
      if (items.length > 1) reader.problem('CORS_ORIGINS', "'*' cannot be combined with other origins")
      corsOrigins = '*'
    } else {
      const origins: string[] = []
      for (const item of items) {
        const origin = parseOrigin(item)
        if (origin === undefined) {
          reader.problem('CORS_ORIGINS', `${show(item)} is not an origin such as https://app.example.com`)
        } else origins.push(origin)
      }
      corsOrigins = origins
    }
  }

  const rateLimit: RateLimitConfig = {
    max: integer('RATE_LIMIT_MAX', DEFAULT_RATE_LIMIT_MAX, 1, 1_000_000),
    timeWindowMs: duration('RATE_LIMIT_WINDOW', DEFAULT_RATE_LIMIT_WINDOW_MS, 1000, 86_400_000),
  }

  const logLevel = oneOf<LogLevel>('LOG_LEVEL', LOG_LEVELS, nodeEnv === 'test' ? 'warn' : 'info')

  let trustProxy: boolean | number | string[] = false
  const proxy = reader.get('TRUST_PROXY')
  if (proxy !== undefined) {
    const flag = parseBoolean(proxy)
    if (flag !== undefined) trustProxy = flag
    else if (/^\d+$/.test(proxy)) trustProxy = Number(proxy)
    else {
      const list = proxy.split(/[\s,]+/).filter(Boolean)
      if (
        list.every(
          (item) =>
            /^[0-9a-fA-F.:]+(\/\d{1,3})?$/.test(item) ||
            ['loopback', 'linklocal', 'uniquelocal'].includes(item),
        )
      ) {
        trustProxy = list
      } else {
        reader.problem(
          'TRUST_PROXY',
          `must be true, false, a hop count, or addresses/CIDRs separated by commas (got ${show(proxy)})`,
        )
      }
    }
  }

  const shutdownTimeoutMs = duration('SHUTDOWN_TIMEOUT_MS', DEFAULT_SHUTDOWN_TIMEOUT_MS, 0, 600_000)
  const docs = boolean('DOCS_ENABLED', true)

  if (problems.length > 0) throw new ConfigError(problems)

  return {
    env: nodeEnv,
    host,
    port,
    dataDir,
    namespace,
    store,
    redisUrl,
    auth,
    corsOrigins,
    rateLimit,
    logLevel,
    trustProxy,
    shutdownTimeoutMs,
    docs,
    sources,
    warnings,
  }
}
