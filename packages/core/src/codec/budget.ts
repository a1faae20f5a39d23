import { cmError } from '../errors/index.js'

/** The decoding budgets of a codec (see `CodecLimits`), every one a positive integer. */
export interface DecodeBudget {
  readonly maxBigIntDigits: number
  readonly maxStringLength: number
  readonly maxBinaryBytes: number
  readonly maxEntries: number
  readonly maxNodes: number
}

/**
 * Chosen so that decoding and hashing the largest value a 1 MiB request body can hold stays near 50 ms on
 * 2 cores (bench/codec-budget.mjs): BigInt parsing and printing grow faster than linearly with digits;
 * the other limits bound memory and the number of objects one value can make.
 */
export const DEFAULT_DECODE_BUDGET: DecodeBudget = {
  maxBigIntDigits: 10_000,
  maxStringLength: 16 * 1024 * 1024,
  maxBinaryBytes: 16 * 1024 * 1024,
  // 10^5 values: JSON.parse, decode and hash of the largest such value stay near 30 ms on 2 cores
  // (10^6 let a 1 MiB body of tiny objects cost 80 ms and block every other client meanwhile).
  maxEntries: 100_000,
  maxNodes: 100_000,
}

export type DecodeLimitName = keyof DecodeBudget

/** A size limit (a string, binary value or BigInt larger than allowed): `CM_ERR_TOO_LARGE`, 413 over HTTP. */
export function overSize(limit: DecodeLimitName, max: number, what: string) {
  return cmError('CM_ERR_TOO_LARGE', `${what} is larger than ${limit} (${max})`, {
    details: { limit, max },
  })
}

/** A shape limit (too many entries or nodes): `CM_ERR_TOO_COMPLEX`, 400 over HTTP. */
export function overShape(limit: DecodeLimitName, max: number, what: string) {
  return cmError('CM_ERR_TOO_COMPLEX', `${what} exceeds ${limit} (${max})`, {
    details: { limit, max },
  })
}

/** Decoded byte length of a base64 text of `length` characters (padding counted as data: an upper bound). */
export function base64Bytes(length: number): number {
  return Math.floor((length * 3) / 4)
}
