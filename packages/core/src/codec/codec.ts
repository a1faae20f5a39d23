import { type CompManagerError, cmError, describeType } from '../errors.js'
import { base64ToBytes, bytesToBase64 } from './base64.js'
import {
  BIGINT_TEXT,
  errorConstructors,
  NodeBuffer,
  REGEXP_FLAGS,
  reservedTags,
  typedArrays,
  typedArrayTags,
} from './builtins.js'
import {
  type ClassOptions,
  type CodecLimits,
  DEFAULT_MAX_BYTES,
  DEFAULT_MAX_DEPTH,
  type JsonValue,
  TYPE_KEY,
  type TypeDefinition,
} from './types.js'

type Obj = Record<string, unknown>
type Tagged = Obj & { __type__: string }
type AnyDefinition = TypeDefinition<any, any>

const objectProto = Object.prototype
const getProto = Object.getPrototypeOf
const hasOwn = Object.hasOwn
const jsonQuote = JSON.stringify as (s: string) => string
// Strings with nothing to escape (the common case) skip the JSON.stringify call.
const NEEDS_ESCAPE = /[\u0000-\u001f"\\\ud800-\udfff]/
function quote(s: string): string {
  return s.length < 512 && !NEEDS_ESCAPE.test(s) ? '"' + s + '"' : jsonQuote(s)
}

// Canonical spellings of the values JSON cannot hold (see HASHING.md).
const C_UNDEFINED = '{"__type__":"undefined"}'
const C_NAN = '{"__type__":"number","value":"NaN"}'
const C_INF = '{"__type__":"number","value":"Infinity"}'
const C_NINF = '{"__type__":"number","value":"-Infinity"}'
const C_NEG_ZERO = '{"__type__":"number","value":"-0"}'

function specialNumber(n: number): Tagged {
  return { __type__: 'number', value: Object.is(n, -0) ? '-0' : String(n) }
}

function byteView(v: ArrayBufferView): Uint8Array {
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength)
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

function comparePairs(a: [string, string], b: [string, string]): number {
  return compareText(a[0], b[0]) || compareText(a[1], b[1])
}

function copyOf(obj: Obj): Obj {
  // Spread defines own data properties, so a `__proto__` key stays a plain key.
  return { ...obj }
}

function defineKey(target: Obj, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true })
  } else {
    target[key] = value
  }
}

function malformed(message: string, details?: Record<string, unknown>): CompManagerError {
  return cmError('CM_ERR_MALFORMED', message, details ? { details } : undefined)
}

function utf8Bytes(text: string, limit: number): number {
  // Characters never outnumber UTF-8 bytes, and no character takes more than 3 bytes per UTF-16 unit.
  if (text.length > limit || text.length * 3 <= limit) return text.length
  return new TextEncoder().encode(text).byteLength
}

/**
 * The tagged JSON codec: turns rich values into JSON trees with a `__type__` discriminator and back,
 * and writes their canonical form for hashing. One registry of types serves both, so a value hashes
 * the way it encodes.
 *
 * Safety: decoding never executes code from the input, never assigns a prototype, refuses unknown tags
 * and enforces depth and size limits. Encoding never falls back to a lossy form: an unknown type is an
 * error that says how to register it.
 */
export class Codec {
  readonly maxDepth: number
  readonly maxBytes: number
  readonly #byName = new Map<string, AnyDefinition>()
  readonly #byConstructor = new Map<unknown, AnyDefinition>()
  readonly #predicates: AnyDefinition[] = []
  /** Ancestors of the node being visited, for cycle reports and error paths. */
  #path: unknown[] = []

  constructor(limits: CodecLimits = {}) {
    this.maxDepth = positiveInteger(limits.maxDepth ?? DEFAULT_MAX_DEPTH, 'maxDepth')
    this.maxBytes = positiveInteger(limits.maxBytes ?? DEFAULT_MAX_BYTES, 'maxBytes')
  }

  /** A codec with other limits and a copy of this one's registered types. */
  withLimits(limits: CodecLimits): Codec {
    const codec = new Codec({ maxDepth: this.maxDepth, maxBytes: this.maxBytes, ...limits })
    for (const def of this.#byName.values()) codec.#add(def, this.#constructorOf(def))
    return codec
  }

  /** Registers a type by predicate. Names are unique; registering a name twice is an error. */
  registerType<T, E>(definition: TypeDefinition<T, E>): this {
    this.#validateDefinition(definition as AnyDefinition)
    this.#add(definition as AnyDefinition, undefined)
    return this
  }

  /**
   * Registers a class: instances (exactly of this class) encode through `toJSON` (default: the
   * instance's own `toJSON()`) and decode through `fromJSON` (default: the static `fromJSON`).
   */
  registerClass<T extends object, E = unknown>(
    ctor: abstract new (...args: never[]) => T,
    options: ClassOptions<T, E> = {},
  ): this {
    if (typeof ctor !== 'function' || typeof ctor.prototype !== 'object' || ctor.prototype === null) {
      throw cmError('CM_ERR_INVALID_ARGUMENT', `registerClass needs a class, got ${describeType(ctor)}`)
    }
    if (this.#byConstructor.has(ctor)) {
      throw cmError('CM_ERR_TYPE_REGISTERED', `class ${ctor.name} is already registered with this codec`)
    }
    const name = options.name ?? ctor.name
    const toJSON =
      options.toJSON ??
      ((value: T) => {
        const method = (value as { toJSON?: unknown }).toJSON
        if (typeof method !== 'function') {
          throw cmError('CM_ERR_UNSUPPORTED_TYPE', `class ${name} has no toJSON(); pass { toJSON } to registerClass`)
        }
        return method.call(value) as E
      })
    const staticFromJSON = (ctor as unknown as { fromJSON?: unknown }).fromJSON
    const fromJSON = options.fromJSON ?? (staticFromJSON as ((data: E) => T) | undefined)
    if (typeof fromJSON !== 'function') {
      throw cmError(
        'CM_ERR_INVALID_ARGUMENT',
        `class ${name} has no static fromJSON(); pass { fromJSON } to registerClass`,
      )
    }
    const definition: TypeDefinition<T, E> = {
      name,
      is: (value) => value instanceof ctor,
      encode: toJSON,
      decode: (data) => fromJSON.call(ctor, data),
    }
    this.#validateDefinition(definition as AnyDefinition)
    this.#add(definition as AnyDefinition, ctor)
    return this
  }

  /** True when a type of that name is registered (built-in tags count). */
  hasType(name: string): boolean {
    return reservedTags.has(name) || this.#byName.has(name)
  }

  /** Names of the registered (non built-in) types. */
  registeredTypes(): string[] {
    return [...this.#byName.keys()]
  }

  // ── encode ──────────────────────────────────────────────────────────────────────────────────────

  /** Encodes a value into a JSON tree. Parts that need no change are shared, not copied. */
  encode(value: unknown): JsonValue {
    return this.#enc(value, 0) as JsonValue
  }

  /** `JSON.stringify(encode(value))`, refused over `maxBytes`. */
  stringify(value: unknown): string {
    const text = JSON.stringify(this.encode(value))
    const bytes = utf8Bytes(text, this.maxBytes)
    if (bytes > this.maxBytes) {
      throw cmError('CM_ERR_MAX_BYTES', `encoded value is larger than maxBytes (${this.maxBytes} bytes)`, {
        details: { limit: this.maxBytes },
      })
    }
    return text
  }

  #enc(v: unknown, depth: number): unknown {
    switch (typeof v) {
      case 'string':
      case 'boolean':
        return v
      case 'number':
        return Number.isFinite(v) && !(v === 0 && 1 / v < 0) ? v : specialNumber(v)
      case 'bigint':
        return { __type__: 'bigint', value: v.toString() }
      case 'undefined':
        return { __type__: 'undefined' }
      case 'object':
        return v === null ? null : this.#encObject(v as object, depth)
      default:
        throw this.#unsupported(v, depth)
    }
  }

  #encObject(obj: object, depth: number): unknown {
    this.#enter(obj, depth)
    const next = depth + 1
    if (Array.isArray(obj)) {
      let out = obj
      for (let i = 0; i < obj.length; i++) {
        const item = obj[i]
        const e = this.#enc(item, next)
        if (e !== item) {
          if (out === obj) out = obj.slice()
          out[i] = e
        }
      }
      return out
    }
    const proto = getProto(obj)
    if (proto === objectProto || proto === null) {
      const source = obj as Obj
      if (hasOwn(source, TYPE_KEY)) {
        const entries = Object.keys(source).map((k) => [k, this.#enc(source[k], next)])
        return { __type__: 'object', entries }
      }
      let out = source
      for (const key of Object.keys(source)) {
        const item = source[key]
        const e = this.#enc(item, next)
        if (e !== item) {
          if (out === source) out = copyOf(source)
          out[key] = e
        }
      }
      return out
    }
    return this.#encSpecial(obj, proto, next)
  }

  #encSpecial(obj: object, proto: object, next: number): Tagged {
    const registered = this.#byConstructor.get(proto.constructor)
    if (registered) return { __type__: registered.name, value: this.#enc(registered.encode(obj), next) }
    switch (proto) {
      case Date.prototype: {
        const time = (obj as Date).getTime()
        return { __type__: 'Date', value: Number.isNaN(time) ? null : (obj as Date).toISOString() }
      }
      case Map.prototype: {
        const entries: unknown[] = []
        for (const [k, val] of obj as Map<unknown, unknown>) entries.push([this.#enc(k, next), this.#enc(val, next)])
        return { __type__: 'Map', entries }
      }
      case Set.prototype: {
        const values: unknown[] = []
        for (const val of obj as Set<unknown>) values.push(this.#enc(val, next))
        return { __type__: 'Set', values }
      }
    }
    const flat = encodeFlat(obj, proto)
    if (flat !== undefined) return flat
    if (obj instanceof Error) return this.#encError(obj, next)
    for (const def of this.#predicates) {
      if (def.is(obj)) return { __type__: def.name, value: this.#enc(def.encode(obj), next) }
    }
    throw this.#unsupported(obj, next - 1)
  }

  #encError(err: Error, next: number): Tagged {
    const out: Tagged = { __type__: 'Error', name: String(err.name), message: String(err.message) }
    if (typeof err.stack === 'string') out.stack = err.stack
    const code = (err as { code?: unknown }).code
    if (typeof code === 'string') out.code = code
    if (hasOwn(err, 'cause')) out.cause = this.#enc(err.cause, next)
    return out
  }

  // ── canonical form (hashing) ────────────────────────────────────────────────────────────────────

  /**
   * The canonical text of a value: its encoding as JSON with object keys sorted, Map entries and Set
   * values sorted by their canonical text, and Error stacks left out. Equal values give equal text
   * whatever the key or insertion order; see HASHING.md.
   */
  canonical(value: unknown): string {
    return this.#canon(value, 0)
  }

  #canon(v: unknown, depth: number): string {
    switch (typeof v) {
      case 'string':
        return quote(v)
      case 'number':
        if (Number.isFinite(v)) return v === 0 && 1 / v < 0 ? C_NEG_ZERO : '' + v
        return v !== v ? C_NAN : v > 0 ? C_INF : C_NINF
      case 'boolean':
        return v ? 'true' : 'false'
      case 'bigint':
        return '{"__type__":"bigint","value":"' + v.toString() + '"}'
      case 'undefined':
        return C_UNDEFINED
      case 'object':
        return v === null ? 'null' : this.#canonObject(v as object, depth)
      default:
        throw this.#unsupported(v, depth)
    }
  }

  #canonObject(obj: object, depth: number): string {
    this.#enter(obj, depth)
    const next = depth + 1
    if (Array.isArray(obj)) {
      let s = '['
      for (let i = 0; i < obj.length; i++) {
        if (i > 0) s += ','
        s += this.#canon(obj[i], next)
      }
      return s + ']'
    }
    const proto = getProto(obj)
    if (proto === objectProto || proto === null) {
      const source = obj as Obj
      const keys = Object.keys(source).sort()
      if (hasOwn(source, TYPE_KEY)) {
        let s = '{"__type__":"object","entries":['
        for (let i = 0; i < keys.length; i++) {
          const key = keys[i]!
          if (i > 0) s += ','
          s += '[' + quote(key) + ',' + this.#canon(source[key], next) + ']'
        }
        return s + ']}'
      }
      let s = '{'
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i]!
        if (i > 0) s += ','
        s += quote(key) + ':' + this.#canon(source[key], next)
      }
      return s + '}'
    }
    const registered = this.#byConstructor.get(proto.constructor)
    if (registered) return this.#canonRegistered(registered, obj, next)
    switch (proto) {
      case Map.prototype: {
        const pairs: [string, string][] = []
        for (const [k, val] of obj as Map<unknown, unknown>) pairs.push([this.#canon(k, next), this.#canon(val, next)])
        pairs.sort(comparePairs)
        let s = '{"__type__":"Map","entries":['
        for (let i = 0; i < pairs.length; i++) {
          const pair = pairs[i]!
          if (i > 0) s += ','
          s += '[' + pair[0] + ',' + pair[1] + ']'
        }
        return s + ']}'
      }
      case Set.prototype: {
        const values: string[] = []
        for (const val of obj as Set<unknown>) values.push(this.#canon(val, next))
        values.sort(compareText)
        return '{"__type__":"Set","values":[' + values.join(',') + ']}'
      }
      case Date.prototype: {
        const time = (obj as Date).getTime()
        return '{"__type__":"Date","value":' + (Number.isNaN(time) ? 'null' : quote((obj as Date).toISOString())) + '}'
      }
    }
    const flat = encodeFlat(obj, proto)
    if (flat !== undefined) return canonicalFlat(flat)
    if (obj instanceof Error) return this.#canonError(obj, next)
    for (const def of this.#predicates) {
      if (def.is(obj)) return this.#canonRegistered(def, obj, next)
    }
    throw this.#unsupported(obj, depth)
  }

  #canonRegistered(def: AnyDefinition, obj: object, next: number): string {
    return '{"__type__":' + quote(def.name) + ',"value":' + this.#canon(def.encode(obj), next) + '}'
  }

  /** Like the Error encoding with keys sorted, minus `stack` (it differs between equal errors). */
  #canonError(err: Error, next: number): string {
    let s = '{"__type__":"Error"'
    if (hasOwn(err, 'cause')) s += ',"cause":' + this.#canon(err.cause, next)
    const code = (err as { code?: unknown }).code
    if (typeof code === 'string') s += ',"code":' + quote(code)
    return s + ',"message":' + quote(String(err.message)) + ',"name":' + quote(String(err.name)) + '}'
  }

  // ── decode ──────────────────────────────────────────────────────────────────────────────────────

  /** Decodes a JSON tree. Parts that need no change are shared with the input, not copied. */
  decode(tree: unknown): unknown {
    return this.#dec(tree, 0)
  }

  /** `decode(JSON.parse(text))`, refused over `maxBytes` or when the text is not JSON. */
  parse(text: string): unknown {
    if (typeof text !== 'string') {
      throw cmError('CM_ERR_INVALID_ARGUMENT', `parse expects a string, got ${describeType(text)}`)
    }
    if (utf8Bytes(text, this.maxBytes) > this.maxBytes) {
      throw cmError('CM_ERR_MAX_BYTES', `text is larger than maxBytes (${this.maxBytes} bytes)`, {
        details: { limit: this.maxBytes },
      })
    }
    let tree: unknown
    try {
      tree = JSON.parse(text)
    } catch (cause) {
      throw cmError('CM_ERR_MALFORMED', `not valid JSON: ${(cause as Error).message}`, { cause })
    }
    return this.#dec(tree, 0)
  }

  #dec(v: unknown, depth: number): unknown {
    switch (typeof v) {
      case 'string':
      case 'number':
      case 'boolean':
        return v
      case 'object':
        if (v === null) return v
        break
      default:
        throw malformed(`not a JSON value: ${describeType(v)}`)
    }
    if (depth >= this.maxDepth) {
      throw cmError('CM_ERR_MAX_DEPTH', `value nests deeper than maxDepth (${this.maxDepth})`, {
        details: { limit: this.maxDepth },
      })
    }
    const next = depth + 1
    if (Array.isArray(v)) {
      let out = v
      for (let i = 0; i < v.length; i++) {
        const item = v[i]
        const d = this.#dec(item, next)
        if (d !== item) {
          if (out === v) out = v.slice()
          out[i] = d
        }
      }
      return out
    }
    const proto = getProto(v)
    if (proto !== objectProto && proto !== null) throw malformed(`not a JSON value: ${describeType(v)}`)
    const source = v as Obj
    const tag = source[TYPE_KEY]
    if (tag !== undefined && hasOwn(source, TYPE_KEY)) return this.#decTagged(source, tag, next)
    let out = source
    for (const key of Object.keys(source)) {
      const item = source[key]
      const d = this.#dec(item, next)
      if (d !== item) {
        if (out === source) out = copyOf(source)
        out[key] = d
      }
    }
    return out
  }

  #decTagged(node: Obj, tag: unknown, next: number): unknown {
    if (typeof tag !== 'string') throw malformed('__type__ must be a string')
    switch (tag) {
      case 'undefined':
        return undefined
      case 'number':
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
      case 'bigint': {
        const text = node.value
        if (typeof text !== 'string' || !BIGINT_TEXT.test(text)) throw malformed('bigint tag needs a decimal string')
        return BigInt(text)
      }
      case 'Date': {
        const value = node.value
        if (value === null) return new Date(Number.NaN)
        const date = typeof value === 'string' ? new Date(value) : undefined
        if (date === undefined || Number.isNaN(date.getTime())) throw malformed('Date tag needs an ISO string or null')
        return date
      }
      case 'Map': {
        const entries = node.entries
        if (!Array.isArray(entries)) throw malformed('Map tag needs an entries array')
        const map = new Map()
        for (const entry of entries) {
          if (!Array.isArray(entry) || entry.length !== 2) throw malformed('Map entries are [key, value] pairs')
          map.set(this.#dec(entry[0], next), this.#dec(entry[1], next))
        }
        return map
      }
      case 'Set': {
        const values = node.values
        if (!Array.isArray(values)) throw malformed('Set tag needs a values array')
        const set = new Set()
        for (const item of values) set.add(this.#dec(item, next))
        return set
      }
      case 'RegExp': {
        const { source, flags } = node
        if (typeof source !== 'string' || typeof flags !== 'string' || !REGEXP_FLAGS.test(flags)) {
          throw malformed('RegExp tag needs string source and flags')
        }
        try {
          return new RegExp(source, flags)
        } catch (cause) {
          throw cmError('CM_ERR_MALFORMED', `invalid RegExp: ${(cause as Error).message}`, { cause })
        }
      }
      case 'URL': {
        if (typeof node.value !== 'string' || !URL.canParse(node.value)) throw malformed('URL tag needs a valid URL')
        return new URL(node.value)
      }
      case 'Error':
        return this.#decError(node, next)
      case 'ArrayBuffer':
        return this.#bytes(node, tag).buffer
      case 'DataView':
        return new DataView(this.#bytes(node, tag).buffer)
      case 'Buffer': {
        const bytes = this.#bytes(node, tag)
        return NodeBuffer ? NodeBuffer.from(bytes.buffer, 0, bytes.byteLength) : bytes
      }
      case 'object': {
        const entries = node.entries
        if (!Array.isArray(entries)) throw malformed('object tag needs an entries array')
        const out: Obj = {}
        for (const entry of entries) {
          if (!Array.isArray(entry) || entry.length !== 2 || typeof entry[0] !== 'string') {
            throw malformed('object entries are [string key, value] pairs')
          }
          defineKey(out, entry[0], this.#dec(entry[1], next))
        }
        return out
      }
    }
    const typed = hasOwn(typedArrays, tag) ? typedArrays[tag] : undefined
    if (typed !== undefined) {
      const bytes = this.#bytes(node, tag)
      if (bytes.byteLength % typed.BYTES_PER_ELEMENT !== 0) {
        throw malformed(`${tag} byte length must be a multiple of ${typed.BYTES_PER_ELEMENT}`)
      }
      return new typed(bytes.buffer as ArrayBuffer, 0, bytes.byteLength / typed.BYTES_PER_ELEMENT)
    }
    const def = this.#byName.get(tag)
    if (def === undefined) {
      throw cmError('CM_ERR_UNKNOWN_TYPE', `unknown __type__ '${tag.slice(0, 128)}': register it before decoding`, {
        details: { tag: tag.slice(0, 128) },
      })
    }
    if (!hasOwn(node, 'value')) throw malformed(`'${def.name}' tag needs a value`)
    return def.decode(this.#dec(node.value, next))
  }

  #bytes(node: Obj, tag: string): Uint8Array {
    const bytes = typeof node.base64 === 'string' ? base64ToBytes(node.base64) : null
    if (bytes === null) throw malformed(`${tag} tag needs a base64 string`)
    return bytes
  }

  #decError(node: Obj, next: number): Error {
    const { name, message, stack, code } = node
    if (typeof name !== 'string' || typeof message !== 'string') throw malformed('Error tag needs string name and message')
    const ctor = hasOwn(errorConstructors, name) ? errorConstructors[name]! : Error
    const err = new ctor(message)
    if (err.name !== name) err.name = name
    const hidden = (value: unknown) => ({ value, writable: true, enumerable: false, configurable: true })
    Object.defineProperty(err, 'stack', hidden(typeof stack === 'string' ? stack : `${name}: ${message}`))
    if (typeof code === 'string') (err as Error & { code: string }).code = code
    if (hasOwn(node, 'cause')) Object.defineProperty(err, 'cause', hidden(this.#dec(node.cause, next)))
    return err
  }

  // ── shared ──────────────────────────────────────────────────────────────────────────────────────

  #enter(obj: object, depth: number): void {
    if (depth >= this.maxDepth) throw this.#depthError(obj, depth)
    this.#path[depth] = obj
  }

  #depthError(obj: unknown, depth: number): CompManagerError {
    const chain = [...this.#path.slice(0, depth), obj]
    for (let j = 1; j < chain.length; j++) {
      const first = chain.indexOf(chain[j])
      if (first < j) {
        const at = describeChain(chain.slice(0, j + 1))
        const target = describeChain(chain.slice(0, first + 1))
        return cmError('CM_ERR_CYCLE', `value contains a reference cycle: ${at} refers back to ${target}`, {
          details: { path: at, target },
        })
      }
    }
    return cmError('CM_ERR_MAX_DEPTH', `value nests deeper than maxDepth (${this.maxDepth})`, {
      details: { limit: this.maxDepth },
    })
  }

  #unsupported(value: unknown, depth: number): CompManagerError {
    const type = describeType(value)
    const path = this.#describePath(depth, value)
    const hint =
      typeof value === 'object'
        ? `register it with codec.registerClass(${type}) or codec.registerType({ name, is, encode, decode })`
        : 'functions, symbols and similar values have no data form'
    return cmError('CM_ERR_UNSUPPORTED_TYPE', `cannot encode a value of type ${type} at ${path}: ${hint}`, {
      details: { type, path },
    })
  }

  /** `$.a[0]`-style path of `leaf` at `depth`, found again from its ancestors (on error only). */
  #describePath(depth: number, leaf: unknown): string {
    return describeChain([...this.#path.slice(0, depth), leaf])
  }

  #validateDefinition(def: AnyDefinition): void {
    if (typeof def !== 'object' || def === null) {
      throw cmError('CM_ERR_INVALID_ARGUMENT', 'registerType needs { name, is, encode, decode }')
    }
    const { name } = def
    if (typeof name !== 'string' || name.length === 0 || name.length > 128) {
      throw cmError('CM_ERR_INVALID_ARGUMENT', 'a codec type needs a name of 1-128 characters')
    }
    for (const fn of ['is', 'encode', 'decode'] as const) {
      if (typeof def[fn] !== 'function') {
        throw cmError('CM_ERR_INVALID_ARGUMENT', `codec type '${name}' needs a function '${fn}'`)
      }
    }
    if (reservedTags.has(name)) {
      throw cmError('CM_ERR_TYPE_REGISTERED', `'${name}' is a built-in codec type; pick another name`)
    }
    if (this.#byName.has(name)) {
      throw cmError('CM_ERR_TYPE_REGISTERED', `a codec type named '${name}' is already registered`)
    }
  }

  #add(def: AnyDefinition, ctor: unknown): void {
    this.#byName.set(def.name, def)
    if (ctor === undefined) this.#predicates.push(def)
    else this.#byConstructor.set(ctor, def)
  }

  #constructorOf(def: AnyDefinition): unknown {
    for (const [ctor, d] of this.#byConstructor) if (d === def) return ctor
    return undefined
  }
}

/** Built-ins whose encoding is flat (string fields only): RegExp, URL, binary data. */
function encodeFlat(obj: object, proto: object): Tagged | undefined {
  switch (proto) {
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
  if (typedTag !== undefined) return { __type__: typedTag, base64: bytesToBase64(byteView(obj as ArrayBufferView)) }
  if (NodeBuffer !== undefined && proto === NodeBuffer.prototype) {
    return { __type__: 'Buffer', base64: bytesToBase64(obj as Uint8Array) }
  }
  return undefined
}

/** Canonical text of a flat tagged node: keys sorted, every value a string. */
function canonicalFlat(node: Tagged): string {
  const keys = Object.keys(node).sort()
  return '{' + keys.map((key) => quote(key) + ':' + quote(node[key] as string)).join(',') + '}'
}

function describeChain(chain: readonly unknown[]): string {
  let path = '$'
  for (let i = 1; i < chain.length; i++) path += segment(chain[i - 1], chain[i])
  return path
}

function segment(parent: unknown, child: unknown): string {
  if (Array.isArray(parent)) return `[${parent.indexOf(child)}]`
  if (parent instanceof Map) {
    for (const [k, v] of parent) if (v === child || k === child) return `.get(${typeof k === 'string' ? quote(k) : '…'})`
    return '.get(…)'
  }
  if (parent instanceof Set) return '.values()[…]'
  if (typeof parent === 'object' && parent !== null) {
    const key = Object.keys(parent).find((k) => (parent as Obj)[k] === child)
    if (key !== undefined) return /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${quote(key)}]`
  }
  return '.…'
}

function positiveInteger(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw cmError('CM_ERR_INVALID_ARGUMENT', `${name} must be a positive integer`, { details: { option: name } })
  }
  return value
}
