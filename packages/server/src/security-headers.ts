import type { IncomingMessage, ServerResponse } from 'node:http'
import type { FastifyInstance } from 'fastify'
import helmet, { type HelmetOptions } from 'helmet'

/**
 * The headers `helmet(options)` sets, computed once: helmet's middleware runs against a recording
 * response. Only static options are supported (no per-request CSP nonce functions), which is all the
 * server uses.
 */
export function helmetHeaders(options: Readonly<HelmetOptions>): Record<string, string> {
  const headers: Record<string, string> = {}
  const recorder = {
    setHeader(name: string, value: unknown) {
      headers[name.toLowerCase()] = String(value)
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()]
    },
    getHeader: () => undefined,
  }
  let failure: unknown
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, (err?: unknown) => {
    failure = err
  })
  if (failure !== undefined) throw failure
  return headers
}

/**
 * Security headers on every response: helmet's, with the given options. Why not `@fastify/helmet`: it
 * builds helmet's middleware again on every request (and adds two hooks and a reply decorator), which
 * halves the req/s of a small JSON route; the headers of a static configuration are the same for every
 * response, so they are computed once here and set by one hook. Routes that need another CSP (Swagger
 * UI) replace the header in their own `onSend` hook. With `requestIdHeader`, the same hook echoes the
 * request id under that name (one hook instead of two on every request).
 */
export function registerSecurityHeaders(
  fastify: FastifyInstance,
  options: Readonly<HelmetOptions>,
  requestIdHeader?: string,
): void {
  const headers = helmetHeaders(options)
  fastify.addHook('onRequest', (request, reply, done) => {
    if (requestIdHeader !== undefined) reply.header(requestIdHeader, request.id)
    reply.headers(headers)
    done()
  })
}
