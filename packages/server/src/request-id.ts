import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'

/** The header carrying the request id, in both directions. */
export const REQUEST_ID_HEADER = 'x-request-id'

/**
 * What an incoming `x-request-id` must look like to be reused: 1 to 128 letters, digits, `.`, `_`,
 * `:` or `-` (UUIDs, ULIDs, trace ids, AWS/GCP load-balancer ids). Anything else (spaces, quotes, new
 * lines, a header sent twice) is replaced by a fresh id, so a client cannot forge log lines.
 */
export const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/

/** Fastify's `genReqId`: the client's `x-request-id` when sane, otherwise a random UUID. */
export function genReqId(req: IncomingMessage): string {
  const header = req.headers[REQUEST_ID_HEADER]
  return typeof header === 'string' && SANE_REQUEST_ID.test(header) ? header : randomUUID()
}
