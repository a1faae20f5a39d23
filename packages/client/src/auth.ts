/** `client.auth`: exchanging the client's API key for a token (`POST /api/v1/auth/token`). */
import type { Core } from './core.js'
import type { CallOptions } from './options.js'
import { routes } from './routes.js'
import type { IssuedToken } from './types.js'

export interface AuthApi {
  /**
   * Exchanges the client's `apiKey` for a short-lived JWT. From then on the client sends that token
   * (`Authorization: Bearer`) instead of the key, until shortly before the token's `expiresAt`, when it
   * goes back to sending the key (call `token()` again for a fresh token). Never retried.
   * Throws a `TypeError` when the client was created without `apiKey`.
   */
  token(options?: CallOptions): Promise<IssuedToken>
}

/** Before `expiresAt` by this much, the client sends the key again rather than a token about to expire. */
export const TOKEN_EXPIRY_MARGIN_MS = 10_000

export function authApi(core: Core): AuthApi {
  const { api } = core
  return {
    async token(opts) {
      const apiKey = core.apiKey()
      if (apiKey === undefined) {
        throw new TypeError(
          '@comp-manager/client: auth.token() exchanges the API key of the client: create it with `apiKey`',
        )
      }
      const issued = await core.call(opts, (init) => api.POST(routes.authToken, { ...init }), { retries: 0 })
      core.useToken(apiKey, issued.token, Date.parse(issued.expiresAt) - TOKEN_EXPIRY_MARGIN_MS)
      return issued
    },
  }
}
