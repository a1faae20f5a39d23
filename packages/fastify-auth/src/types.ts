import type { FastifyReply, FastifyRequest } from 'fastify'

/** The roles, from least to most privileged. */
export const roles = ['viewer', 'operator', 'admin'] as const

/**
 * `viewer` reads; `operator` also creates, updates and invalidates; `admin` also deletes and sees every
 * namespace. Each role includes the rights of the roles before it.
 */
export type Role = (typeof roles)[number]

/** Who made the request, as every comp-manager route plugin reads it from `request.auth`. */
export interface AuthIdentity {
  /** The token's `sub` claim, or the API key's `subject` (default `api-key:<id>`). */
  subject: string
  role: Role
  /** The namespaces this identity may touch (`'*'` removed: see `allNamespaces`). */
  namespaces: string[]
  /** True when the identity may touch every namespace: the token lists `'*'`, or the role is `admin`. */
  allNamespaces: boolean
  /** How the credentials were presented. */
  via: 'jwt' | 'cookie' | 'api-key'
  /** The API key's id, when `via` is `'api-key'`. */
  keyId?: string
}

/** The claims `issueToken()` signs. `namespaces` may contain `'*'` (every namespace). */
export interface TokenClaims {
  sub: string
  role: Role
  namespaces: string[]
}

export interface IssueTokenOptions {
  /** Lifetime: seconds, or a string such as `'15m'`, `'2h'`, `'1d'`. Default: the plugin's `expiresIn`. */
  expiresIn?: string | number
}

/** A preHandler hook that authenticates (and possibly authorizes) the request, or throws a 401/403. */
export type AuthPreHandler = (request: FastifyRequest, reply: FastifyReply) => Promise<void>

/** One configured API key. The plaintext key is never stored: only the SHA-256 hex of the whole key. */
export interface ApiKeyEntry {
  /** The `<id>` part of `cmk_<id>_<secret>`: letters, digits and `-`. */
  id: string
  /** `hashApiKey(key)`: SHA-256 of the whole key, 64 hex characters. */
  hash: string
  role: Role
  /** The namespaces the key may touch; `'*'` for all. */
  namespaces: string[]
  /** The `subject` of the identity; default `api-key:<id>`. */
  subject?: string
}

/** Looks an API key up by id (keys kept in a database or a secret store). `null` when unknown. */
export type ApiKeyLookup = (
  id: string,
) => ApiKeyEntry | null | undefined | Promise<ApiKeyEntry | null | undefined>

/** The contract the comp-manager route plugins rely on; any auth plugin may provide it. */
export interface AuthDecorators {
  /** preHandler: fills `request.auth`, or answers 401 `CM_ERR_UNAUTHORIZED`. */
  authenticate: AuthPreHandler
  /** preHandler factory: authenticates, then answers 403 `CM_ERR_FORBIDDEN` when the role is below `role`. */
  authorize(role: Role): AuthPreHandler
  /** True when `identity` may touch `namespace` (admin, `allNamespaces`, or listed). */
  canAccessNamespace(identity: AuthIdentity | null | undefined, namespace: string): boolean
}

declare module 'fastify' {
  interface FastifyInstance {
    /** preHandler: fills `request.auth`, or answers 401 `CM_ERR_UNAUTHORIZED`. */
    authenticate: AuthPreHandler
    /** preHandler factory: authenticates, then answers 403 `CM_ERR_FORBIDDEN` when the role is below `role`. */
    authorize(role: Role): AuthPreHandler
    /** True when `identity` may touch `namespace` (admin, `allNamespaces`, or listed). */
    canAccessNamespace(identity: AuthIdentity | null | undefined, namespace: string): boolean
    /** Signs a JWT for `claims` with the plugin's secret, issuer, audience and lifetime. */
    issueToken(claims: TokenClaims, opts?: IssueTokenOptions): string
  }
  interface FastifyRequest {
    /** The authenticated identity, or `null` before (or without) authentication. */
    auth: AuthIdentity | null
  }
}
