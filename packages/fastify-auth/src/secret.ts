/** The signing secret: its form depends on the algorithms (an HMAC secret, or a PEM key pair). */
import { createPrivateKey, createPublicKey } from 'node:crypto'
import { isPlainObject } from '@comp-manager/core/options'

/** The JWT algorithms the allow-list may name. `none` is never accepted. */
export const jwtAlgorithms = [
  'HS256',
  'HS384',
  'HS512',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
] as const
export type JwtAlgorithm = (typeof jwtAlgorithms)[number]

/** A PEM key pair for the asymmetric algorithms. Without `private`, the plugin only verifies tokens. */
export interface KeyPair {
  public: string | Buffer
  private?: string | Buffer
}

export const MIN_SECRET_LENGTH = 32

type Family = 'hmac' | 'rsa' | 'ec' | 'ed'

function algorithmFamily(algorithm: JwtAlgorithm): Family {
  if (algorithm.startsWith('HS')) return 'hmac'
  if (algorithm.startsWith('RS') || algorithm.startsWith('PS')) return 'rsa'
  if (algorithm.startsWith('ES')) return 'ec'
  return 'ed'
}

const isPem = (value: unknown): value is string | Buffer =>
  typeof value === 'string' || Buffer.isBuffer(value)

/** `{ public, private? }` of PEM strings or Buffers (a plain object). */
function isKeyPair(value: unknown): value is KeyPair {
  return isPlainObject(value) && isPem(value.public) && (value.private === undefined || isPem(value.private))
}

/**
 * Checks `secret` against `algorithms` (one key family, the first algorithm signs) and says whether it
 * can sign (a key pair without `private` only verifies). Messages never contain the secret.
 */
export function resolveSecret(
  secret: unknown,
  algorithms: readonly JwtAlgorithm[],
  fail: (option: string, problem: string) => never,
): { secret: string | Buffer | KeyPair; canSign: boolean } {
  if (new Set(algorithms.map(algorithmFamily)).size > 1) {
    fail('algorithms', 'must not mix key families (HMAC, RSA, EC, EdDSA): one key verifies them all')
  }
  if (secret === undefined || secret === null || secret === '') {
    fail('secret', `is required (at least ${MIN_SECRET_LENGTH} characters)`)
  }
  if (algorithmFamily(algorithms[0]!) === 'hmac') {
    if (typeof secret !== 'string' && !Buffer.isBuffer(secret)) {
      fail('secret', 'must be a string or a Buffer for the HS* algorithms')
    }
    if (secret.length < MIN_SECRET_LENGTH) {
      const unit = typeof secret === 'string' ? 'characters' : 'bytes'
      fail('secret', `must be at least ${MIN_SECRET_LENGTH} ${unit} (got ${secret.length})`)
    }
    return { secret, canSign: true }
  }
  if (!isKeyPair(secret)) {
    fail('secret', 'must be a key pair `{ public, private? }` (PEM) for the RS/PS/ES/EdDSA algorithms')
  }
  try {
    createPublicKey(secret.public)
  } catch {
    fail('secret', '`public` is not a valid PEM public key')
  }
  if (secret.private === undefined) return { secret, canSign: false }
  try {
    createPrivateKey(secret.private)
  } catch {
    fail('secret', '`private` is not a valid PEM private key')
  }
  return { secret, canSign: true }
}
