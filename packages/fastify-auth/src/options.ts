import { createPrivateKey, createPublicKey } from 'node:crypto'
import { type CompManagerError, cmError } from '@comp-manager/core'
import { API_KEY_ID_PATTERN, API_KEY_PREFIX, isApiKeyHash } from './api-keys.js'
import { type ApiKeyEntry, type ApiKeyLookup, type Role, roles } from './types.js'

/** The JWT algorithms the allow-list may name. `none` is never accepted. */
export const jwtAlgorithms = [
  'HS256',
  'HS384',
  'HS512',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
] as const
export type JwtAlgorithm = (typeof jwtAlgorithms)[number]

/** A PEM key pair for the asymmetric algorithms. Without `private`, the plugin only verifies tokens. */
export interface KeyPair {
  public: string | Buffer
  private?: string | Buffer
}

export interface CookieOptions {
  /** Cookie name. Default `'cm_token'`. */
  name?: string
  /** `Secure` attribute. Default `true`; set `false` only for local development over plain HTTP. */
  secure?: boolean
  /** `SameSite` attribute. Default `'lax'`; `'none'` requires `secure`. */
  sameSite?: 'lax' | 'strict' | 'none'
  /** `Path` attribute. Default `'/'`. */
  path?: string
  /** `Domain` attribute. Default: none (host-only cookie). */
  domain?: string
}

/** The names of the claims carrying the identity. */
export interface ClaimNames {
  /** Default `'sub'`. */
  subject?: string
  /** Default `'role'`. */
  role?: string
  /** Default `'ns'`: an array of namespaces, `'*'` for all. */
  namespaces?: string
}

/** Per-route rate limit, read by `@fastify/rate-limit` when the server registers it. */
export interface RouteRateLimit {
  max: number
  timeWindow: string | number
}

export interface AuthRoutesOptions {
  /** Prefix of the plugin's routes, below any prefix the plugin is registered under. Default `'/auth'`. */
  prefix?: string
  /** `POST <prefix>/token` (API key → JWT). Default: on when `apiKeys` is set. */
  token?: boolean
  /** `POST`/`DELETE <prefix>/session` (set/clear the cookie). Default: on when `cookie` is set. */
  session?: boolean
  /** `config.rateLimit` of the token and session routes. Default `{ max: 10, timeWindow: '1 minute' }`. */
  rateLimit?: RouteRateLimit | false
}

export interface FastifyAuthOptions {
  /** HMAC secret (at least 32 characters or bytes), or a PEM key pair for the RS/PS/ES/EdDSA algorithms. */
  secret: string | Buffer | KeyPair
  /** Accepted algorithms; the first one signs. Default `['HS256']`. */
  algorithms?: JwtAlgorithm[]
  /** When set: issued tokens carry it as `iss`, and tokens without it are refused. */
  issuer?: string
  /** When set: issued tokens carry it as `aud`, and tokens for no listed audience are refused. */
  audience?: string | string[]
  /** Lifetime of issued tokens: seconds, or `'15m'`, `'2h'`, `'1d'`… Default `'15m'`. */
  expiresIn?: string | number
  /** Allowed clock skew when checking `exp`/`nbf`, in seconds (0..300). Default `5`. */
  clockTolerance?: number
  /** Claim names. Default `{ subject: 'sub', role: 'role', namespaces: 'ns' }`. */
  claims?: ClaimNames
  /** Also read the token from an HTTP-only cookie when no `Authorization` header is sent. Default off. */
  cookie?: boolean | CookieOptions
  /** API keys (`cmk_<id>_<secret>`), hashed at rest, or a function looking one up by id. Default none. */
  apiKeys?: ApiKeyEntry[] | ApiKeyLookup
  /** The plugin's own routes, or `false` for none. */
  routes?: AuthRoutesOptions | false
}

export interface ResolvedCookie {
  name: string
  secure: boolean
  sameSite: 'lax' | 'strict' | 'none'
  path: string
  domain: string | undefined
}

export interface ResolvedRoutes {
  prefix: string
  token: boolean
  session: boolean
  rateLimit: RouteRateLimit | false
}

export interface ResolvedOptions {
  secret: string | Buffer | KeyPair
  canSign: boolean
  algorithms: JwtAlgorithm[]
  issuer: string | undefined
  audience: string | string[] | undefined
  expiresIn: number
  clockToleranceMs: number
  claims: Required<ClaimNames>
  cookie: ResolvedCookie | null
  apiKeys: ApiKeyLookup | null
  routes: ResolvedRoutes | null
}

export const MIN_SECRET_LENGTH = 32
export const DEFAULT_EXPIRES_IN = '15m'
export const DEFAULT_RATE_LIMIT: RouteRateLimit = { max: 10, timeWindow: '1 minute' }

const NAMESPACE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype'])
const RESERVED_CLAIMS = new Set(['exp', 'nbf', 'iat', 'iss', 'aud', 'jti'])
const COOKIE_NAME_PATTERN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
const KNOWN_OPTIONS = new Set([
  'secret',
  'algorithms',
  'issuer',
  'audience',
  'expiresIn',
  'clockTolerance',
  'claims',
  'cookie',
  'apiKeys',
  'routes',
])

const UNIT_SECONDS: Record<string, number> = {
  s: 1,
  sec: 1,
  secs: 1,
  second: 1,
  seconds: 1,
  m: 60,
  min: 60,
  mins: 60,
  minute: 60,
  minutes: 60,
  h: 3600,
  hr: 3600,
  hrs: 3600,
  hour: 3600,
  hours: 3600,
  d: 86400,
  day: 86400,
  days: 86400,
}

function optionError(option: string, message: string): CompManagerError {
  return cmError('CM_ERR_INVALID_ARGUMENT', `@comp-manager/fastify-auth: option \`${option}\` ${message}`, {
    details: { option },
  })
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (roles as readonly string[]).includes(value)
}

/** A namespace as core's `NamespaceSchema` defines it, or `'*'` (all namespaces). */
export function isNamespaceOrWildcard(value: unknown): value is string {
  return (
    typeof value === 'string' && (value === '*' || (value.length <= 128 && NAMESPACE_PATTERN.test(value)))
  )
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

/** Seconds from a number of seconds or a string such as `'15m'`; `undefined` when invalid. */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value > 0 ? value : undefined
  if (typeof value !== 'string') return undefined
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*$/i.exec(value)
  const unit = match ? UNIT_SECONDS[match[2]!.toLowerCase()] : undefined
  if (!match || unit === undefined) return undefined
  const seconds = Number(match[1]) * unit
  return seconds > 0 ? seconds : undefined
}

function algorithmFamily(algorithm: JwtAlgorithm): 'hmac' | 'rsa' | 'ec' | 'ed' {
  if (algorithm.startsWith('HS')) return 'hmac'
  if (algorithm.startsWith('RS') || algorithm.startsWith('PS')) return 'rsa'
  if (algorithm.startsWith('ES')) return 'ec'
  return 'ed'
}

function resolveSecret(secret: unknown, family: ReturnType<typeof algorithmFamily>): boolean {
  if (secret === undefined || secret === null || secret === '') {
    throw optionError('secret', `is required (at least ${MIN_SECRET_LENGTH} characters)`)
  }
  if (family === 'hmac') {
    if (typeof secret === 'string') {
      if (secret.length < MIN_SECRET_LENGTH) {
        throw optionError('secret', `must be at least ${MIN_SECRET_LENGTH} characters (got ${secret.length})`)
      }
      return true
    }
    if (Buffer.isBuffer(secret)) {
      if (secret.length < MIN_SECRET_LENGTH) {
        throw optionError('secret', `must be at least ${MIN_SECRET_LENGTH} bytes (got ${secret.length})`)
      }
      return true
    }
    throw optionError('secret', 'must be a string or a Buffer for the HS* algorithms')
  }
  if (!isPlainObject(secret) || secret.public === undefined) {
    throw optionError(
      'secret',
      'must be a key pair `{ public, private? }` (PEM) for the RS/PS/ES/EdDSA algorithms',
    )
  }
  try {
    createPublicKey(secret.public as string | Buffer)
  } catch {
    throw optionError('secret', '`public` is not a valid PEM public key')
  }
  if (secret.private === undefined) return false
  try {
    createPrivateKey(secret.private as string | Buffer)
  } catch {
    throw optionError('secret', '`private` is not a valid PEM private key')
  }
  return true
}

function resolveClaims(value: unknown): Required<ClaimNames> {
  if (value === undefined) return { subject: 'sub', role: 'role', namespaces: 'ns' }
  if (!isPlainObject(value))
    throw optionError('claims', 'must be an object `{ subject?, role?, namespaces? }`')
  const claims = { subject: 'sub', role: 'role', namespaces: 'ns' }
  for (const key of Object.keys(value)) {
    if (!(key in claims))
      throw optionError(`claims.${key}`, 'is not a known option (subject, role, namespaces)')
    const name = value[key]
    if (typeof name !== 'string' || name === '' || FORBIDDEN_KEYS.has(name) || RESERVED_CLAIMS.has(name)) {
      throw optionError(`claims.${key}`, 'must be a non-empty claim name other than a registered JWT claim')
    }
    claims[key as keyof typeof claims] = name
  }
  if (new Set(Object.values(claims)).size !== 3)
    throw optionError('claims', 'must name three different claims')
  return claims
}

function resolveCookie(value: unknown): ResolvedCookie | null {
  if (value === undefined || value === false) return null
  const cookie: ResolvedCookie = {
    name: 'cm_token',
    secure: true,
    sameSite: 'lax',
    path: '/',
    domain: undefined,
  }
  if (value === true) return cookie
  if (!isPlainObject(value))
    throw optionError('cookie', 'must be `true` or `{ name?, secure?, sameSite?, path?, domain? }`')
  for (const key of Object.keys(value)) {
    if (!(key in cookie))
      throw optionError(`cookie.${key}`, 'is not a known option (name, secure, sameSite, path, domain)')
  }
  if (value.name !== undefined) {
    if (typeof value.name !== 'string' || !COOKIE_NAME_PATTERN.test(value.name)) {
      throw optionError('cookie.name', 'must be a valid cookie name')
    }
    cookie.name = value.name
  }
  if (value.secure !== undefined) {
    if (typeof value.secure !== 'boolean') throw optionError('cookie.secure', 'must be a boolean')
    cookie.secure = value.secure
  }
  if (value.sameSite !== undefined) {
    if (value.sameSite !== 'lax' && value.sameSite !== 'strict' && value.sameSite !== 'none') {
      throw optionError('cookie.sameSite', "must be 'lax', 'strict' or 'none'")
    }
    cookie.sameSite = value.sameSite
  }
  if (cookie.sameSite === 'none' && !cookie.secure) {
    throw optionError(
      'cookie.sameSite',
      "'none' requires `secure: true` (browsers drop the cookie otherwise)",
    )
  }
  if (value.path !== undefined) {
    if (typeof value.path !== 'string' || !value.path.startsWith('/')) {
      throw optionError('cookie.path', "must be a path starting with '/'")
    }
    cookie.path = value.path
  }
  if (value.domain !== undefined) {
    if (typeof value.domain !== 'string' || value.domain === '') {
      throw optionError('cookie.domain', 'must be a non-empty string')
    }
    cookie.domain = value.domain
  }
  return cookie
}

/** Why an API key entry is invalid: the field (`''` for the whole entry) and what is wrong. */
export interface ApiKeyEntryProblem {
  field: string
  message: string
}

/**
 * Checks one API key entry; returns it normalized (a copy, hash lower-cased), or the problem.
 * Problems never contain the hash.
 */
export function checkApiKeyEntry(entry: unknown): ApiKeyEntry | ApiKeyEntryProblem {
  const problem = (field: string, message: string): ApiKeyEntryProblem => ({ field, message })
  if (!isPlainObject(entry)) return problem('', 'must be an object `{ id, hash, role, namespaces }`')
  if (Object.hasOwn(entry, 'key') || Object.hasOwn(entry, 'secret')) {
    return problem('', 'must not hold the plaintext key: store `hash: hashApiKey(key)` instead')
  }
  if (typeof entry.id !== 'string' || !API_KEY_ID_PATTERN.test(entry.id)) {
    return problem('.id', 'must be 1 to 64 letters, digits or `-`')
  }
  if (!isApiKeyHash(entry.hash)) {
    return problem(
      '.hash',
      typeof entry.hash === 'string' && entry.hash.startsWith(API_KEY_PREFIX)
        ? 'looks like a plaintext key: store `hashApiKey(key)` instead'
        : 'must be the SHA-256 hex digest of the key (64 hex characters, see `hashApiKey`)',
    )
  }
  if (!isRole(entry.role)) {
    return problem(
      '.role',
      `must be one of ${roles.join(', ')} (got ${JSON.stringify(String(entry.role)).slice(0, 40)})`,
    )
  }
  if (!Array.isArray(entry.namespaces) || !entry.namespaces.every(isNamespaceOrWildcard)) {
    return problem(
      '.namespaces',
      "must be an array of namespaces (letters, digits, `.`, `_`, `:`, `-`) or '*'",
    )
  }
  if (entry.subject !== undefined && (typeof entry.subject !== 'string' || entry.subject === '')) {
    return problem('.subject', 'must be a non-empty string')
  }
  const normalized: ApiKeyEntry = {
    id: entry.id,
    hash: entry.hash.toLowerCase(),
    role: entry.role,
    namespaces: [...(entry.namespaces as string[])],
  }
  if (entry.subject !== undefined) normalized.subject = entry.subject as string
  return normalized
}

export function isApiKeyEntryProblem(value: ApiKeyEntry | ApiKeyEntryProblem): value is ApiKeyEntryProblem {
  return 'message' in value
}

function resolveApiKeys(value: unknown): ApiKeyLookup | null {
  if (value === undefined) return null
  if (typeof value === 'function') return value as ApiKeyLookup
  if (!Array.isArray(value)) {
    throw optionError(
      'apiKeys',
      'must be an array of `{ id, hash, role, namespaces }` or a function `(id) => entry | null`',
    )
  }
  const byId = new Map<string, ApiKeyEntry>()
  value.forEach((raw, index) => {
    const entry = checkApiKeyEntry(raw)
    if (isApiKeyEntryProblem(entry)) throw optionError(`apiKeys[${index}]${entry.field}`, entry.message)
    if (byId.has(entry.id)) throw optionError(`apiKeys[${index}].id`, `"${entry.id}" is listed twice`)
    byId.set(entry.id, entry)
  })
  return (id) => byId.get(id) ?? null
}

function resolveRateLimit(value: unknown): RouteRateLimit | false {
  if (value === undefined) return DEFAULT_RATE_LIMIT
  if (value === false) return false
  if (
    !isPlainObject(value) ||
    typeof value.max !== 'number' ||
    !Number.isInteger(value.max) ||
    value.max < 1 ||
    (typeof value.timeWindow !== 'number' && typeof value.timeWindow !== 'string')
  ) {
    throw optionError('routes.rateLimit', 'must be `false` or `{ max: positive integer, timeWindow }`')
  }
  return { max: value.max, timeWindow: value.timeWindow }
}

function resolveRoutes(value: unknown, hasApiKeys: boolean, hasCookie: boolean): ResolvedRoutes | null {
  if (value === false) return null
  if (value !== undefined && !isPlainObject(value)) {
    throw optionError('routes', 'must be `false` or `{ prefix?, token?, session?, rateLimit? }`')
  }
  const routes = value ?? {}
  for (const key of Object.keys(routes)) {
    if (!['prefix', 'token', 'session', 'rateLimit'].includes(key)) {
      throw optionError(`routes.${key}`, 'is not a known option (prefix, token, session, rateLimit)')
    }
  }
  const prefix = routes.prefix ?? '/auth'
  if (typeof prefix !== 'string' || (prefix !== '' && (!prefix.startsWith('/') || prefix.endsWith('/')))) {
    throw optionError('routes.prefix', "must be '' or a path starting with '/' and not ending with '/'")
  }
  for (const key of ['token', 'session'] as const) {
    if (routes[key] !== undefined && typeof routes[key] !== 'boolean') {
      throw optionError(`routes.${key}`, 'must be a boolean')
    }
  }
  const token = (routes.token as boolean | undefined) ?? hasApiKeys
  const session = (routes.session as boolean | undefined) ?? hasCookie
  if (token && !hasApiKeys)
    throw optionError('routes.token', 'needs `apiKeys`: the route exchanges an API key')
  if (session && !hasCookie) throw optionError('routes.session', 'needs `cookie`: the route sets the cookie')
  return { prefix, token, session, rateLimit: resolveRateLimit(routes.rateLimit) }
}

/** Validates the options given to `register()`; throws a `CM_ERR_INVALID_ARGUMENT` naming the option. */
export function resolveOptions(input: unknown): ResolvedOptions {
  if (!isPlainObject(input)) throw optionError('secret', 'is required: register the plugin with `{ secret }`')
  for (const key of Object.keys(input)) {
    // Fastify's own registration options (prefix, logLevel…) arrive here too: ignore only those.
    if (!KNOWN_OPTIONS.has(key) && !['prefix', 'logLevel', 'logSerializers'].includes(key)) {
      throw optionError(key, `is not a known option (${[...KNOWN_OPTIONS].join(', ')})`)
    }
  }

  const algorithms = input.algorithms ?? ['HS256']
  if (!Array.isArray(algorithms) || algorithms.length === 0) {
    throw optionError('algorithms', "must be a non-empty array, e.g. `['HS256']`")
  }
  for (const algorithm of algorithms) {
    if (!(jwtAlgorithms as readonly unknown[]).includes(algorithm)) {
      throw optionError(
        'algorithms',
        `lists an unknown or refused algorithm ${JSON.stringify(String(algorithm)).slice(0, 20)} (allowed: ${jwtAlgorithms.join(', ')})`,
      )
    }
  }
  const families = new Set((algorithms as JwtAlgorithm[]).map(algorithmFamily))
  if (families.size > 1) {
    throw optionError(
      'algorithms',
      'must not mix key families (HMAC, RSA, EC, EdDSA): one key verifies them all',
    )
  }
  const canSign = resolveSecret(input.secret, algorithmFamily(algorithms[0] as JwtAlgorithm))

  if (input.issuer !== undefined && (typeof input.issuer !== 'string' || input.issuer === '')) {
    throw optionError('issuer', 'must be a non-empty string')
  }
  const audience = input.audience
  if (
    audience !== undefined &&
    !(typeof audience === 'string' && audience !== '') &&
    !(
      Array.isArray(audience) &&
      audience.length > 0 &&
      audience.every((a) => typeof a === 'string' && a !== '')
    )
  ) {
    throw optionError('audience', 'must be a non-empty string or a non-empty array of them')
  }

  const expiresIn = parseDuration(input.expiresIn ?? DEFAULT_EXPIRES_IN)
  if (expiresIn === undefined || expiresIn < 1) {
    throw optionError(
      'expiresIn',
      "must be a number of seconds (≥ 1) or a duration such as '15m', '2h', '1d'",
    )
  }
  const clockTolerance = input.clockTolerance ?? 5
  if (
    typeof clockTolerance !== 'number' ||
    !Number.isFinite(clockTolerance) ||
    clockTolerance < 0 ||
    clockTolerance > 300
  ) {
    throw optionError('clockTolerance', 'must be a number of seconds between 0 and 300')
  }

  const cookie = resolveCookie(input.cookie)
  const apiKeys = resolveApiKeys(input.apiKeys)
  return {
    secret: input.secret as string | Buffer | KeyPair,
    canSign,
    algorithms: [...(algorithms as JwtAlgorithm[])],
    issuer: input.issuer as string | undefined,
    audience: audience as string | string[] | undefined,
    expiresIn,
    clockToleranceMs: clockTolerance * 1000,
    claims: resolveClaims(input.claims),
    cookie,
    apiKeys,
    routes: resolveRoutes(input.routes, apiKeys !== null, cookie !== null),
  }
}
