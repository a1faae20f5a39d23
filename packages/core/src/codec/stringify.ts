import { bytesToBase64 } from './base64.js'
import { NodeBuffer, typedArrayTags } from './builtins.js'
import { isoString } from './date.js'
import { quote } from './json-text.js'
import { claims, type Registered } from './registry.js'
import { TYPE_KEY } from './types.js'
import { Walker } from './walker.js'

// `stringify(v)`: exactly `JSON.stringify(encode(v))`, written without building the encoded tree.
//
// Each visit returns `undefined` when the value is plain JSON as it stands (the common case), or the text of
// its encoding when something in it needs a tag. Plain parts are never written by this code: the largest
// plain subtrees go to the native JSON.stringify whole, and only the path down to rich values is written
// here. A value without any rich part is one native JSON.stringify call after the walk, as before.

type Obj = Record<string, unknown>

const objectProto = Object.prototype
const arrayProto = Array.prototype
const getProto = Object.getPrototypeOf
const hasOwn = Object.hasOwn
const isArray = Array.isArray
const jsonText = JSON.stringify as (value: unknown) => string

const T_UNDEFINED = '{"__type__":"undefined"}'
const T_NAN = '{"__type__":"number","value":"NaN"}'
const T_INF = '{"__type__":"number","value":"Infinity"}'
const T_NINF = '{"__type__":"number","value":"-Infinity"}'
const T_NEG_ZERO = '{"__type__":"number","value":"-0"}'
const T_INVALID_DATE = '{"__type__":"Date","value":null}'

/** Text of a value that `visit` found plain (returned `undefined` for). */
function plainText(v: unknown): string {
  return typeof v === 'string' ? quote(v) : jsonText(v)
}

function bytesText(tag: string, bytes: Uint8Array): string {
  return '{"__type__":"' + tag + '","base64":"' + bytesToBase64(bytes) + '"}'
}

export class Stringifier extends Walker {
  stringify(value: unknown): string {
    this.busy = true
    try {
      return this.visit(value, 0) ?? jsonText(value)
    } catch (err) {
      throw this.failure(err)
    } finally {
      this.release()
    }
  }

  /** `undefined` when `v` is plain JSON, else the text of its encoding. */
  visit(v: unknown, depth: number): string | undefined {
    switch (typeof v) {
      case 'string':
      case 'boolean':
        return undefined
      case 'number':
        if (v - v === 0) return v !== 0 || 1 / v > 0 ? undefined : T_NEG_ZERO
        return Number.isNaN(v) ? T_NAN : v > 0 ? T_INF : T_NINF
      case 'bigint':
        return '{"__type__":"bigint","value":"' + v.toString() + '"}'
      case 'undefined':
        return T_UNDEFINED
      case 'object':
        return v === null ? undefined : this.visitObject(v as object, depth)
      default:
        throw this.unsupported(v, depth)
    }
  }

  /** The text of `v` whatever it is: its own text when rich, the native JSON text when plain. */
  text(v: unknown, depth: number): string {
    return this.visit(v, depth) ?? plainText(v)
  }

  visitObject(obj: object, depth: number): string | undefined {
    this.enter(obj, depth)
    const proto = getProto(obj)
    if (proto === objectProto || proto === null) return this.visitPlain(obj as Obj, depth + 1)
    if (proto === arrayProto && isArray(obj)) return this.visitArray(obj, depth + 1)
    return this.special(obj, proto, depth)
  }

  visitArray(a: unknown[], next: number): string | undefined {
    const n = a.length
    let i = 0
    let r: string | undefined
    for (; i < n; i++) {
      r = this.visit(a[i], next)
      if (r !== undefined) break
    }
    if (i === n) return undefined
    // a[i] is rich: write the plain items before it natively, then go on writing.
    let s = '['
    for (let j = 0; j < i; j++) s += (j === 0 ? '' : ',') + plainText(a[j])
    s += (i === 0 ? '' : ',') + r
    for (i++; i < n; i++) s += ',' + this.text(a[i], next)
    return s + ']'
  }

  visitPlain(obj: Obj, next: number): string | undefined {
    const keys = Object.keys(obj)
    const n = keys.length
    if (hasOwn(obj, TYPE_KEY)) {
      // An escaped object: its entries in key order of the object.
      let s = '{"__type__":"object","entries":['
      for (let i = 0; i < n; i++) {
        const key = keys[i]!
        s += (i === 0 ? '[' : ',[') + quote(key) + ',' + this.text(obj[key], next) + ']'
      }
      return s + ']}'
    }
    let i = 0
    let r: string | undefined
    for (; i < n; i++) {
      r = this.visit(obj[keys[i]!], next)
      if (r !== undefined) break
    }
    if (i === n) return undefined
    let s = '{'
    for (let j = 0; j < i; j++) s += (j === 0 ? '' : ',') + quote(keys[j]!) + ':' + plainText(obj[keys[j]!])
    s += (i === 0 ? '' : ',') + quote(keys[i]!) + ':' + r
    for (i++; i < n; i++) s += ',' + quote(keys[i]!) + ':' + this.text(obj[keys[i]!], next)
    return s + '}'
  }

  special(obj: object, proto: object, depth: number): string {
    const next = depth + 1
    const registered = this.registry.byConstructor.get(proto.constructor)
    if (registered !== undefined) return this.registered(registered, obj, next)
    switch (proto) {
      case Map.prototype: {
        let s = '{"__type__":"Map","entries":['
        let first = true
        for (const [k, v] of obj as Map<unknown, unknown>) {
          s += (first ? '[' : ',[') + this.text(k, next) + ',' + this.text(v, next) + ']'
          first = false
        }
        return s + ']}'
      }
      case Set.prototype: {
        let s = '{"__type__":"Set","values":['
        let first = true
        for (const v of obj as Set<unknown>) {
          s += (first ? '' : ',') + this.text(v, next)
          first = false
        }
        return s + ']}'
      }
      case Date.prototype: {
        const time = (obj as Date).getTime()
        return !Number.isNaN(time) ? '{"__type__":"Date","value":"' + isoString(time) + '"}' : T_INVALID_DATE
      }
      case RegExp.prototype:
        return (
          '{"__type__":"RegExp","source":' +
          quote((obj as RegExp).source) +
          ',"flags":"' +
          (obj as RegExp).flags +
          '"}'
        )
      case URL.prototype:
        return '{"__type__":"URL","value":' + quote((obj as URL).href) + '}'
      case ArrayBuffer.prototype:
        return bytesText('ArrayBuffer', new Uint8Array(obj as ArrayBuffer))
      case DataView.prototype: {
        const view = obj as DataView
        return bytesText('DataView', new Uint8Array(view.buffer, view.byteOffset, view.byteLength))
      }
    }
    const typedTag = typedArrayTags.get(proto)
    if (typedTag !== undefined) {
      const view = obj as ArrayBufferView
      return bytesText(typedTag, new Uint8Array(view.buffer, view.byteOffset, view.byteLength))
    }
    if (NodeBuffer !== undefined && proto === NodeBuffer.prototype)
      return bytesText('Buffer', obj as Uint8Array)
    if (obj instanceof Error) return this.error(obj, next)
    for (const entry of this.registry.predicates) {
      if (claims(entry, obj)) return this.registered(entry, obj, next)
    }
    throw this.unsupported(obj, depth)
  }

  registered(entry: Registered, obj: object, next: number): string {
    return '{"__type__":' + entry.nameText + ',"value":' + this.text(entry.definition.encode(obj), next) + '}'
  }

  /** Same fields, same order as the encoder's Error node. */
  error(err: Error, next: number): string {
    let s =
      '{"__type__":"Error","name":' + quote(String(err.name)) + ',"message":' + quote(String(err.message))
    if (typeof err.stack === 'string') s += ',"stack":' + quote(err.stack)
    const code = (err as { code?: unknown }).code
    if (typeof code === 'string') s += ',"code":' + quote(code)
    if (hasOwn(err, 'cause')) s += ',"cause":' + this.text(err.cause, next)
    return s + '}'
  }
}
