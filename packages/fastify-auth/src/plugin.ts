import { cmError } from '@comp-manager/core'
import { fastifyCookie } from '@fastify/cookie'
import fastifyJwt, { type JWT } from '@fastify/jwt'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { parseApiKey, verifyApiKey } from './api-keys.js'
import { ForbiddenError, UnauthorizedError } from './errors.js'
import { buildIdentity, canAccessNamespace, identityFromClaims, roleAtLeast } from './identity.js'
import {
  checkApiKeyEntry,
  type FastifyAuthOptions,
  isApiKeyEntryProblem,
  isNamespaceOrWildcard,
  isRole,
  parseDuration,
  resolveOptions,
} from './options.js'
import { authRoutes } from './routes.js'
import {
  type AuthIdentity,
  type AuthPreHandler,
  type IssueTokenOptions,
  type Role,
  roles,
  type TokenClaims,
} from './types.js'

export const PLUGIN_NAME = '@comp-manager/fastify-auth'
const JWT_NAMESPACE = 'compManagerAuth'

/** What a presented bearer/cookie token resolved to: the identity and the token's expiry (seconds). */
export interface VerifiedToken {
  identity: AuthIdentity
  token: string
  exp: number
}

/** Cookie parsing and serialization, from @fastify/cookie (typed here so our .d.ts does not pull its augmentation in). */
export interface CookieCodec {
  parse(header: string): Record<string, string | undefined>
  serialize(
    name: string,
    value: string,
    options: {
      httpOnly: boolean
      secure: boolean
      sameSite: 'lax' | 'strict' | 'none'
      path: string
      domain?: string
      maxAge: number
      expires?: Date
    },
  ): string
}

/** The plugin's internals shared with its routes. */
export interface AuthService {
  cookieCodec: CookieCodec | undefined
  issue(claims: TokenClaims, opts?: IssueTokenOptions): { token: string; exp: number }
  /** The bearer token of the request, verified again (for `POST /auth/session`). */
  bearerToken(request: FastifyRequest): VerifiedToken | null
  expiresIn: number
}

const AUTHORIZATION_PATTERN = /^([A-Za-z]+) +([^\s]+) *$/

function unauthorized(message: string): Error {
  return new UnauthorizedError(message)
}

/** The plugin function; `index.ts` wraps it with `fastify-plugin`. */
export async function fastifyAuth(fastify: FastifyInstance, opts: FastifyAuthOptions): Promise<void> {
  for (const name of ['authenticate', 'authorize', 'canAccessNamespace', 'issueToken'] as const) {
    if (fastify.hasDecorator(name)) {
      throw cmError(
        'CM_ERR_INVALID_ARGUMENT',
        `${PLUGIN_NAME}: \`fastify.${name}\` is already decorated: register ${PLUGIN_NAME} (or another auth plugin) once per instance`,
        { details: { decorator: name } },
      )
    }
  }
  if (fastify.hasRequestDecorator('auth')) {
    throw cmError(
      'CM_ERR_INVALID_ARGUMENT',
      `${PLUGIN_NAME}: \`request.auth\` is already decorated: register it once`,
      {
        details: { decorator: 'auth' },
      },
    )
  }
  const options = resolveOptions(opts)
  const { claims, cookie, apiKeys } = options

  // @fastify/jwt (and @fastify/cookie) live in an encapsulated child: their decorators (`fastify.jwt`,
  // `request.user`, `request.cookies`…), hooks and our secret stay private, and a host that uses either
  // plugin itself keeps its own. The jwt `namespace` keeps clear of a host's `fastify.jwt`/`request.user`.
  let jwt: JWT | undefined
  let cookieCodec: CookieCodec | undefined
  await fastify.register(async function compManagerAuthInternals(child) {
    await child.register(fastifyJwt, {
      namespace: JWT_NAMESPACE,
      decoratorName: JWT_NAMESPACE,
      secret: options.secret,
      sign: {
        algorithm: options.algorithms[0],
        expiresIn: options.expiresIn,
        ...(options.issuer === undefined ? {} : { iss: options.issuer }),
        ...(options.audience === undefined ? {} : { aud: options.audience }),
      },
      verify: {
        // Verifying a signature costs ~15 µs, the largest part of an authenticated request: keep the
        // outcome of the last 1000 tokens for up to a minute. fast-jwt still enforces `exp`/`nbf` on
        // every hit (an entry never outlives its token), and the claims are re-checked below.
        cache: 1000,
        cacheTTL: 60_000,
        algorithms: options.algorithms,
        clockTolerance: options.clockToleranceMs,
        // fast-jwt checks `iss`/`aud` only when present: require them when they are configured.
        requiredClaims: [
          'exp',
          ...(options.issuer === undefined ? [] : ['iss']),
          ...(options.audience === undefined ? [] : ['aud']),
        ],
        ...(options.issuer === undefined ? {} : { allowedIss: options.issuer }),
        ...(options.audience === undefined ? {} : { allowedAud: options.audience }),
      },
    })
    jwt = (child.jwt as unknown as Record<string, JWT>)[JWT_NAMESPACE]
    if (cookie !== null) {
      // Reuse the host's @fastify/cookie when it has one; otherwise a private one, without hooks.
      if (!child.hasDecorator('parseCookie')) await child.register(fastifyCookie, { hook: false })
      cookieCodec = { parse: child.parseCookie, serialize: child.serializeCookie }
    }
  })
  const signer = jwt!

  function verifyToken(token: string, via: 'jwt' | 'cookie'): VerifiedToken {
    let payload: unknown
    try {
      payload = signer.verify(token)
    } catch (err) {
      // fast-jwt's messages name no part of the token, but ours are shorter and stable.
      const code = (err as { code?: unknown }).code
      throw unauthorized(code === 'FAST_JWT_EXPIRED' ? 'Token expired' : 'Invalid token')
    }
    const identity = identityFromClaims(payload, claims, via)
    if (identity === null) throw unauthorized('Invalid token claims')
    return { identity, token, exp: (payload as { exp: number }).exp }
  }

  async function identifyApiKey(request: FastifyRequest, key: string): Promise<AuthIdentity> {
    if (apiKeys === null) throw unauthorized('API keys are not accepted')
    const parsed = parseApiKey(key)
    if (parsed === null) throw unauthorized('Malformed API key')
    const found = await apiKeys(parsed.id)
    let entry = found ?? undefined
    if (entry !== undefined) {
      const checked = checkApiKeyEntry(entry)
      if (isApiKeyEntryProblem(checked)) {
        request.log.error(
          { keyId: parsed.id, field: checked.field },
          `${PLUGIN_NAME}: the apiKeys lookup returned an invalid entry (${checked.field} ${checked.message})`,
        )
        entry = undefined
      } else {
        entry = checked
      }
    }
    // Runs a constant-time comparison even for an unknown id.
    if (!verifyApiKey(key, entry?.hash) || entry === undefined) throw unauthorized('Invalid API key')
    return buildIdentity(
      entry.subject ?? `api-key:${entry.id}`,
      entry.role,
      entry.namespaces,
      'api-key',
      entry.id,
    )
  }

  function readCookie(request: FastifyRequest): string | undefined {
    const header = request.headers.cookie
    if (cookie === null || typeof header !== 'string' || header === '') return undefined
    const value = cookieCodec!.parse(header)[cookie.name]
    return value === undefined || value === '' ? undefined : value
  }

  async function identify(request: FastifyRequest): Promise<AuthIdentity> {
    const { authorization } = request.headers
    const apiKeyHeader = request.headers['x-api-key']
    if (authorization !== undefined && apiKeyHeader !== undefined) {
      throw unauthorized('Send one credential: an Authorization header or an x-api-key header, not both')
    }
    if (apiKeyHeader !== undefined) {
      return identifyApiKey(request, typeof apiKeyHeader === 'string' ? apiKeyHeader.trim() : '')
    }
    if (authorization !== undefined) {
      const match = AUTHORIZATION_PATTERN.exec(authorization)
      if (match === null) throw unauthorized('Malformed Authorization header: expected `Bearer <token>`')
      const scheme = match[1]!.toLowerCase()
      if (scheme === 'bearer') return verifyToken(match[2]!, 'jwt').identity
      if (scheme === 'apikey') return identifyApiKey(request, match[2]!)
      throw unauthorized('Unsupported authorization scheme: use `Bearer <token>`')
    }
    const token = readCookie(request)
    if (token !== undefined) return verifyToken(token, 'cookie').identity
    throw unauthorized('Missing credentials')
  }

  const authenticate: AuthPreHandler = async function authenticate(
    request: FastifyRequest,
    reply: FastifyReply,
  ) {
    if (request.auth !== null) return
    try {
      request.auth = await identify(request)
    } catch (err) {
      if (err instanceof UnauthorizedError) reply.header('www-authenticate', 'Bearer')
      throw err
    }
  }

  const authorizers = new Map<Role, AuthPreHandler>()
  for (const required of roles) {
    authorizers.set(required, async function authorize(request: FastifyRequest, reply: FastifyReply) {
      await authenticate(request, reply)
      if (!roleAtLeast(request.auth!.role, required)) {
        throw new ForbiddenError(`This route needs the ${required} role`)
      }
    })
  }

  function authorize(role: Role): AuthPreHandler {
    if (!isRole(role)) {
      throw cmError(
        'CM_ERR_INVALID_ARGUMENT',
        `fastify.authorize(role): role must be one of ${roles.join(', ')} (got ${JSON.stringify(String(role)).slice(0, 40)})`,
      )
    }
    return authorizers.get(role)!
  }

  function issue(
    tokenClaims: TokenClaims,
    issueOpts: IssueTokenOptions = {},
  ): { token: string; exp: number } {
    if (!options.canSign) {
      throw cmError(
        'CM_ERR_INVALID_ARGUMENT',
        `${PLUGIN_NAME}: cannot issue tokens without \`secret.private\``,
      )
    }
    if (tokenClaims === null || typeof tokenClaims !== 'object') {
      throw cmError(
        'CM_ERR_INVALID_ARGUMENT',
        'issueToken(claims): claims must be `{ sub, role, namespaces }`',
      )
    }
    const { sub, role, namespaces } = tokenClaims
    if (typeof sub !== 'string' || sub === '') {
      throw cmError('CM_ERR_INVALID_ARGUMENT', 'issueToken(claims): `sub` must be a non-empty string')
    }
    if (!isRole(role)) {
      throw cmError(
        'CM_ERR_INVALID_ARGUMENT',
        `issueToken(claims): \`role\` must be one of ${roles.join(', ')}`,
      )
    }
    if (!Array.isArray(namespaces) || !namespaces.every(isNamespaceOrWildcard)) {
      throw cmError(
        'CM_ERR_INVALID_ARGUMENT',
        "issueToken(claims): `namespaces` must be an array of namespaces or '*'",
      )
    }
    let expiresIn = options.expiresIn
    if (issueOpts.expiresIn !== undefined) {
      const parsed = parseDuration(issueOpts.expiresIn)
      if (parsed === undefined || parsed < 1) {
        throw cmError(
          'CM_ERR_INVALID_ARGUMENT',
          "issueToken(opts): `expiresIn` must be seconds (≥ 1) or a duration such as '15m'",
        )
      }
      expiresIn = parsed
    }
    const payload: Record<string, unknown> = {}
    payload[claims.subject] = sub
    payload[claims.role] = role
    payload[claims.namespaces] = [...namespaces]
    const token =
      issueOpts.expiresIn === undefined ? signer.sign(payload) : signer.sign(payload, { expiresIn })
    return { token, exp: signer.decode<{ exp: number }>(token)!.exp }
  }

  fastify.decorateRequest('auth', null)
  fastify.decorate('authenticate', authenticate)
  fastify.decorate('authorize', authorize)
  fastify.decorate('canAccessNamespace', canAccessNamespace)
  fastify.decorate(
    'issueToken',
    (tokenClaims: TokenClaims, issueOpts?: IssueTokenOptions) => issue(tokenClaims, issueOpts).token,
  )

  if (options.routes !== null && (options.routes.token || options.routes.session)) {
    const service: AuthService = {
      issue,
      expiresIn: options.expiresIn,
      cookieCodec,
      bearerToken(request) {
        const match = AUTHORIZATION_PATTERN.exec(request.headers.authorization ?? '')
        return match !== null && match[1]!.toLowerCase() === 'bearer' ? verifyToken(match[2]!, 'jwt') : null
      },
    }
    await fastify.register(authRoutes, {
      prefix: options.routes.prefix,
      routes: options.routes,
      cookie,
      service,
    })
  }
}
