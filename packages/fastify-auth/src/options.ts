import {
  type Duration,
  DurationSchema,
  defineOptions,
  describeValue,
  InstanceSchema,
  isPlainObject,
  NameSchema,
  OneOfSchema,
} from '@comp-manager/core/options'
import { type StaticDecode, type TSchemaOptions, Type } from 'typebox'
import { checkApiKeyEntry, isApiKeyEntryProblem } from './api-keys.js'
import {
  type AuthDecoratorNames,
  DecoratorsSchema,
  type ResolvedDecoratorNames,
  resolveDecorators,
} from './decorators.js'
import type { ClaimNamesResolved } from './identity.js'
import { MAX_SECONDS, SecondsSchema, secondsOf } from './seconds.js'
import { type JwtAlgorithm, jwtAlgorithms, type KeyPair, resolveSecret } from './secret.js'
import type { ApiKeyEntry, ApiKeyLookup } from './types.js'

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
  /** Milliseconds, or a duration such as `'1m'` (passed on as milliseconds). */
  timeWindow: Duration | string
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
  /** Lifetime of issued tokens: seconds, or a duration such as `'15m'`, `'2h'`, `'1d'`. Default `'15m'`. */
  expiresIn?: string | number
  /** Allowed clock skew when checking `exp`/`nbf`: seconds, or a duration such as `'5s'` (0..300 s). Default `5`. */
  clockTolerance?: number | string
  /**
   * Accept development tokens (issued with `issueToken(claims, { development: true })`, which carry the
   * claim `cm_dev: true`). Default: `false` when `NODE_ENV=production`, else `true`.
   */
  acceptDevelopmentTokens?: boolean
  /** Claim names. Default `{ subject: 'sub', role: 'role', namespaces: 'ns' }`. */
  claims?: ClaimNames
  /** Also read the token from an HTTP-only cookie when no `Authorization` header is sent. Default off. */
  cookie?: boolean | CookieOptions
  /** API keys (`cmk_<id>_<secret>`), hashed at rest, or a function looking one up by id. Default none. */
  apiKeys?: ApiKeyEntry[] | ApiKeyLookup
  /** The plugin's own routes, or `false` for none. */
  routes?: AuthRoutesOptions | false
  /** Other names for the decorators (`{ authenticate: 'compAuthenticate' }`). Default: their own names. */
  decorators?: AuthDecoratorNames
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
  acceptDevelopmentTokens: boolean
  claims: ClaimNamesResolved
  cookie: ResolvedCookie | null
  apiKeys: ApiKeyLookup | null
  routes: ResolvedRoutes | null
  decorators: ResolvedDecoratorNames
}

export const DEFAULT_EXPIRES_IN = '15m'
export const DEFAULT_RATE_LIMIT: RouteRateLimit = { max: 10, timeWindow: '1 minute' }

export const PLUGIN_NAME = '@comp-manager/fastify-auth'

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype'])
const RESERVED_CLAIMS = new Set(['exp', 'nbf', 'iat', 'iss', 'aud', 'jti'])
const DEFAULT_CLAIMS: ClaimNamesResolved = { subject: 'sub', role: 'role', namespaces: 'ns' }

const NonEmpty = NameSchema(4096)

const ClaimName = Type.Refine(
  Type.String({ minLength: 1, expected: 'a non-empty claim name' } as TSchemaOptions),
  (name) => !FORBIDDEN_KEYS.has(name) && !RESERVED_CLAIMS.has(name),
  () => 'must be a claim name other than a registered JWT claim (exp, nbf, iat, iss, aud, jti)',
)

const CookieSchema = Type.Object(
  {
    name: Type.Optional(
      Type.String({
        pattern: "^[!#$%&'*+\\-.^_`|~0-9A-Za-z]+$",
        expected: 'a valid cookie name',
      } as TSchemaOptions),
    ),
    secure: Type.Optional(Type.Boolean()),
    sameSite: Type.Optional(OneOfSchema(['lax', 'strict', 'none'])),
    path: Type.Optional(
      Type.String({ pattern: '^/', expected: "a path starting with '/'" } as TSchemaOptions),
    ),
    domain: Type.Optional(NonEmpty),
  },
  { additionalProperties: false },
)

const RateLimitSchema = Type.Union(
  [
    Type.Literal(false),
    Type.Object(
      { max: Type.Integer({ minimum: 1 }), timeWindow: DurationSchema({ max: 86_400_000 * 366 }) },
      { additionalProperties: false },
    ),
  ],
  {
    expected: "false or { max: positive integer, timeWindow: milliseconds or a duration such as '1m' }",
  } as TSchemaOptions,
)

const RoutesSchema = Type.Object(
  {
    prefix: Type.Optional(
      Type.String({
        pattern: '^(?:/.*[^/])?$',
        expected: "'' or a path starting with '/' and not ending with '/'",
      } as TSchemaOptions),
    ),
    token: Type.Optional(Type.Boolean()),
    session: Type.Optional(Type.Boolean()),
    rateLimit: Type.Optional(RateLimitSchema),
  },
  { additionalProperties: false },
)

/** Anything: Fastify's own registration options (`prefix`, `logLevel`…) arrive with ours. */
const FastifyOwn = Type.Optional(Type.Unknown())

/**
 * The options' one schema. `secret` and `apiKeys` are checked in code after it (their rules depend on
 * `algorithms`, and a failure must never echo a secret or a key, as schema messages echo values).
 */
const AuthOptions = defineOptions(
  Type.Object(
    {
      secret: Type.Unknown(),
      algorithms: Type.Optional(
        Type.Refine(
          Type.Array(Type.String(), {
            minItems: 1,
            expected: "a non-empty array of algorithm names, e.g. ['HS256']",
          } as TSchemaOptions),
          (list) => list.every((name) => (jwtAlgorithms as readonly string[]).includes(name)),
          (list) =>
            `lists an unknown or refused algorithm ${JSON.stringify(String((list as unknown[]).find((a) => !(jwtAlgorithms as readonly unknown[]).includes(a)))).slice(0, 20)} (allowed: ${jwtAlgorithms.join(', ')})`,
        ),
      ),
      issuer: Type.Optional(NonEmpty),
      audience: Type.Optional(
        Type.Union([NonEmpty, Type.Array(NonEmpty, { minItems: 1 })], {
          expected: 'a non-empty string or a non-empty array of them',
        } as TSchemaOptions),
      ),
      expiresIn: Type.Optional(
        SecondsSchema(1, MAX_SECONDS, "a number of seconds (≥ 1) or a duration such as '15m', '2h', '1d'"),
      ),
      clockTolerance: Type.Optional(
        SecondsSchema(0, 300, "a number of seconds from 0 to 300 or a duration such as '5s'"),
      ),
      acceptDevelopmentTokens: Type.Optional(Type.Boolean()),
      claims: Type.Optional(
        Type.Object(
          {
            subject: Type.Optional(ClaimName),
            role: Type.Optional(ClaimName),
            namespaces: Type.Optional(ClaimName),
          },
          { additionalProperties: false },
        ),
      ),
      cookie: Type.Optional(CookieSchema),
      apiKeys: Type.Optional(
        InstanceSchema<ApiKeyEntry[] | ApiKeyLookup>(
          (value) =>
            Array.isArray(value) || typeof value === 'function'
              ? undefined
              : 'takes an array of `{ id, hash, role, namespaces }` or a function `(id) => entry | null`',
          'an array of API key entries or a lookup function',
        ),
      ),
      routes: Type.Optional(RoutesSchema),
      decorators: Type.Optional(DecoratorsSchema),
      prefix: FastifyOwn,
      logLevel: FastifyOwn,
      logSerializers: FastifyOwn,
    },
    { additionalProperties: false },
  ),
  { package: PLUGIN_NAME, optional: true },
)

type Parsed = StaticDecode<typeof AuthOptions.schema>

/** Throws the `CM_ERR_INVALID_ARGUMENT` of option `path` (`details: { option, package }`). */
export const optionError: (path: string, problem: string) => never = AuthOptions.fail

/**
 * `cookie: true | false` and `routes: false` are shorthands of the object forms the schema checks
 * (so that a bad `cookie.name` is named `cookie.name`).
 */
function expandShorthands(input: unknown): unknown {
  if (!isPlainObject(input)) return input
  const { cookie, routes } = input
  if (cookie !== undefined && typeof cookie !== 'boolean' && !isPlainObject(cookie)) {
    optionError(
      'cookie',
      `must be true, false or { name?, secure?, sameSite?, path?, domain? } (got ${describeValue(cookie)})`,
    )
  }
  if (routes !== undefined && routes !== false && !isPlainObject(routes)) {
    optionError(
      'routes',
      `must be false or { prefix?, token?, session?, rateLimit? } (got ${describeValue(routes)})`,
    )
  }
  return {
    ...input,
    cookie: cookie === true ? {} : cookie === false ? undefined : cookie,
    routes: routes === false ? undefined : routes,
  }
}

function resolveClaims(claims: Parsed['claims']): ClaimNamesResolved {
  const resolved = { ...DEFAULT_CLAIMS, ...claims }
  if (new Set(Object.values(resolved)).size !== 3) optionError('claims', 'must name three different claims')
  return resolved
}

function resolveCookie(cookie: Parsed['cookie']): ResolvedCookie | null {
  if (cookie === undefined) return null
  const resolved: ResolvedCookie = {
    name: cookie.name ?? 'cm_token',
    secure: cookie.secure ?? true,
    sameSite: (cookie.sameSite as ResolvedCookie['sameSite'] | undefined) ?? 'lax',
    path: cookie.path ?? '/',
    domain: cookie.domain,
  }
  if (resolved.sameSite === 'none' && !resolved.secure) {
    optionError('cookie.sameSite', "'none' requires `secure: true` (browsers drop the cookie otherwise)")
  }
  return resolved
}

function resolveApiKeys(apiKeys: unknown): ApiKeyLookup | null {
  if (apiKeys === undefined) return null
  if (typeof apiKeys === 'function') return apiKeys as ApiKeyLookup
  const byId = new Map<string, ApiKeyEntry>()
  ;(apiKeys as unknown[]).forEach((raw, index) => {
    const entry = checkApiKeyEntry(raw)
    if (isApiKeyEntryProblem(entry)) optionError(`apiKeys[${index}]${entry.field}`, entry.message)
    if (byId.has(entry.id)) optionError(`apiKeys[${index}].id`, `"${entry.id}" is listed twice`)
    byId.set(entry.id, entry)
  })
  return (id) => byId.get(id) ?? null
}

function resolveRoutes(
  routes: Parsed['routes'] | false,
  hasApiKeys: boolean,
  hasCookie: boolean,
): ResolvedRoutes | null {
  if (routes === false) return null
  const token = routes?.token ?? hasApiKeys
  const session = routes?.session ?? hasCookie
  if (token && !hasApiKeys) optionError('routes.token', 'needs `apiKeys`: the route exchanges an API key')
  if (session && !hasCookie) optionError('routes.session', 'needs `cookie`: the route sets the cookie')
  return {
    prefix: routes?.prefix ?? '/auth',
    token,
    session,
    rateLimit: routes?.rateLimit ?? DEFAULT_RATE_LIMIT,
  }
}

/** Validates the options given to `register()`; throws a `CM_ERR_INVALID_ARGUMENT` naming the option. */
export function resolveOptions(input: unknown): ResolvedOptions {
  const o = AuthOptions.parse(expandShorthands(input))
  // Checked: a plain object. The secret and the API keys are read as given (never copied).
  const given = (input ?? {}) as Record<string, unknown>
  const algorithms = (o.algorithms ?? ['HS256']) as JwtAlgorithm[]
  const { canSign, secret } = resolveSecret(given.secret, algorithms, optionError)
  const cookie = resolveCookie(o.cookie)
  const apiKeys = resolveApiKeys(given.apiKeys)
  return {
    secret,
    canSign,
    algorithms: [...algorithms],
    issuer: o.issuer,
    audience: o.audience,
    expiresIn: o.expiresIn ?? secondsOf(DEFAULT_EXPIRES_IN, 1)!,
    clockToleranceMs: (o.clockTolerance ?? 5) * 1000,
    acceptDevelopmentTokens: o.acceptDevelopmentTokens ?? process.env.NODE_ENV !== 'production',
    claims: resolveClaims(o.claims),
    cookie,
    apiKeys,
    routes: resolveRoutes(given.routes === false ? false : o.routes, apiKeys !== null, cookie !== null),
    decorators: resolveDecorators(o.decorators, optionError),
  }
}
