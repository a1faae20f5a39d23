/**
 * The auth contract is `@comp-manager/fastify-kit`'s (declared there once, read by every route
 * plugin); this plugin implements it, adds `via` and `keyId` to the identity, and `fastify.issueToken`.
 */
import type { AuthContract, Role } from '@comp-manager/fastify-kit'

export { type AuthIdentity, type AuthPreHandler, type Role, roles } from '@comp-manager/fastify-kit'

declare module '@comp-manager/fastify-kit' {
  interface AuthIdentity {
    /** How the credentials were presented. */
    via: 'jwt' | 'cookie' | 'api-key'
    /** The API key's id, when `via` is `'api-key'`. */
    keyId?: string
  }
}

/** The contract the comp-manager route plugins rely on (`@comp-manager/fastify-kit`'s `AuthContract`). */
export type AuthDecorators = AuthContract

/** The claims `issueToken()` signs. `namespaces` may contain `'*'` (every namespace). */
export interface TokenClaims {
  sub: string
  role: Role
  namespaces: string[]
}

export interface IssueTokenOptions {
  /** Lifetime: seconds, or a duration such as `'15m'`, `'2h'`, `'1d'`. Default: the plugin's `expiresIn`. */
  expiresIn?: string | number
  /**
   * Marks the token as a development token (claim `cm_dev: true`): a server with
   * `acceptDevelopmentTokens: false` (the default in production) refuses it, whatever its signature.
   */
  development?: boolean
}

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

declare module 'fastify' {
  interface FastifyInstance {
    /** Signs a JWT for `claims` with the plugin's secret, issuer, audience and lifetime. */
    issueToken(claims: TokenClaims, opts?: IssueTokenOptions): string
  }
}
