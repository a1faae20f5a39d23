import type { StaticDecode, TObject, TSchema } from 'typebox'
import { Check, Errors } from 'typebox/value'
import { cmError, describeType } from '../errors/index.js'

/**
 * Declarative options: one TypeBox schema per options object, checked property by property so every
 * failure is a `CM_ERR_INVALID_ARGUMENT` that names the package, the option (a dotted path for nested
 * objects) and what it must be: `@comp-manager/tracker: \`leaseMs\` must be an integer number of
 * milliseconds from 10 to 2147483647 or a duration such as '30s' or '1h' (got 0)`. `details` holds
 * `{ option, package }`. Durations (see `DurationSchema`) are decoded to milliseconds.
 */

export interface OptionsSpec {
  /** The npm package whose options these are, first in every message. */
  package: string
  /** What is being configured, after the package (`'createTracker'`, `'track()'`). */
  what?: string
  /** `undefined` stands for `{}` (all options optional). Default false: the options object is required. */
  optional?: boolean
}

export interface OptionsParser<S extends TObject> {
  readonly schema: S
  readonly spec: OptionsSpec
  /** Checks `input` and returns it decoded (durations in milliseconds); throws on the first problem. */
  parse(input: unknown): StaticDecode<S>
  /** Throws the `CM_ERR_INVALID_ARGUMENT` of option `path` (for checks across options). */
  fail(path: string, problem: string, cause?: unknown): never
}

/** A value as a failure message shows it: short, never a whole object. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string')
    return value.length > 40 ? `${JSON.stringify(value.slice(0, 40))}…` : JSON.stringify(value)
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value)
  if (value === undefined) return 'undefined'
  if (Array.isArray(value)) return 'an array'
  return describeType(value)
}

/** True for `{}`-like objects (prototype `Object.prototype` or `null`), false for arrays, classes, `null`. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

interface SchemaLike {
  type?: unknown
  properties?: Record<string, SchemaLike>
  required?: string[]
  additionalProperties?: unknown
  expected?: string
  anyOf?: SchemaLike[]
  const?: unknown
  minimum?: number
  maximum?: number
  minLength?: number
  maxLength?: number
  '~refine'?: unknown
  '~codec'?: { decode(value: unknown): unknown }
}

const isObjectSchema = (s: SchemaLike): boolean =>
  s.type === 'object' && typeof s.properties === 'object' && s['~refine'] === undefined

/**
 * Applies the schema's decoders (durations → milliseconds) to a checked value. Not TypeBox's
 * `Value.Decode`: that clones the value first, which would strip class instances (a store, a logger)
 * of their prototypes; here every value without a decoder is kept as it is, by reference.
 */
function decodeValue(node: SchemaLike, value: unknown): unknown {
  if (value === undefined) return value
  if (isObjectSchema(node) && isPlainObject(value)) {
    const out: Record<string, unknown> = { ...value }
    for (const [key, property] of Object.entries(node.properties ?? {})) {
      if (value[key] !== undefined) out[key] = decodeValue(property, value[key])
    }
    return out
  }
  const codec = node['~codec']
  if (codec !== undefined) return codec.decode(value)
  if (node.anyOf !== undefined) {
    const branch = node.anyOf.find((b) => Check(b as TSchema, value))
    return branch === undefined ? value : decodeValue(branch, value)
  }
  return value
}

/** The words for what a schema accepts, when it carries no `expected`. */
function expectedOf(schema: SchemaLike): string {
  if (typeof schema.expected === 'string') return schema.expected
  if (schema.anyOf !== undefined) {
    if (schema.anyOf.every((s) => s.const !== undefined)) {
      return `one of ${schema.anyOf.map((s) => String(s.const)).join(', ')}`
    }
    return schema.anyOf.map(expectedOf).join(' or ')
  }
  const bounds = (what: string, min?: number, max?: number) =>
    min !== undefined && max !== undefined
      ? `${what} from ${min} to ${max}`
      : min !== undefined
        ? `${what} ≥ ${min}`
        : max !== undefined
          ? `${what} ≤ ${max}`
          : what
  switch (schema.type) {
    case 'boolean':
      return 'a boolean'
    case 'integer':
      return bounds('an integer', schema.minimum, schema.maximum)
    case 'number':
      return bounds('a number', schema.minimum, schema.maximum)
    case 'string':
      return schema.minLength !== undefined && schema.minLength > 0 ? 'a non-empty string' : 'a string'
    case 'null':
      return 'null'
    case 'array':
      return 'an array'
    case 'object':
      return 'an object'
    case 'function':
      return 'a function'
    default:
      return 'valid'
  }
}

/**
 * Compiles an options schema (a `Type.Object`; `additionalProperties: false` refuses unknown keys)
 * into a parser. Nested `Type.Object` properties are checked the same way, with dotted paths.
 *
 * @example
 * const TrackerOptions = defineOptions(
 *   Type.Object({ store: StoreSchema, leaseMs: Type.Optional(DurationSchema({ min: 10 })) },
 *     { additionalProperties: false }),
 *   { package: '@comp-manager/tracker', what: 'createTracker' },
 * )
 * const { store, leaseMs = 30_000 } = TrackerOptions.parse(options)
 */
export function defineOptions<S extends TObject>(schema: S, spec: OptionsSpec): OptionsParser<S> {
  const prefix = spec.what === undefined ? spec.package : `${spec.package} ${spec.what}`
  function fail(path: string, problem: string, cause?: unknown): never {
    throw cmError('CM_ERR_INVALID_ARGUMENT', `${prefix}: \`${path}\` ${problem}`, {
      details: { option: path, package: spec.package },
      ...(cause === undefined ? {} : { cause }),
    })
  }

  function check(node: SchemaLike, value: unknown, path: string): void {
    if (isObjectSchema(node)) {
      checkObject(node, value, path)
      return
    }
    if (Check(node as TSchema, value)) return
    const errors = [...Errors(node as TSchema, value)]
    const refined = errors.find((e) => e.keyword === '~refine')
    if (refined !== undefined && !errors.some((e) => e.keyword !== '~refine' && e.keyword !== 'anyOf')) {
      const got = refined.message.startsWith('must be ') ? ` (got ${describeValue(value)})` : ''
      fail(path, refined.message + got)
    }
    fail(path, `must be ${expectedOf(node)} (got ${describeValue(value)})`)
  }

  function checkObject(node: SchemaLike, value: unknown, path: string): void {
    if (!isPlainObject(value)) {
      if (path === '') {
        throw cmError(
          'CM_ERR_INVALID_ARGUMENT',
          `${prefix}: options must be an object, got ${describeValue(value)}`,
          { details: { option: 'options', package: spec.package } },
        )
      }
      fail(path, `must be an object (got ${describeValue(value)})`)
    }
    const properties = node.properties ?? {}
    const at = (key: string) => (path === '' ? key : `${path}.${key}`)
    if (node.additionalProperties === false) {
      const known = Object.keys(properties)
      for (const key of Object.keys(value)) {
        if (!Object.hasOwn(properties, key)) {
          fail(at(key), `is not an option (expected one of ${known.join(', ')})`)
        }
      }
    }
    const required = new Set(node.required ?? [])
    for (const [key, property] of Object.entries(properties)) {
      const given = value[key]
      if (given === undefined) {
        if (required.has(key)) fail(at(key), 'is required')
        continue
      }
      check(property, given, at(key))
    }
  }

  return {
    schema,
    spec,
    fail,
    parse(input: unknown): StaticDecode<S> {
      const value = input === undefined && spec.optional === true ? {} : input
      checkObject(schema as SchemaLike, value, '')
      return decodeValue(schema as SchemaLike, value) as StaticDecode<S>
    },
  }
}
