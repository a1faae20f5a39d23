import { errorConstructors } from '../codec/builtins.js'
import type { ErrorInfo } from '../domain/schemas.js'

const MAX_MESSAGE = 16 * 1024
const MAX_STACK = 32 * 1024

function describeThrown(value: unknown): string {
  if (typeof value === 'string') return value
  try {
    const text = JSON.stringify(value, (_key, v) => (typeof v === 'bigint' ? `${v}n` : v))
    return text === undefined ? String(value) : text
  } catch {
    return String(value)
  }
}

/**
 * What a failed run records: `{ name, message, stack?, code? }`. Anything can be thrown in JS; a
 * non-Error is recorded as `NonError` with its description as the message.
 */
export function toErrorInfo(thrown: unknown): ErrorInfo {
  if (thrown instanceof Error) {
    const info: ErrorInfo = {
      name: String(thrown.name).slice(0, 256),
      message: String(thrown.message).slice(0, MAX_MESSAGE),
    }
    if (typeof thrown.stack === 'string') info.stack = thrown.stack.slice(0, MAX_STACK)
    const code = (thrown as { code?: unknown }).code
    if (typeof code === 'string') info.code = code.slice(0, 256)
    return info
  }
  return { name: 'NonError', message: describeThrown(thrown).slice(0, MAX_MESSAGE) }
}

/** An Error rebuilt from a recorded `ErrorInfo` (for waiters in other processes). */
export function fromErrorInfo(info: ErrorInfo): Error {
  const ctor = Object.hasOwn(errorConstructors, info.name) ? errorConstructors[info.name]! : Error
  const err = new ctor(info.message)
  if (err.name !== info.name) err.name = info.name
  if (info.stack !== undefined) {
    Object.defineProperty(err, 'stack', {
      value: info.stack,
      writable: true,
      enumerable: false,
      configurable: true,
    })
  }
  if (info.code !== undefined) (err as Error & { code: string }).code = info.code
  return err
}
