import { cmError, describeType } from '../errors/index.js'
import { DEFAULT_DECODE_BUDGET, type DecodeBudget } from './budget.js'

const UNBOUNDED_BUDGET: DecodeBudget = Object.freeze({
  maxBigIntDigits: Number.MAX_SAFE_INTEGER,
  maxStringLength: Number.MAX_SAFE_INTEGER,
  maxBinaryBytes: Number.MAX_SAFE_INTEGER,
  maxEntries: Number.MAX_SAFE_INTEGER,
  maxNodes: Number.MAX_SAFE_INTEGER,
})

import { reservedTags } from './builtins.js'
import { Canonicalizer } from './canonical.js'
import { Decoder } from './decode.js'
import { Encoder } from './encode.js'
import { TypeRegistry } from './registry.js'
import { Stringifier } from './stringify.js'
import {
  type ClassOptions,
  type CodecLimits,
  DEFAULT_MAX_BYTES,
  DEFAULT_MAX_DEPTH,
  type JsonValue,
  type TypeDefinition,
} from './types.js'

function positiveInteger(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw cmError('CM_ERR_INVALID_ARGUMENT', `${name} must be a positive integer`, {
      details: { option: name },
    })
  }
  return value
}

function decodeBudget(limits: CodecLimits): DecodeBudget {
  const budget = {} as Record<keyof DecodeBudget, number>
  for (const [name, fallback] of Object.entries(DEFAULT_DECODE_BUDGET)) {
    const key = name as keyof DecodeBudget
    budget[key] = positiveInteger(limits[key] ?? fallback, name)
  }
  return Object.freeze(budget)
}

function utf8Bytes(text: string, limit: number): number {
  // Characters never outnumber UTF-8 bytes, and no character takes more than 3 bytes per UTF-16 unit.
  if (text.length > limit || text.length * 3 <= limit) return text.length
  return new TextEncoder().encode(text).byteLength
}

function tooLarge(what: string, limit: number) {
  return cmError('CM_ERR_MAX_BYTES', `${what} is larger than maxBytes (${limit} bytes)`, {
    details: { limit },
  })
}

/** A `maxDepth` set higher than the JS stack allows ends in the engine's RangeError: reported as a depth error. */
function rethrow(err: unknown, maxDepth: number): never {
  if (err instanceof RangeError && /call stack/i.test(err.message)) {
    throw cmError(
      'CM_ERR_MAX_DEPTH',
      `value nests deeper than the call stack allows (maxDepth ${maxDepth})`,
      {
        cause: err,
        details: { limit: maxDepth },
      },
    )
  }
  throw err
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
  /** The decoding budgets in force (`maxBigIntDigits`, `maxStringLength`, `maxBinaryBytes`, `maxEntries`, `maxNodes`). */
  readonly budget: DecodeBudget
  readonly #registry: TypeRegistry
  readonly #encoder: Encoder
  readonly #canonicalizer: Canonicalizer
  readonly #stringifier: Stringifier
  readonly #decoder: Decoder

  constructor(limits: CodecLimits = {}) {
    this.maxDepth = positiveInteger(limits.maxDepth ?? DEFAULT_MAX_DEPTH, 'maxDepth')
    this.maxBytes = positiveInteger(limits.maxBytes ?? DEFAULT_MAX_BYTES, 'maxBytes')
    this.budget = decodeBudget(limits)
    this.#registry = new TypeRegistry()
    this.#encoder = new Encoder(this.#registry, this.maxDepth)
    this.#canonicalizer = new Canonicalizer(this.#registry, this.maxDepth)
    this.#stringifier = new Stringifier(this.#registry, this.maxDepth)
    this.#decoder = new Decoder(this.#registry, this.maxDepth, this.budget)
  }

  /** A codec with other limits and the registered types of this one (registrations made later are not shared). */
  withLimits(limits: CodecLimits): Codec {
    const codec = new Codec({ maxDepth: this.maxDepth, maxBytes: this.maxBytes, ...this.budget, ...limits })
    codec.#registry.copyFrom(this.#registry)
    return codec
  }

  /** Registers a type by predicate. Names are unique; registering a name twice is an error. */
  registerType<T, E>(definition: TypeDefinition<T, E>): this {
    this.#registry.registerType(definition as TypeDefinition)
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
    this.#registry.registerClass(ctor, options)
    return this
  }

  /** True when a type of that name is registered (built-in tags count). */
  hasType(name: string): boolean {
    return reservedTags.has(name) || this.#registry.byName.has(name)
  }

  /** The definition registered under `name` (not for built-ins), e.g. to tell one's own types on a copy. */
  getType(name: string): TypeDefinition<unknown, unknown> | undefined {
    return this.#registry.byName.get(name)?.definition
  }

  /** Names of the registered (non built-in) types. */
  registeredTypes(): string[] {
    return [...this.#registry.byName.keys()]
  }

  /** Encodes a value into a JSON tree. Parts that need no change are shared, not copied. */
  encode(value: unknown): JsonValue {
    const encoder = this.#encoder.busy ? new Encoder(this.#registry, this.maxDepth) : this.#encoder
    return encoder.encode(value) as JsonValue
  }

  /** `JSON.stringify(encode(value))` (written directly, without the tree), refused over `maxBytes`. */
  stringify(value: unknown): string {
    const writer = this.#stringifier.busy ? new Stringifier(this.#registry, this.maxDepth) : this.#stringifier
    const text = writer.stringify(value)
    if (utf8Bytes(text, this.maxBytes) > this.maxBytes) throw tooLarge('encoded value', this.maxBytes)
    return text
  }

  /**
   * The canonical text of a value: its encoding as JSON with object keys sorted, Map entries and Set
   * values sorted by their canonical text, and Error stacks left out. Equal values give equal text
   * whatever the key or insertion order; see HASHING.md.
   */
  canonical(value: unknown): string {
    const walker = this.#canonicalizer.busy
      ? new Canonicalizer(this.#registry, this.maxDepth)
      : this.#canonicalizer
    return walker.canonical(value)
  }

  /**
   * Decodes a JSON tree. Parts that need no change are shared with the input, not copied.
   * `stored: true` is for text this codec wrote itself (a cached value, a stored result): the decoding
   * budgets guard untrusted input and do not apply, so whatever was stored reads back.
   */
  decode(tree: unknown, options?: { stored?: boolean }): unknown {
    const decoder =
      options?.stored === true
        ? new Decoder(this.#registry, this.maxDepth, UNBOUNDED_BUDGET)
        : this.#decoder.busy
          ? new Decoder(this.#registry, this.maxDepth, this.budget)
          : this.#decoder
    try {
      return decoder.decodeTree(tree)
    } catch (err) {
      rethrow(err, this.maxDepth)
    }
  }

  /** `decode(JSON.parse(text))`, refused over `maxBytes` or when the text is not JSON. */
  parse(text: string, options?: { stored?: boolean }): unknown {
    if (typeof text !== 'string') {
      throw cmError('CM_ERR_INVALID_ARGUMENT', `parse expects a string, got ${describeType(text)}`)
    }
    if (utf8Bytes(text, this.maxBytes) > this.maxBytes) throw tooLarge('text', this.maxBytes)
    let tree: unknown
    try {
      tree = JSON.parse(text)
    } catch (cause) {
      if (cause instanceof SyntaxError) {
        throw cmError('CM_ERR_MALFORMED', `not valid JSON: ${cause.message}`, { cause })
      }
      rethrow(cause, this.maxDepth)
    }
    return this.decode(tree, options)
  }
}
