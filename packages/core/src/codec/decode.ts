import { CompManagerError, cmError, describeType } from '../errors/index.js'
import { base64ToBytes } from './base64.js'
import { base64Bytes, type DecodeBudget, overShape, overSize } from './budget.js'
import { errorConstructors, NodeBuffer, REGEXP_FLAGS, typedArrays } from './builtins.js'
import { parseDate } from './date.js'
import type { TypeRegistry } from './registry.js'
import { TYPE_KEY } from './types.js'

type Obj = Record<string, unknown>

const objectProto = Object.prototype
const arrayProto = Array.prototype
const getProto = Object.getPrototypeOf
const hasOwn = Object.hasOwn
const isArray = Array.isArray

/** Longest piece of an input tag repeated in an error message. */
const TAG_PREVIEW = 64

function malformed(message: string, details?: Record<string, unknown>): CompManagerError {
  return cmError('CM_ERR_MALFORMED', message, details ? { details } : undefined)
}

/** A tag from the input, shortened and quoted for a message. */
export function previewTag(tag: string): string {
  return JSON.stringify(tag.length > TAG_PREVIEW ? tag.slice(0, TAG_PREVIEW) + '…' : tag)
}

/** `-?(0|[1-9][0-9]*)`: the only BigInt spelling accepted (BigInt() alone would also take hex, spaces…). */
function isDecimal(text: string): boolean {
  const n = text.length
  let i = n > 0 && text.charCodeAt(0) === 45 ? 1 : 0 // '-'
  if (i === n) return false
  if (text.charCodeAt(i) === 48) return i + 1 === n // '0' only alone
  for (; i < n; i++) {
    const c = text.charCodeAt(i)
    if (c < 48 || c > 57) return false
  }
  return true
}

function defineKey(target: Obj, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true })
  } else {
    target[key] = value
  }
}

function hidden(value: unknown): PropertyDescriptor {
  return { value, writable: true, enumerable: false, configurable: true }
}

function copyArray(a: readonly unknown[]): unknown[] {
  const n = a.length
  const out = new Array<unknown>(n)
  for (let i = 0; i < n; i++) out[i] = a[i]
  return out
}

/**
 * JSON tree → value. Only data is read from the tree: it can name a registered type, never a function to
 * run, and no key of it is ever assigned through a prototype (`__proto__` stays an own data property).
 * Parts that need no change are returned as they are.
 */
export class Decoder {
  readonly registry: TypeRegistry
  readonly maxDepth: number
  readonly budget: DecodeBudget
  /** Values met so far in the tree being decoded (against `maxNodes`). */
  #nodes = 0
  busy = false

  constructor(registry: TypeRegistry, maxDepth: number, budget: DecodeBudget) {
    this.registry = registry
    this.maxDepth = maxDepth
    this.budget = budget
  }

  /** Decodes one whole tree: the node count starts from zero. */
  decodeTree(tree: unknown): unknown {
    this.busy = true
    this.#nodes = 1
    try {
      return this.dec(tree, 0)
    } finally {
      this.busy = false
    }
  }

  /** Counts `n` more values of one container against `maxEntries` and `maxNodes`. */
  entries(n: number): void {
    const { maxEntries, maxNodes } = this.budget
    if (n > maxEntries) throw overShape('maxEntries', maxEntries, `a container of ${n} entries`)
    this.#nodes += n
    if (this.#nodes > maxNodes) throw overShape('maxNodes', maxNodes, 'the number of values')
  }

  str(text: string): string {
    const max = this.budget.maxStringLength
    if (text.length > max) throw overSize('maxStringLength', max, `a string of ${text.length} characters`)
    return text
  }

  dec(v: unknown, depth: number): unknown {
    switch (typeof v) {
      case 'string':
        return this.str(v)
      case 'number':
      case 'boolean':
        return v
      case 'object':
        if (v === null) return v
        return this.decObject(v, depth)
      default:
        throw malformed(`not a JSON value: ${describeType(v)}`)
    }
  }

  decObject(v: object, depth: number): unknown {
    if (depth >= this.maxDepth) {
      throw cmError('CM_ERR_MAX_DEPTH', `value nests deeper than maxDepth (${this.maxDepth})`, {
        details: { limit: this.maxDepth },
      })
    }
    const next = depth + 1
    const proto = getProto(v)
    if (proto === arrayProto && isArray(v)) {
      this.entries(v.length)
      let out = v
      for (let i = 0; i < v.length; i++) {
        const item: unknown = v[i]
        if (typeof item !== 'object' || item === null) {
          if (typeof item === 'string') {
            this.str(item)
            continue
          }
          if (typeof item === 'number' || typeof item === 'boolean' || item === null) {
            continue
          }
        }
        const d = this.dec(item, next)
        if (d !== item) {
          if (out === v) out = copyArray(v)
          out[i] = d
        }
      }
      return out
    }
    if (proto !== objectProto && proto !== null) throw malformed(`not a JSON value: ${describeType(v)}`)
    const source = v as Obj
    const tag = source[TYPE_KEY]
    if (tag !== undefined && hasOwn(source, TYPE_KEY)) return this.decTagged(source, tag, next)
    let out = source
    const keys = Object.keys(source)
    this.entries(keys.length)
    for (let i = 0; i < keys.length; i++) {
      const key = this.str(keys[i]!)
      const item = source[key]
      if (typeof item !== 'object' || item === null) {
        if (typeof item === 'string') {
          this.str(item)
          continue
        }
        if (typeof item === 'number' || typeof item === 'boolean' || item === null) {
          continue
        }
      }
      const d = this.dec(item, next)
      if (d !== item) {
        // Spread defines own data properties, so a `__proto__` key stays a plain key.
        if (out === source) out = { ...source }
        out[key] = d
      }
    }
    return out
  }

  decTagged(node: Obj, tag: unknown, next: number): unknown {
    if (typeof tag !== 'string') throw malformed(`__type__ must be a string, got ${describeType(tag)}`)
    switch (tag) {
      case 'undefined':
        return undefined
      case 'number':
        return decNumber(node)
      case 'bigint':
        return this.decBigInt(node)
      case 'Date':
        return decDate(this.strings(node, 'value'))
      case 'Map':
        return this.decMap(node, next)
      case 'Set': {
        const values = node.values
        if (!isArray(values)) throw malformed('Set tag needs a values array')
        this.entries(values.length)
        const set = new Set()
        for (let i = 0; i < values.length; i++) set.add(this.dec(values[i], next))
        return set
      }
      case 'RegExp':
        return decRegExp(this.strings(node, 'source'))
      case 'URL':
        return decUrl(this.strings(node, 'value'))
      case 'Error':
        return this.decError(node, next)
      case 'ArrayBuffer':
        return this.bytes(node, tag).buffer
      case 'DataView':
        return new DataView(this.bytes(node, tag).buffer)
      case 'Buffer': {
        const bytes = this.bytes(node, tag)
        return NodeBuffer ? NodeBuffer.from(bytes.buffer, 0, bytes.byteLength) : bytes
      }
      case 'object':
        return this.decObjectEntries(node, next)
    }
    const typed = hasOwn(typedArrays, tag) ? typedArrays[tag] : undefined
    return typed === undefined ? this.decRegistered(node, tag, next) : this.decTypedArray(node, tag, typed)
  }

  decBigInt(node: Obj): bigint {
    const text = node.value
    if (typeof text !== 'string') throw malformed('bigint tag needs a decimal string')
    const digits = text.length - (text.charCodeAt(0) === 45 ? 1 : 0)
    const max = this.budget.maxBigIntDigits
    if (digits > max) throw overSize('maxBigIntDigits', max, `a BigInt of ${digits} digits`)
    if (!isDecimal(text)) throw malformed('bigint tag needs a decimal string')
    return BigInt(text)
  }

  /** Checks the string fields of a tagged node against `maxStringLength`; returns the node. */
  strings(node: Obj, ...fields: string[]): Obj {
    for (const field of fields) {
      const value = node[field]
      if (typeof value === 'string') this.str(value)
    }
    return node
  }

  decMap(node: Obj, next: number): Map<unknown, unknown> {
    const entries = node.entries
    if (!isArray(entries)) throw malformed('Map tag needs an entries array')
    this.entries(entries.length * 2)
    const map = new Map()
    for (let i = 0; i < entries.length; i++) {
      const entry: unknown = entries[i]
      if (!isArray(entry) || entry.length !== 2) throw malformed('Map entries are [key, value] pairs')
      const k: unknown = entry[0]
      const v: unknown = entry[1]
      map.set(
        typeof k === 'string' ? this.str(k) : this.dec(k, next),
        typeof v === 'string' ? this.str(v) : this.dec(v, next),
      )
    }
    return map
  }

  decObjectEntries(node: Obj, next: number): Obj {
    const entries = node.entries
    if (!isArray(entries)) throw malformed('object tag needs an entries array')
    this.entries(entries.length)
    const out: Obj = {}
    for (let i = 0; i < entries.length; i++) {
      const entry: unknown = entries[i]
      if (!isArray(entry) || entry.length !== 2 || typeof entry[0] !== 'string') {
        throw malformed('object entries are [string key, value] pairs')
      }
      const value: unknown = entry[1]
      defineKey(out, this.str(entry[0]), typeof value === 'string' ? this.str(value) : this.dec(value, next))
    }
    return out
  }

  decTypedArray(node: Obj, tag: string, typed: (typeof typedArrays)[string]): unknown {
    const bytes = this.bytes(node, tag)
    if (bytes.byteLength % typed.BYTES_PER_ELEMENT !== 0) {
      throw malformed(`${tag} byte length must be a multiple of ${typed.BYTES_PER_ELEMENT}`)
    }
    return new typed(bytes.buffer as ArrayBuffer, 0, bytes.byteLength / typed.BYTES_PER_ELEMENT)
  }

  decRegistered(node: Obj, tag: string, next: number): unknown {
    const entry = this.registry.byName.get(tag)
    if (entry === undefined) {
      const shown = tag.length > TAG_PREVIEW ? tag.slice(0, TAG_PREVIEW) : tag
      throw cmError(
        'CM_ERR_UNKNOWN_TYPE',
        `unknown __type__ ${previewTag(tag)}: register the type before decoding`,
        {
          details: { tag: shown },
        },
      )
    }
    if (!hasOwn(node, 'value')) throw malformed(`${previewTag(tag)} tag needs a value`)
    const inner = this.dec(node.value, next)
    try {
      return entry.definition.decode(inner)
    } catch (cause) {
      // A registered decoder's own failure (bad data for its type) is malformed input, not a crash.
      if (cause instanceof CompManagerError) throw cause
      const reason = cause instanceof Error ? cause.message : String(cause)
      throw cmError('CM_ERR_MALFORMED', `cannot decode ${previewTag(tag)}: ${reason}`, {
        cause,
        details: { tag: entry.name },
      })
    }
  }

  bytes(node: Obj, tag: string): Uint8Array {
    const text = node.base64
    const max = this.budget.maxBinaryBytes
    if (typeof text === 'string' && base64Bytes(text.length) > max + 2) {
      throw overSize('maxBinaryBytes', max, `a ${tag} of about ${base64Bytes(text.length)} bytes`)
    }
    const bytes = typeof text === 'string' ? base64ToBytes(text) : null
    if (bytes === null) throw malformed(`${tag} tag needs a base64 string`)
    if (bytes.byteLength > max) throw overSize('maxBinaryBytes', max, `a ${tag} of ${bytes.byteLength} bytes`)
    return bytes
  }

  decError(node: Obj, next: number): Error {
    const { name, message, stack, code } = this.strings(node, 'name', 'message', 'stack', 'code')
    if (typeof name !== 'string' || typeof message !== 'string')
      throw malformed('Error tag needs string name and message')
    if (stack !== undefined && typeof stack !== 'string') throw malformed('Error stack must be a string')
    if (code !== undefined && typeof code !== 'string') throw malformed('Error code must be a string')
    // A fixed list of constructors: the name is data, never looked up anywhere else.
    const ctor = hasOwn(errorConstructors, name) ? errorConstructors[name]! : Error
    const err = new ctor(message)
    if (err.name !== name) err.name = name
    Object.defineProperty(err, 'stack', hidden(typeof stack === 'string' ? stack : `${name}: ${message}`))
    if (typeof code === 'string') (err as Error & { code: string }).code = code
    if (hasOwn(node, 'cause')) Object.defineProperty(err, 'cause', hidden(this.dec(node.cause, next)))
    return err
  }
}

function decNumber(node: Obj): number {
  switch (node.value) {
    case 'NaN':
      return Number.NaN
    case 'Infinity':
      return Number.POSITIVE_INFINITY
    case '-Infinity':
      return Number.NEGATIVE_INFINITY
    case '-0':
      return -0
  }
  throw malformed('number tag needs value "NaN", "Infinity", "-Infinity" or "-0"')
}

function decDate(node: Obj): Date {
  const value = node.value
  if (value === null) return new Date(Number.NaN)
  const date = typeof value === 'string' ? parseDate(value) : undefined
  if (date === undefined || Number.isNaN(date.getTime()))
    throw malformed('Date tag needs an ISO string or null')
  return date
}

function decRegExp(node: Obj): RegExp {
  const { source, flags } = node
  if (typeof source !== 'string' || typeof flags !== 'string' || !REGEXP_FLAGS.test(flags)) {
    throw malformed('RegExp tag needs a string source and flags among "dgimsuvy"')
  }
  try {
    return new RegExp(source, flags)
  } catch (cause) {
    throw cmError('CM_ERR_MALFORMED', `invalid RegExp: ${(cause as Error).message}`, { cause })
  }
}

function decUrl(node: Obj): URL {
  const href = node.value
  if (typeof href === 'string') {
    try {
      return new URL(href)
    } catch {}
  }
  throw malformed('URL tag needs a valid absolute URL')
}
