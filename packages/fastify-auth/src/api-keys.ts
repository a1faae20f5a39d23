import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { isPlainObject } from '@comp-manager/core/options'
import { isNamespaceOrWildcard, isRole } from './identity.js'
import { type ApiKeyEntry, roles } from './types.js'

/** The prefix of every comp-manager API key: `cmk_<id>_<secret>`. */
export const API_KEY_PREFIX = 'cmk_'

/** An API key id: letters, digits and `-` (no `_`, which separates the id from the secret). */
export const API_KEY_ID_PATTERN = /^[A-Za-z0-9-]{1,64}$/

const API_KEY_PATTERN = /^cmk_([A-Za-z0-9-]{1,64})_([A-Za-z0-9_-]{16,256})$/
const HASH_PATTERN = /^[0-9a-f]{64}$/i

/** Stands in for the hash of an unknown id, so an unknown id costs the same as a wrong secret. */
const DUMMY_DIGEST = createHash('sha256').update('cmk_unknown_key').digest()

/** The SHA-256 hex digest of the whole key (`cmk_<id>_<secret>`): what `apiKeys[].hash` stores. */
export function hashApiKey(key: string): string {
  if (typeof key !== 'string' || key === '')
    throw new TypeError('hashApiKey(key): key must be a non-empty string')
  return createHash('sha256').update(key, 'utf8').digest('hex')
}

export interface GeneratedApiKey {
  /** The id, as given. */
  id: string
  /** The plaintext key `cmk_<id>_<secret>`: hand it to the client once, never store it. */
  key: string
  /** `hashApiKey(key)`: store this in `apiKeys[].hash`. */
  hash: string
}

/** Generates a key `cmk_<id>_<43 base64url characters of 32 random bytes>` and its hash. */
export function generateApiKey(id: string): GeneratedApiKey {
  if (typeof id !== 'string' || !API_KEY_ID_PATTERN.test(id)) {
    throw new TypeError('generateApiKey(id): id must be 1 to 64 letters, digits or `-`')
  }
  const key = `${API_KEY_PREFIX}${id}_${randomBytes(32).toString('base64url')}`
  return { id, key, hash: hashApiKey(key) }
}

/** Splits a presented key into its id; `null` when it is not of the form `cmk_<id>_<secret>`. */
export function parseApiKey(key: string): { id: string } | null {
  const match = API_KEY_PATTERN.exec(key)
  return match ? { id: match[1]! } : null
}

/** True when `hash` is a SHA-256 hex digest (64 hex characters). */
export function isApiKeyHash(hash: unknown): hash is string {
  return typeof hash === 'string' && HASH_PATTERN.test(hash)
}

/**
 * True when `key` hashes to `hash`. The digests are compared with `crypto.timingSafeEqual`, so the time
 * taken does not tell how many leading bytes matched. `hash` `undefined` (unknown id) still runs one
 * comparison, against a dummy digest, and answers false.
 */
export function verifyApiKey(key: string, hash: string | undefined): boolean {
  const presented = createHash('sha256').update(key, 'utf8').digest()
  const expected = isApiKeyHash(hash) ? Buffer.from(hash, 'hex') : DUMMY_DIGEST
  const equal = timingSafeEqual(presented, expected)
  return equal && expected !== DUMMY_DIGEST
}

/** Why an API key entry is invalid: the field (`''` for the whole entry) and what is wrong. */
export interface ApiKeyEntryProblem {
  field: string
  message: string
}

/**
 * Checks one API key entry (configured, or returned by a lookup); returns it normalized (a copy, hash
 * lower-cased), or the problem. Problems never contain the hash.
 */
export function checkApiKeyEntry(entry: unknown): ApiKeyEntry | ApiKeyEntryProblem {
  const problem = (field: string, message: string): ApiKeyEntryProblem => ({ field, message })
  if (!isPlainObject(entry)) return problem('', 'must be an object `{ id, hash, role, namespaces }`')
  if (Object.hasOwn(entry, 'key') || Object.hasOwn(entry, 'secret')) {
    return problem('', 'must not hold the plaintext key: store `hash: hashApiKey(key)` instead')
  }
  if (typeof entry.id !== 'string' || !API_KEY_ID_PATTERN.test(entry.id)) {
    return problem('.id', 'must be 1 to 64 letters, digits or `-`')
  }
  if (!isApiKeyHash(entry.hash)) {
    return problem(
      '.hash',
      typeof entry.hash === 'string' && entry.hash.startsWith(API_KEY_PREFIX)
        ? 'looks like a plaintext key: store `hashApiKey(key)` instead'
        : 'must be the SHA-256 hex digest of the key (64 hex characters, see `hashApiKey`)',
    )
  }
  if (!isRole(entry.role)) {
    return problem(
      '.role',
      `must be one of ${roles.join(', ')} (got ${JSON.stringify(String(entry.role)).slice(0, 40)})`,
    )
  }
  if (!Array.isArray(entry.namespaces) || !entry.namespaces.every(isNamespaceOrWildcard)) {
    return problem(
      '.namespaces',
      "must be an array of namespaces (letters, digits, `.`, `_`, `:`, `-`) or '*'",
    )
  }
  if (entry.subject !== undefined && (typeof entry.subject !== 'string' || entry.subject === '')) {
    return problem('.subject', 'must be a non-empty string')
  }
  const normalized: ApiKeyEntry = {
    id: entry.id,
    hash: entry.hash.toLowerCase(),
    role: entry.role,
    namespaces: [...(entry.namespaces as string[])],
  }
  if (entry.subject !== undefined) normalized.subject = entry.subject as string
  return normalized
}

export function isApiKeyEntryProblem(value: ApiKeyEntry | ApiKeyEntryProblem): value is ApiKeyEntryProblem {
  return 'message' in value
}
