/**
 * The check every lease route starts with: the token verifies, names this id, its namespace is one the
 * caller may touch, and the stored record is still that claim. Anything else changes nothing.
 */
import { type Codec, type Computation, type ComputationStore, cmError } from '@comp-manager/core'
import {
  holdsLease,
  type LeaseClaim,
  type LeaseTokens,
  resolveNamespaces,
  withDetails,
} from '@comp-manager/fastify-kit'
import type { FastifyRequest } from 'fastify'
import { JobNotFoundError, LeaseLostError } from './errors.js'

export interface LeaseContext {
  computations: ComputationStore
  tokens: LeaseTokens
  codec: Codec
  defaultNamespace: string
  maxResultBytes: number
}

export const jobNotFound = (id: string) =>
  withDetails(new JobNotFoundError(`computation ${id} not found`), { id })

export const leaseLost = (id: string, status: string | null, why: string) =>
  withDetails(new LeaseLostError(`the lease on computation ${id} is lost: ${why}`), { id, status })

/** The claim and record a lease token holds, or the 404/409 to answer. `allowCancelled`: a cancelled claim is returned too. */
export async function heldRun(
  ctx: LeaseContext,
  request: FastifyRequest,
  id: string,
  token: string,
  options: { allowCancelled?: boolean } = {},
): Promise<{ claim: LeaseClaim; record: Computation; cancelled: boolean }> {
  const claim = ctx.tokens.verify(token)
  if (claim === null)
    throw leaseLost(id, null, 'the lease token is malformed or its signature does not verify')
  if (claim.id !== id) throw leaseLost(id, null, 'the lease token is for another computation')
  const namespaces = resolveNamespaces(request, {
    defaultNamespace: ctx.defaultNamespace,
    requested: claim.namespace,
  })
  if (namespaces === null) throw jobNotFound(id)
  const record = await ctx.computations.get(claim.namespace, id)
  if (record === null) throw jobNotFound(id)
  if (holdsLease(claim, record)) return { claim, record, cancelled: false }
  if (options.allowCancelled && isCancelledClaim(claim, record)) return { claim, record, cancelled: true }
  throw leaseLost(
    id,
    record.status,
    `it is '${record.status}'${record.status === 'started' ? ' under another claim' : ''}`,
  )
}

/** The claim's attempt was cancelled (by an operator, or by its own worker's release). */
function isCancelledClaim(claim: LeaseClaim, record: Computation): boolean {
  return (
    record.status === 'failed' &&
    record.attempt === claim.attempt &&
    (record.worker ?? null) === claim.worker &&
    record.error?.code === 'CM_ERR_CANCELLED'
  )
}

/**
 * Checks a codec-encoded value from a worker (result, checkpoint): within `maxResultBytes` of JSON and
 * decodable by the codec (its budgets apply: a malformed tag is 400, an oversize one 413). Returns its JSON text.
 */
export function checkEncoded(ctx: LeaseContext, value: unknown, what: string): string {
  const text = JSON.stringify(value === undefined ? null : value)
  if (Buffer.byteLength(text) > ctx.maxResultBytes) {
    throw cmError('CM_ERR_MAX_BYTES', `${what} is larger than ${ctx.maxResultBytes} bytes of JSON`, {
      details: { in: 'body', limit: ctx.maxResultBytes },
    })
  }
  ctx.codec.parse(text)
  return text
}
