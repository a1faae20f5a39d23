/**
 * The codec entry point, free of Node-only imports (usable in browsers):
 * `import { encode, decode } from '@comp-manager/core/codec'`.
 */
import { Codec } from './codec.js'
import type { ClassOptions, JsonValue, TypeDefinition } from './types.js'

export { DEFAULT_DECODE_BUDGET, type DecodeBudget } from './budget.js'
export { Codec } from './codec.js'
export * from './types.js'

/** The process-wide codec that `encode`, `decode`, `stringify`, `parse` and `hashKey` use by default. */
export const defaultCodec = new Codec()

/** Encodes a value into a JSON tree with `__type__` tags (default codec). */
export const encode = (value: unknown): JsonValue => defaultCodec.encode(value)
/** Decodes a JSON tree produced by `encode` (default codec). */
export const decode = (tree: unknown): unknown => defaultCodec.decode(tree)
/** Encodes a value to JSON text (default codec). */
export const stringify = (value: unknown): string => defaultCodec.stringify(value)
/** Decodes JSON text produced by `stringify` (default codec). */
export const parse = (text: string): unknown => defaultCodec.parse(text)
/** Registers a type on the default codec. */
export const registerType = <T, E>(definition: TypeDefinition<T, E>): Codec =>
  defaultCodec.registerType(definition)
/** Registers a class on the default codec. */
export const registerClass = <T extends object, E = unknown>(
  ctor: abstract new (...args: never[]) => T,
  options?: ClassOptions<T, E>,
): Codec => defaultCodec.registerClass(ctor, options)
