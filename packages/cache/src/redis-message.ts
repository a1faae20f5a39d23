import { Type } from 'typebox'
import { Value } from 'typebox/value'
import type { L1Criteria } from './l1.js'

/**
 * The messages of the Redis accelerator: one JSON object per delete or invalidation, published on
 * `channelPrefix + namespace`. Anyone who can publish on the channel can send anything, so a message
 * is bounded in length before it is parsed, and checked against a closed schema after: an unknown
 * field, a `__proto__` key, a wrong type or an oversize string and it is ignored (counted).
 *
 *   { "v": 1, "o": "<origin>", "at": 1733250000000, "key": "<key>" }
 *   { "v": 1, "o": "<origin>", "at": 1733250000000, "criteria": { "tag": "prices" } }
 *
 * `o` is the publishing cache's random id (it ignores its own messages), `at` its clock when the store
 * had made the change.
 */

/** Longest message read (characters); a longer one is ignored unparsed. */
export const MAX_REDIS_MESSAGE_LENGTH = 4096

const Origin = Type.String({ minLength: 1, maxLength: 64 })
const At = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })
const Criteria = Type.Object(
  {
    function: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
    tag: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    version: Type.Optional(Type.Union([Type.String({ maxLength: 256 }), Type.Null()])),
    all: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
)
const Deleted = Type.Object(
  { v: Type.Literal(1), o: Origin, at: At, key: Type.String({ minLength: 1, maxLength: 256 }) },
  { additionalProperties: false },
)
const Invalidated = Type.Object(
  { v: Type.Literal(1), o: Origin, at: At, criteria: Criteria },
  { additionalProperties: false },
)

/** A change as it travels: one key deleted, or entries matching criteria invalidated. */
export type RedisChange = { key: string; criteria?: never } | { key?: never; criteria: L1Criteria }

export interface ReceivedChange {
  origin: string
  at: number
  change: RedisChange
}

export function encodeMessage(origin: string, at: number, change: RedisChange): string {
  return JSON.stringify(
    change.key === undefined
      ? { v: 1, o: origin, at, criteria: change.criteria }
      : { v: 1, o: origin, at, key: change.key },
  )
}

/** The change a message carries, or `null` for anything else (never throws). */
export function decodeMessage(message: unknown): ReceivedChange | null {
  if (typeof message !== 'string' || message.length > MAX_REDIS_MESSAGE_LENGTH) return null
  let parsed: unknown
  try {
    parsed = JSON.parse(message)
  } catch {
    return null
  }
  if (Value.Check(Deleted, parsed)) return { origin: parsed.o, at: parsed.at, change: { key: parsed.key } }
  if (!Value.Check(Invalidated, parsed)) return null
  const c = parsed.criteria
  // A fresh object of the known fields only. No criterion at all (`{}`, `{ all: false }`) would match
  // every entry: only `all: true` says that.
  const criteria: L1Criteria = {
    ...(c.function === undefined ? {} : { function: c.function }),
    ...(c.tag === undefined ? {} : { tag: c.tag }),
    ...(c.version === undefined ? {} : { version: c.version }),
    ...(c.all === undefined ? {} : { all: c.all }),
  }
  const narrowed =
    criteria.function !== undefined || criteria.tag !== undefined || criteria.version !== undefined
  if (criteria.all !== true && !narrowed) return null
  return { origin: parsed.o, at: parsed.at, change: { criteria } }
}
