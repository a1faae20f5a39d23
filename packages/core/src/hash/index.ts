import * as crypto from 'node:crypto'
import type { Codec } from '../codec/codec.js'
import { defaultCodec } from '../codec/index.js'
import { quote } from '../codec/json-text.js'
import { cmError, describeType } from '../errors/index.js'

/** Digest algorithms a key may use. `sha256` is the default; the others exist for compatibility. */
export const hashAlgorithms = ['sha256', 'sha1', 'md5'] as const
export type HashAlgorithm = (typeof hashAlgorithms)[number]

/**
 * Version of the canonical encoding. It is stored with every key: a change to any test vector is a
 * new format (and a new major), so keys of different formats never silently match.
 */
export const HASH_FORMAT = 'cm1'

export interface HashOptions {
  /** Default `sha256`. */
  algorithm?: HashAlgorithm
  /** Codec whose registered types are used (default: the process-wide `defaultCodec`). */
  codec?: Codec
}

export interface HashKeyInput {
  /** The function's qualified name (`module/Class.method`). */
  fn: string
  /** Bump to change every key of the function (after a code change). */
  version?: string | number
  /** The call's arguments: any value the codec can encode. */
  args: unknown
}

export interface HashKey {
  /** Hex digest of the canonical encoding. */
  key: string
  algorithm: HashAlgorithm
  format: typeof HASH_FORMAT
}

// One-shot crypto.hash (Node ≥ 20.12) is markedly faster than createHash for small inputs.
const oneShot = (crypto as { hash?: (alg: string, data: string, enc: 'hex') => string }).hash
const digestHex = oneShot
  ? (algorithm: string, text: string) => oneShot(algorithm, text, 'hex')
  : (algorithm: string, text: string) => crypto.createHash(algorithm).update(text, 'utf8').digest('hex')

function algorithmOf(options: HashOptions | undefined): HashAlgorithm {
  const algorithm = options?.algorithm ?? 'sha256'
  if (algorithm !== 'sha256' && !(hashAlgorithms as readonly string[]).includes(algorithm)) {
    throw cmError('CM_ERR_INVALID_ARGUMENT', `algorithm must be one of ${hashAlgorithms.join(', ')}`, {
      details: { option: 'algorithm' },
    })
  }
  return algorithm
}

/** The canonical text of a value (see HASHING.md): equal values give equal text. */
export function canonicalEncode(value: unknown, options?: { codec?: Codec }): string {
  return (options?.codec ?? defaultCodec).canonical(value)
}

/** Hex digest of the canonical text of any value. */
export function hashValue(value: unknown, options?: HashOptions): string {
  return digestHex(algorithmOf(options), canonicalEncode(value, options))
}

/** The canonical text hashed for a call: `{"args":…,"fn":…,"version":…}` (version left out when absent). */
export function canonicalCall(input: HashKeyInput, options?: { codec?: Codec }): string {
  if (typeof input !== 'object' || input === null) {
    throw cmError(
      'CM_ERR_INVALID_ARGUMENT',
      `hashKey expects { fn, version?, args }, got ${describeType(input)}`,
    )
  }
  const { fn, version, args } = input
  if (typeof fn !== 'string' || fn.length === 0) {
    throw cmError('CM_ERR_INVALID_ARGUMENT', 'hashKey: fn must be a non-empty string', {
      details: { field: 'fn' },
    })
  }
  if (version !== undefined && typeof version !== 'string' && typeof version !== 'number') {
    throw cmError('CM_ERR_INVALID_ARGUMENT', 'hashKey: version must be a string or a number', {
      details: { field: 'version' },
    })
  }
  const codec = options?.codec ?? defaultCodec
  const head = '{"args":' + codec.canonical(args) + ',"fn":' + quote(fn)
  return version === undefined ? head + '}' : head + ',"version":' + codec.canonical(version) + '}'
}

/** The key of a call: digest of the canonical encoding of `{ fn, version, args }`. */
export function hashKey(input: HashKeyInput, options?: HashOptions): HashKey {
  const algorithm = algorithmOf(options)
  return { key: digestHex(algorithm, canonicalCall(input, options)), algorithm, format: HASH_FORMAT }
}
