import { bytesToBase64 } from './base64.js'
import { NodeBuffer, typedArrayTags } from './builtins.js'
import { isoString } from './date.js'
import { claims, type Registered } from './registry.js'
import { TYPE_KEY } from './types.js'
import { Walker } from './walker.js'

type Obj = Record<string, unknown>
type Tagged = Obj & { __type__: string }

const objectProto = Object.prototype
const arrayProto = Array.prototype
const getProto = Object.getPrototypeOf
const hasOwn = Object.hasOwn
const isArray = Array.isArray

/** True for the primitives JSON carries unchanged: strings, booleans, null and finite numbers but -0. */
export function isJsonPrimitive(v: unknown): boolean {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return true
    case 'number':
      return v - v === 0 && (v !== 0 || 1 / v > 0)
    case 'object':
      return v === null
    default:
      return false
  }
}

export function specialNumber(n: number): Tagged {
  return {
    __type__: 'number',
    value: Number.isNaN(n) ? 'NaN' : n === 0 ? '-0' : n > 0 ? 'Infinity' : '-Infinity',
  }
}

function byteView(v: ArrayBufferView): Uint8Array {
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength)
}

function copyArray(a: readonly unknown[]): unknown[] {
  // A plain copy: `slice` would consult a subclass's species constructor.
  const n = a.length
  const out = new Array<unknown>(n)
  for (let i = 0; i < n; i++) out[i] = a[i]
  return out
}

/**
 * Tagged form of the built-ins whose encoding holds only strings (RegExp, URL, Date, binary data), or
 * `undefined` for any other prototype. Shared by encode and, through `flatText`, canonical.
 */
export function encodeFlat(obj: object, proto: object): Tagged | undefined {
  switch (proto) {
    case Date.prototype: {
      const time = (obj as Date).getTime()
      return { __type__: 'Date', value: Number.isNaN(time) ? null : isoString(time) }
    }
    case RegExp.prototype:
      return { __type__: 'RegExp', source: (obj as RegExp).source, flags: (obj as RegExp).flags }
    case URL.prototype:
      return { __type__: 'URL', value: (obj as URL).href }
    case ArrayBuffer.prototype:
      return { __type__: 'ArrayBuffer', base64: bytesToBase64(new Uint8Array(obj as ArrayBuffer)) }
    case DataView.prototype:
      return { __type__: 'DataView', base64: bytesToBase64(byteView(obj as DataView)) }
  }
  const typedTag = typedArrayTags.get(proto)
  if (typedTag !== undefined)
    return { __type__: typedTag, base64: bytesToBase64(byteView(obj as ArrayBufferView)) }
  if (NodeBuffer !== undefined && proto === NodeBuffer.prototype) {
    return { __type__: 'Buffer', base64: bytesToBase64(obj as Uint8Array) }
  }
  return undefined
}

/** Value → JSON tree. Parts that need no change are returned as they are (shared, not copied). */
export class Encoder extends Walker {
  encode(value: unknown): unknown {
    this.busy = true
    try {
      return this.enc(value, 0)
    } catch (err) {
      throw this.failure(err)
    } finally {
      this.release()
    }
  }

  enc(v: unknown, depth: number): unknown {
    switch (typeof v) {
      case 'string':
      case 'boolean':
        return v
      case 'number':
        return v - v === 0 && (v !== 0 || 1 / v > 0) ? v : specialNumber(v)
      case 'bigint':
        return { __type__: 'bigint', value: v.toString() }
      case 'undefined':
        return { __type__: 'undefined' }
      case 'object':
        return v === null ? null : this.encObject(v as object, depth)
      default:
        throw this.unsupported(v, depth)
    }
  }

  encObject(obj: object, depth: number): unknown {
    this.enter(obj, depth)
    const proto = getProto(obj)
    if (proto === objectProto || proto === null) return this.encPlain(obj as Obj, depth + 1)
    if (proto === arrayProto && isArray(obj)) return this.encArray(obj, depth + 1)
    return this.encSpecial(obj, proto, depth)
  }

  encArray(a: unknown[], next: number): unknown[] {
    let out = a
    for (let i = 0; i < a.length; i++) {
      const item = a[i]
      if (isJsonPrimitive(item)) continue
      const e = this.enc(item, next)
      if (e !== item) {
        if (out === a) out = copyArray(a)
        out[i] = e
      }
    }
    return out
  }

  encPlain(source: Obj, next: number): unknown {
    if (hasOwn(source, TYPE_KEY)) {
      const keys = Object.keys(source)
      const entries = new Array<unknown>(keys.length)
      for (let i = 0; i < keys.length; i++) entries[i] = [keys[i], this.enc(source[keys[i]!], next)]
      return { __type__: 'object', entries }
    }
    let out = source
    const keys = Object.keys(source)
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!
      const item = source[key]
      if (isJsonPrimitive(item)) continue
      const e = this.enc(item, next)
      if (e !== item) {
        // Spread defines own data properties, so a `__proto__` key stays a plain key.
        if (out === source) out = { ...source }
        out[key] = e
      }
    }
    return out
  }

  encSpecial(obj: object, proto: object, depth: number): unknown {
    const next = depth + 1
    const registered = this.registry.byConstructor.get(proto.constructor)
    if (registered !== undefined) return this.encRegistered(registered, obj, next)
    switch (proto) {
      case Map.prototype: {
        const entries = new Array<unknown>((obj as Map<unknown, unknown>).size)
        let i = 0
        for (const [k, val] of obj as Map<unknown, unknown>) {
          entries[i++] = [
            isJsonPrimitive(k) ? k : this.enc(k, next),
            isJsonPrimitive(val) ? val : this.enc(val, next),
          ]
        }
        return { __type__: 'Map', entries }
      }
      case Set.prototype: {
        const values = new Array<unknown>((obj as Set<unknown>).size)
        let i = 0
        for (const val of obj as Set<unknown>) values[i++] = isJsonPrimitive(val) ? val : this.enc(val, next)
        return { __type__: 'Set', values }
      }
    }
    const flat = encodeFlat(obj, proto)
    if (flat !== undefined) return flat
    if (obj instanceof Error) return this.encError(obj, next)
    for (const entry of this.registry.predicates) {
      if (claims(entry, obj)) return this.encRegistered(entry, obj, next)
    }
    throw this.unsupported(obj, depth)
  }

  encRegistered(entry: Registered, obj: object, next: number): Tagged {
    return { __type__: entry.name, value: this.enc(entry.definition.encode(obj), next) }
  }

  encError(err: Error, next: number): Tagged {
    const out: Tagged = { __type__: 'Error', name: String(err.name), message: String(err.message) }
    if (typeof err.stack === 'string') out.stack = err.stack
    const code = (err as { code?: unknown }).code
    if (typeof code === 'string') out.code = code
    if (hasOwn(err, 'cause')) out.cause = this.enc(err.cause, next)
    return out
  }
}
