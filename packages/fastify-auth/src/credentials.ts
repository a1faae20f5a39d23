/** Reading and verifying the credentials of a request: a bearer token, an API key, or the cookie. */
import type { FastifyReply, FastifyRequest } from 'fastify'
import {
  API_KEY_PREFIX,
  checkApiKeyEntry,
  isApiKeyEntryProblem,
  parseApiKey,
  verifyApiKey,
} from './api-keys.js'
import { UnauthorizedError } from './errors.js'
import { buildIdentity, identityFromClaims } from './identity.js'
import type { CookieCodec, TokenSigner } from './internals.js'
import { PLUGIN_NAME, type ResolvedOptions } from './options.js'
import type { VerifiedTokenCache } from './token-cache.js'
import { API_KEY_CLAIM, DEVELOPMENT_CLAIM } from './tokens.js'
import type { AuthIdentity, AuthPreHandler } from './types.js'

/** What a presented bearer/cookie token resolved to: the identity and the token's expiry (seconds). */
export interface VerifiedToken {
  identity: AuthIdentity
  token: string
  exp: number
  /** The API key the token was exchanged for (claim `cm_key`), if any. */
  keyId: string | undefined
}

export const AUTHORIZATION_PATTERN = /^([A-Za-z]+) +([^\s]+) *$/

function unauthorized(message: string): Error {
  return new UnauthorizedError(message)
}

/**
 * `iat` and `nbf` against the clock, with the configured skew: a token issued (or valid only) in the
 * future is refused. fast-jwt checks `nbf` but not a future `iat` (an `iat` is optional, as in RFC 7519;
 * every token this plugin issues has one).
 */
function checkTimes(options: ResolvedOptions, payload: Record<string, unknown>): void {
  const latest = (Date.now() + options.clockToleranceMs) / 1000
  const { iat, nbf } = payload
  if (iat !== undefined && (typeof iat !== 'number' || !Number.isFinite(iat))) {
    throw unauthorized('Invalid token claims')
  }
  if (typeof iat === 'number' && iat > latest) throw unauthorized('Token issued in the future')
  if (nbf !== undefined && (typeof nbf !== 'number' || nbf > latest))
    throw unauthorized('Token not yet valid')
}

/** What the credential checks need: the options, the private signer/verifier and the cookie codec. */
export interface CredentialContext {
  options: ResolvedOptions
  signer: TokenSigner
  cookieCodec: CookieCodec | undefined
  /** Tokens that verified (per way they came: a cookie token is not a bearer token). */
  verified: Record<'jwt' | 'cookie', VerifiedTokenCache<VerifiedToken>>
}

/** Verifies a token (throws a 401 `UnauthorizedError`); a token verified before is taken from the cache. */
export function verifyToken(ctx: CredentialContext, token: string, via: 'jwt' | 'cookie'): VerifiedToken {
  const now = Date.now()
  const cache = ctx.verified[via]
  const known = cache.get(token, now)
  if (known !== undefined) return known
  const verified = verifyTokenNow(ctx, token, via)
  cache.set(token, verified, verified.exp * 1000, now)
  return verified
}

function verifyTokenNow(ctx: CredentialContext, token: string, via: 'jwt' | 'cookie'): VerifiedToken {
  let payload: unknown
  try {
    payload = ctx.signer.verify(token)
  } catch (err) {
    // fast-jwt's messages name no part of the token, but ours are shorter and stable.
    const code = (err as { code?: unknown }).code
    throw unauthorized(code === 'FAST_JWT_EXPIRED' ? 'Token expired' : 'Invalid token')
  }
  checkTimes(ctx.options, payload as Record<string, unknown>)
  if (
    (payload as Record<string, unknown>)[DEVELOPMENT_CLAIM] !== undefined &&
    !ctx.options.acceptDevelopmentTokens
  ) {
    throw unauthorized('Development tokens are not accepted by this server')
  }
  const identity = identityFromClaims(payload, ctx.options.claims, via)
  if (identity === null) throw unauthorized('Invalid token claims')
  const keyId = (payload as Record<string, unknown>)[API_KEY_CLAIM]
  if (keyId !== undefined && typeof keyId !== 'string') throw unauthorized('Invalid token claims')
  return { identity, token, exp: (payload as { exp: number }).exp, keyId }
}

/** A token exchanged for an API key is only as good as the key: a removed key revokes its tokens. */
async function verifyTokenAndKey(
  ctx: CredentialContext,
  request: FastifyRequest,
  token: string,
  via: 'jwt' | 'cookie',
): Promise<AuthIdentity> {
  const verified = verifyToken(ctx, token, via)
  if (verified.keyId === undefined) return verified.identity
  const entry = ctx.options.apiKeys === null ? undefined : await apiKeyEntry(ctx, request, verified.keyId)
  if (entry === undefined) throw unauthorized('The API key of this token was revoked')
  return verified.identity
}

/** The bearer token of the request, verified again (for `POST /auth/session`), or `null`. */
export function bearerToken(ctx: CredentialContext, request: FastifyRequest): VerifiedToken | null {
  const match = AUTHORIZATION_PATTERN.exec(request.headers.authorization ?? '')
  return match !== null && match[1]!.toLowerCase() === 'bearer' ? verifyToken(ctx, match[2]!, 'jwt') : null
}

/** The configured (or looked-up) entry of a key, checked; `undefined` when unknown or invalid. */
async function apiKeyEntry(ctx: CredentialContext, request: FastifyRequest, id: string) {
  const found = (await ctx.options.apiKeys!(id)) ?? undefined
  if (found === undefined) return undefined
  const checked = checkApiKeyEntry(found)
  if (!isApiKeyEntryProblem(checked)) return checked
  request.log.error(
    { keyId: id, field: checked.field },
    `${PLUGIN_NAME}: the apiKeys lookup returned an invalid entry (${checked.field} ${checked.message})`,
  )
  return undefined
}

async function identifyApiKey(
  ctx: CredentialContext,
  request: FastifyRequest,
  key: string,
): Promise<AuthIdentity> {
  if (ctx.options.apiKeys === null) throw unauthorized('API keys are not accepted')
  const parsed = parseApiKey(key)
  if (parsed === null) throw unauthorized('Malformed API key')
  const entry = await apiKeyEntry(ctx, request, parsed.id)
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

function readCookie(ctx: CredentialContext, request: FastifyRequest): string | undefined {
  const { cookie } = ctx.options
  const header = request.headers.cookie
  if (cookie === null || typeof header !== 'string' || header === '') return undefined
  const value = ctx.cookieCodec!.parse(header)[cookie.name]
  return value === undefined || value === '' ? undefined : value
}

async function identify(ctx: CredentialContext, request: FastifyRequest): Promise<AuthIdentity> {
  const { authorization } = request.headers
  const apiKeyHeader = request.headers['x-api-key']
  if (authorization !== undefined && apiKeyHeader !== undefined) {
    throw unauthorized('Send one credential: an Authorization header or an x-api-key header, not both')
  }
  if (apiKeyHeader !== undefined) {
    return identifyApiKey(ctx, request, typeof apiKeyHeader === 'string' ? apiKeyHeader.trim() : '')
  }
  if (authorization !== undefined) {
    const match = AUTHORIZATION_PATTERN.exec(authorization)
    if (match === null) {
      throw unauthorized('Malformed Authorization header: expected `Bearer <token or API key>`')
    }
    const scheme = match[1]!.toLowerCase()
    const credential = match[2]!
    // `Bearer` carries either kind: an API key is told by its prefix (a JWT starts with `eyJ`, never
    // `cmk_`). `ApiKey <key>` and `x-api-key` are the older spellings, still accepted.
    if (scheme === 'bearer') {
      return credential.startsWith(API_KEY_PREFIX)
        ? identifyApiKey(ctx, request, credential)
        : verifyTokenAndKey(ctx, request, credential, 'jwt')
    }
    if (scheme === 'apikey') return identifyApiKey(ctx, request, credential)
    throw unauthorized('Unsupported authorization scheme: use `Bearer <token or API key>`')
  }
  const token = readCookie(ctx, request)
  if (token !== undefined) return verifyTokenAndKey(ctx, request, token, 'cookie')
  throw unauthorized('Missing credentials')
}

/** The `authenticate` preHandler: fills `request.auth` once per request, or throws a 401. */
export function createAuthenticate(ctx: CredentialContext): AuthPreHandler {
  return async function authenticate(request: FastifyRequest, reply: FastifyReply) {
    if (request.auth !== null) return
    try {
      request.auth = await identify(ctx, request)
    } catch (err) {
      if (err instanceof UnauthorizedError) reply.header('www-authenticate', 'Bearer')
      throw err
    }
  }
}
