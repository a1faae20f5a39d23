/**
 * Lease tokens of the HTTP worker protocol: an opaque string naming one claim of one run (namespace,
 * id, attempt, the claiming worker, the start of the claim's running segment), HMAC-signed so that no
 * one can forge a claim they were not given. A token holds the run while the stored record is still
 * that claim: a run declared lost, paused, ended, or released and claimed again no longer matches.
 *
 * The store has no token column: the claim is recognised by fields every claim writes anyway
 * (`attempt`, `worker`, `activeSince`), so the queue port and both stores stay as they are.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { type Computation, cmError } from '@comp-manager/core'
import type { FastifyInstance } from 'fastify'

/** What a lease token names. */
export interface LeaseClaim {
  namespace: string
  id: string
  attempt: number
  /** The worker that claimed it (`null`: a run reported over `POST /computations`). */
  worker: string | null
  /** `activeSince` of the record when it was claimed: the start of this claim's running segment. */
  since: number
}

/** The longest token accepted (anything longer is refused before any decoding). */
export const MAX_LEASE_TOKEN_LENGTH = 2048

const VERSION = 'v1'
const DECORATOR = 'compLeaseTokens'
const SECRET = Symbol('leaseSecret')

const b64 = (data: Buffer | string): string => Buffer.from(data).toString('base64url')

/** Signs and checks lease tokens with one secret (share it between the instances of a fleet). */
export class LeaseTokens {
  readonly #key: Buffer

  /** `secret`: 16+ characters; default a random key of this process (tokens die with it). */
  constructor(secret?: string) {
    if (secret !== undefined && (typeof secret !== 'string' || secret.length < 16)) {
      throw cmError('CM_ERR_INVALID_ARGUMENT', 'leaseSecret must be a string of at least 16 characters', {
        details: { option: 'leaseSecret' },
      })
    }
    this.#key =
      secret === undefined
        ? randomBytes(32)
        : createHmac('sha256', secret).update('comp-manager lease tokens').digest()
  }

  /** The token of the claim `record` is now (a `started` record with a running segment). */
  issue(record: Computation): string {
    if (record.status !== 'started' || record.activeSince === null) {
      throw cmError('CM_ERR_INVALID_ARGUMENT', `computation ${record.id} is not running: it has no lease`)
    }
    const claim = [record.namespace, record.id, record.attempt, record.worker ?? null, record.activeSince]
    const body = b64(JSON.stringify(claim))
    return `${VERSION}.${body}.${this.#sign(body)}`
  }

  /** The claim a token names, or `null` when it is malformed or its signature does not verify. */
  verify(token: unknown): LeaseClaim | null {
    if (typeof token !== 'string' || token.length > MAX_LEASE_TOKEN_LENGTH) return null
    const [version, body, signature, ...rest] = token.split('.')
    if (version !== VERSION || body === undefined || signature === undefined || rest.length > 0) return null
    const expected = Buffer.from(this.#sign(body))
    const given = Buffer.from(signature)
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null
    let claim: unknown
    try {
      claim = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'))
    } catch {
      return null
    }
    if (!Array.isArray(claim) || claim.length !== 5) return null
    const [namespace, id, attempt, worker, since] = claim as unknown[]
    if (typeof namespace !== 'string' || typeof id !== 'string') return null
    if (!Number.isInteger(attempt) || !Number.isFinite(since)) return null
    if (worker !== null && typeof worker !== 'string') return null
    return { namespace, id, attempt: attempt as number, worker, since: since as number }
  }

  #sign(body: string): string {
    return createHmac('sha256', this.#key).update(`${VERSION}.${body}`).digest('base64url')
  }
}

/** True while `record` is still the claim the token names (the same running segment of the same attempt). */
export function holdsLease(claim: LeaseClaim, record: Computation): boolean {
  return (
    record.status === 'started' &&
    record.namespace === claim.namespace &&
    record.id === claim.id &&
    record.attempt === claim.attempt &&
    (record.worker ?? null) === claim.worker &&
    record.activeSince === claim.since
  )
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The app's lease tokens, shared by `@comp-manager/fastify-tracker` and `@comp-manager/fastify-worker`. */
    compLeaseTokens: LeaseTokens
  }
}

/**
 * The lease tokens of the app: the ones a plugin registered before created, else new ones with
 * `secret` (decorated on `fastify`, so the plugins registered after share them). A second plugin
 * given a different secret is refused: the tokens of one would not verify in the other.
 */
export function leaseTokensOf(fastify: FastifyInstance, secret: string | undefined): LeaseTokens {
  if (fastify.hasDecorator(DECORATOR)) {
    const existing = fastify[DECORATOR]
    const secrets = (existing as unknown as { [SECRET]?: string | undefined })[SECRET]
    if (secret !== undefined && secrets !== secret) {
      throw cmError(
        'CM_ERR_INVALID_ARGUMENT',
        'leaseSecret differs from the one a plugin registered before was given: give every plugin of the app the same one',
        { details: { option: 'leaseSecret' } },
      )
    }
    return existing
  }
  const tokens = new LeaseTokens(secret)
  Object.defineProperty(tokens, SECRET, { value: secret, enumerable: false })
  fastify.decorate(DECORATOR, tokens)
  return tokens
}
