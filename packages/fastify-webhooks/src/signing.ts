/**
 * Signatures as the Standard Webhooks specification says (https://www.standardwebhooks.com): the
 * headers `webhook-id`, `webhook-timestamp` (seconds) and `webhook-signature: v1,<base64>`, where
 * the signature is HMAC-SHA256, keyed by the bytes of the secret (the base64 after `whsec_`), of
 * `${id}.${timestamp}.${body}`. Receivers can check it with any Standard Webhooks library.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

export const SECRET_PREFIX = 'whsec_'
/** Base64 of 24 to 64 bytes after the prefix. */
export const SECRET_PATTERN = '^whsec_[A-Za-z0-9+/]{32,88}={0,2}$'

/** A new secret: `whsec_` and the base64 of 32 random bytes. */
export function generateSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(32).toString('base64')}`
}

function keyOf(secret: string): Buffer {
  if (!secret.startsWith(SECRET_PREFIX)) throw new Error('a webhook secret starts with whsec_')
  return Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64')
}

/** `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`. */
export function sign(secret: string, id: string, timestamp: number, body: string): string {
  const mac = createHmac('sha256', keyOf(secret)).update(`${id}.${timestamp}.${body}`).digest('base64')
  return `v1,${mac}`
}

/** The three headers of a delivery. */
export function signedHeaders(
  secret: string,
  id: string,
  timestamp: number,
  body: string,
): Record<string, string> {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': sign(secret, id, timestamp, body),
  }
}

/**
 * Checks a delivery as a receiver would: one of the space-separated `v1,` signatures matches, and
 * the timestamp is within `toleranceSec` (default 5 minutes) of `nowSec`.
 */
export function verify(
  secret: string,
  headers: { 'webhook-id'?: unknown; 'webhook-timestamp'?: unknown; 'webhook-signature'?: unknown },
  body: string,
  options: { toleranceSec?: number; nowSec?: number } = {},
): boolean {
  const id = headers['webhook-id']
  const ts = Number(headers['webhook-timestamp'])
  const signatures = headers['webhook-signature']
  if (typeof id !== 'string' || !Number.isInteger(ts) || typeof signatures !== 'string') return false
  const now = options.nowSec ?? Math.floor(Date.now() / 1000)
  if (Math.abs(now - ts) > (options.toleranceSec ?? 300)) return false
  const expected = Buffer.from(sign(secret, id, ts, body).slice(3), 'base64')
  return signatures.split(' ').some((s) => {
    if (!s.startsWith('v1,')) return false
    const given = Buffer.from(s.slice(3), 'base64')
    return given.length === expected.length && timingSafeEqual(given, expected)
  })
}
