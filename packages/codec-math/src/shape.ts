import { malformed } from './errors.js'
import type { MathTypeName } from './types.js'

export type Obj = Record<string, unknown>

/**
 * Checks that a decoded `value` is a plain object with exactly the expected keys (required ones
 * present, no others) and returns it. Unknown keys are refused: a field this version does not
 * understand could change the value, so it must not be dropped silently.
 */
export function record(
  type: MathTypeName,
  value: unknown,
  required: readonly string[],
  optional: readonly string[] = [],
): Obj {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw malformed(type, 'value must be an object')
  }
  const proto = Object.getPrototypeOf(value)
  if (proto !== Object.prototype && proto !== null) throw malformed(type, 'value must be a plain object')
  for (const key of Object.keys(value)) {
    if (!required.includes(key) && !optional.includes(key)) {
      throw malformed(type, `unexpected key ${JSON.stringify(key.slice(0, 64))}`)
    }
  }
  for (const key of required) {
    if (!Object.hasOwn(value, key)) throw malformed(type, `missing key '${key}'`)
  }
  return value as Obj
}

/** The own property `key` of `obj`, or undefined (never a prototype's). */
export function own(obj: Obj, key: string): unknown {
  return Object.hasOwn(obj, key) ? obj[key] : undefined
}

export function isIndex(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
}

/** A size/index array: non-negative safe integers. Returns a copy (never the decoded tree's array). */
export function indexArray(type: MathTypeName, value: unknown, what: string): number[] {
  if (!Array.isArray(value)) throw malformed(type, `${what} must be an array`)
  const out = new Array<number>(value.length)
  for (let i = 0; i < value.length; i++) {
    const item = value[i]
    if (!isIndex(item)) throw malformed(type, `${what}[${i}] must be a non-negative integer`)
    out[i] = item
  }
  return out
}

/** Optional `datatype` field of a matrix. */
export function datatypeOf(type: MathTypeName, obj: Obj): string | undefined {
  const datatype = own(obj, 'datatype')
  if (datatype === undefined) return undefined
  if (typeof datatype !== 'string') throw malformed(type, 'datatype must be a string')
  return datatype
}
