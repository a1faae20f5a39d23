/** A JSON value: what `encode` returns and `decode` accepts. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue }

/**
 * A user type the codec can carry. `encode` returns any value the codec itself can encode (it is
 * encoded recursively, so it may hold BigInts, Maps or other registered types); `decode` receives
 * that value already decoded. Encoded form: `{"__type__": name, "value": <encoded>}`.
 *
 * For hashing, the canonical form of a registered value is the canonical form of what `encode`
 * returns, so `encode` must be deterministic: equal values → equal output.
 */
export interface TypeDefinition<T = unknown, E = unknown> {
  /** Unique tag, e.g. `'mathjs.Fraction'`. Built-in tag names are reserved. */
  name: string
  /** Recognises values of this type. Only consulted for non-plain objects. */
  is: (value: unknown) => boolean
  encode: (value: T) => E
  decode: (encoded: E) => T
}

/** Options of `registerClass`: by default `instance.toJSON()` and `Class.fromJSON(data)`. */
export interface ClassOptions<T, E> {
  /** Tag name; defaults to the class name. */
  name?: string
  toJSON?: (value: T) => E
  fromJSON?: (data: E) => T
}

export interface CodecLimits {
  /**
   * Deepest nesting accepted when encoding, decoding or hashing, counted in containers (arrays, objects,
   * Maps, Sets, tagged nodes): 3 accepts `[[[1]]]`. A cycle is reported as `CM_ERR_CYCLE`. Default 512.
   */
  maxDepth?: number
  /** Largest JSON text accepted by `parse` or produced by `stringify`, in UTF-8 bytes. Default 64 MiB. */
  maxBytes?: number
  /** Most digits of a decoded BigInt (sign excluded): parsing grows faster than linearly. Default 10,000. */
  maxBigIntDigits?: number
  /** Longest decoded string (object keys included), in UTF-16 code units. Default 16 Mi. */
  maxStringLength?: number
  /** Largest decoded binary value (ArrayBuffer, DataView, Buffer, typed arrays), in bytes. Default 16 MiB. */
  maxBinaryBytes?: number
  /** Most entries in one decoded container (array items, object keys, Map entries, Set values). Default 100,000. */
  maxEntries?: number
  /** Most values in one decoded tree, containers and primitives alike. Default 100,000. */
  maxNodes?: number
}

export const DEFAULT_MAX_DEPTH = 512
export const DEFAULT_MAX_BYTES = 64 * 1024 * 1024

/** The tag key. Plain objects that own this key are escaped (see the `object` tag). */
export const TYPE_KEY = '__type__'
