/** Tags of the built-in types, reserved: a registered type may not use them. */

type TypedArrayConstructor =
  | Int8ArrayConstructor
  | Uint8ArrayConstructor
  | Uint8ClampedArrayConstructor
  | Int16ArrayConstructor
  | Uint16ArrayConstructor
  | Int32ArrayConstructor
  | Uint32ArrayConstructor
  | Float32ArrayConstructor
  | Float64ArrayConstructor
  | BigInt64ArrayConstructor
  | BigUint64ArrayConstructor

export const typedArrays: Readonly<Record<string, TypedArrayConstructor>> = {
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
}

/** Typed-array prototype → tag. */
export const typedArrayTags = new Map<object, string>(
  Object.entries(typedArrays).map(([name, ctor]) => [ctor.prototype, name]),
)

export interface NodeBufferConstructor {
  prototype: object
  from(data: ArrayBufferLike, byteOffset?: number, length?: number): Uint8Array
}

export const NodeBuffer = (globalThis as { Buffer?: NodeBufferConstructor }).Buffer

export const reservedTags: ReadonlySet<string> = new Set([
  'undefined',
  'number',
  'bigint',
  'Date',
  'Map',
  'Set',
  'RegExp',
  'URL',
  'Error',
  'ArrayBuffer',
  'DataView',
  'Buffer',
  'object',
  ...Object.keys(typedArrays),
])

/** Error constructors recreated by name on decode (a fixed list: decoding never looks names up elsewhere). */
export const errorConstructors: Readonly<Record<string, ErrorConstructor>> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
}

export const REGEXP_FLAGS = /^[dgimsuvy]*$/
