/**
 * The openapi-fetch middleware of the client. `credentials` is registered once on the client
 * (`client.use`), so `client.raw` calls authenticate too; `callMiddleware` is given to each SDK call
 * (openapi-fetch's per-request `middleware` option), since what it does depends on that call.
 */
import type { Middleware } from 'openapi-fetch'
import { apiErrorFrom, isErrorBody } from './errors.js'
import type { ClientConfig } from './options.js'

/**
 * The credentials a request is sent with: the client's options, or, after `auth.token()`, the token
 * exchanged for its API key (used until `tokenUntilMs`, then the key again).
 */
export type Credentials =
  | ClientConfig['auth']
  | { apiKey: string; exchanged: { token: string; tokenUntilMs: number } }

/**
 * Authenticates every request: `x-api-key`, or `Authorization: Bearer` with the token (a token
 * function is called before each request, so a refreshed token is picked up). Set after the call's own
 * headers: the client's credentials win over an `authorization` header given per call. `current` is
 * read per request, so a token from `auth.token()` is used by the next one.
 */
export function credentials(current: () => Credentials): Middleware {
  return {
    async onRequest({ request }) {
      const auth = current()
      if (auth === undefined) return undefined
      if ('exchanged' in auth && Date.now() < auth.exchanged.tokenUntilMs) {
        request.headers.set('authorization', `Bearer ${auth.exchanged.token}`)
      } else if ('apiKey' in auth) {
        request.headers.set('x-api-key', auth.apiKey)
      } else {
        const { token } = auth
        const value = typeof token === 'function' ? await token() : token
        if (value) request.headers.set('authorization', `Bearer ${value}`)
      }
      return request
    },
  }
}

export interface CallMiddlewareOptions {
  /** Sent as `x-request-id`. */
  requestId?: string | undefined
  /** Error statuses that are an answer for this route (the health report's 503), unless they carry the error body. */
  accept?: readonly number[] | undefined
}

/** The body of an error answer: parsed JSON when it is JSON, the text otherwise, `undefined` when empty. */
async function readBody(response: Response): Promise<unknown> {
  const text = await response.text()
  if (text === '') return undefined
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

/**
 * One SDK call's middleware: its request id on the way out, and on the way back an error status turned
 * into the client's `ApiError` (code, message, request id and details from the standard error body, or a
 * code of the status for a proxy's page), so that SDK methods resolve only with data. `client.raw` does
 * not get it: it returns `{ data, error, response }` without throwing.
 */
export function callMiddleware(options: CallMiddlewareOptions): Middleware {
  const { requestId, accept = [] } = options
  return {
    onRequest({ request }) {
      if (requestId === undefined) return undefined
      request.headers.set('x-request-id', requestId)
      return request
    },
    async onResponse({ request, response }) {
      if (response.ok) return undefined
      if (!accept.includes(response.status))
        throw apiErrorFrom(response, await readBody(response), request.method)
      const body = await readBody(response.clone())
      if (isErrorBody(body)) throw apiErrorFrom(response, body, request.method)
      return undefined
    },
  }
}
