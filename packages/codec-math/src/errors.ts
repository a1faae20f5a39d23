import { type CompManagerError, cmError, isCompManagerError } from '@comp-manager/core/errors'
import type { MathTypeName } from './types.js'

/** A tagged node that does not describe a valid value of `type`. */
export function malformed(type: MathTypeName, message: string, cause?: unknown): CompManagerError {
  return cmError('CM_ERR_MALFORMED', `${type}: ${message}`, {
    details: { type },
    ...(cause === undefined ? {} : { cause }),
  })
}

/** A live mathjs value this package cannot encode faithfully. */
export function unsupported(type: MathTypeName, message: string, cause?: unknown): CompManagerError {
  return cmError('CM_ERR_UNSUPPORTED_TYPE', `cannot encode ${type}: ${message}`, {
    details: { type },
    ...(cause === undefined ? {} : { cause }),
  })
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/** Runs a decoder; anything it (or mathjs) throws that is not a comp-manager error becomes `CM_ERR_MALFORMED`. */
export function decoding<T>(type: MathTypeName, run: () => T): T {
  try {
    return run()
  } catch (err) {
    if (isCompManagerError(err)) throw err
    throw malformed(type, `mathjs refused the value: ${messageOf(err)}`, err)
  }
}

/** Runs an encoder; anything mathjs throws becomes `CM_ERR_UNSUPPORTED_TYPE`, with the original as `cause`. */
export function encoding<T>(type: MathTypeName, run: () => T): T {
  try {
    return run()
  } catch (err) {
    if (isCompManagerError(err)) throw err
    throw unsupported(type, messageOf(err), err)
  }
}
