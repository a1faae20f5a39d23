import { createHash, createHmac, timingSafeEqual } from 'node:crypto'
import { cmError } from '../errors/index.js'

/**
 * Keyset cursors of the listings: the sort key of the last row of a page (its sort value, then the
 * tie-breakers), bound to the query that produced it and signed. A cursor is opaque to callers:
 * `base64url(JSON payload) "." base64url(HMAC-SHA256(secret, payload))[0..16]`.
 *
 * What the signature protects: a cursor never widens what a caller may read (the namespaces and the
 * filters always come from the query), so a forged one could only move the position inside a list
 * the caller already reads; the signature makes that, and garbage, a clear `CM_ERR_INVALID_ARGUMENT`
 * instead of an odd page. Stores sharing a database should share `cursorSecret` so that a cursor
 * from one process is accepted by another; the built-in default is the same in every process.
 */

/** The position after which the next page starts: `[sortValue, ...tieBreakers]`. */
export type CursorKey = readonly [number, ...string[]]

/** Cursor format version: a cursor of another version is refused as stale. */
const CURSOR_VERSION = 1
const MAX_CURSOR_LENGTH = 2048
const MAX_KEY_PART = 1024
const SIGNATURE_BYTES = 16
const CURSOR_SHAPE = /^[A-Za-z0-9_-]{1,2000}\.[A-Za-z0-9_-]{22}$/
const DEFAULT_SECRET = 'comp-manager cursor v1'

interface CursorPayload {
  v: number
  /** The fingerprint of the query (filters and sort) the cursor belongs to. */
  q: string
  k: unknown[]
}

function invalidCursor(problem: string): never {
  throw cmError('CM_ERR_INVALID_ARGUMENT', `cursor ${problem}`, { details: { field: 'cursor' } })
}

/** A short digest of a normalised query's filters and sort (never its page or cursor). */
export function queryFingerprint(parts: unknown): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url').slice(0, 16)
}

export class CursorCodec {
  readonly #secret: string

  constructor(secret: string = DEFAULT_SECRET) {
    this.#secret = secret
  }

  #sign(payload: string): Buffer {
    return createHmac('sha256', this.#secret).update(payload).digest().subarray(0, SIGNATURE_BYTES)
  }

  encode(fingerprint: string, key: CursorKey): string {
    const body: CursorPayload = { v: CURSOR_VERSION, q: fingerprint, k: [...key] }
    const payload = Buffer.from(JSON.stringify(body)).toString('base64url')
    return `${payload}.${this.#sign(payload).toString('base64url')}`
  }

  /**
   * The key of a cursor made by {@link encode} for a query with this `fingerprint`, whose tie-breakers
   * are `tieBreakers` strings. Anything else (malformed, forged, stale, from another query) is a
   * `CM_ERR_INVALID_ARGUMENT` with `details.field: 'cursor'`.
   */
  decode(cursor: unknown, fingerprint: string, tieBreakers: number): CursorKey {
    if (typeof cursor !== 'string' || cursor.length > MAX_CURSOR_LENGTH || !CURSOR_SHAPE.test(cursor)) {
      invalidCursor('is malformed: pass the nextCursor of a previous page unchanged')
    }
    const [payload, signature] = cursor.split('.') as [string, string]
    const given = Buffer.from(signature, 'base64url')
    if (given.length !== SIGNATURE_BYTES || !timingSafeEqual(given, this.#sign(payload))) {
      invalidCursor('is forged or was signed with another secret')
    }
    const body = parsePayload(payload)
    if (body.v !== CURSOR_VERSION) invalidCursor('is stale (an older cursor format): start from page 1')
    if (body.q !== fingerprint) {
      invalidCursor('belongs to another listing (other filters or sort): start again without it')
    }
    return keyOf(body.k, tieBreakers)
  }
}

function parsePayload(payload: string): CursorPayload {
  let body: unknown
  try {
    body = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
  } catch {
    invalidCursor('is malformed')
  }
  const b = body as Partial<CursorPayload> | null
  if (typeof b !== 'object' || b === null || typeof b.v !== 'number' || typeof b.q !== 'string') {
    invalidCursor('is malformed')
  }
  if (!Array.isArray(b.k)) invalidCursor('is malformed')
  return b as CursorPayload
}

function keyOf(parts: unknown[], tieBreakers: number): CursorKey {
  const [value, ...rest] = parts
  const valid =
    parts.length === tieBreakers + 1 &&
    typeof value === 'number' &&
    Number.isFinite(value) &&
    rest.every((part) => typeof part === 'string' && part.length <= MAX_KEY_PART)
  if (!valid) invalidCursor('is malformed')
  return [value as number, ...(rest as string[])]
}
