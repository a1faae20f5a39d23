import { type TSchema, type TSchemaOptions, Type } from 'typebox'
import { NamespaceSchema } from '../domain/schemas.js'
import { DURATION_PATTERN, durationStringMs, MAX_TIMER_MS } from './duration.js'

/**
 * Schema builders for option objects (see {@link defineOptions}). Each carries `expected`: the words a
 * failure message uses ("`leaseMs` must be <expected> (got 0)").
 */

/** A schema's annotation: what a valid value is, in words. */
export interface Expected {
  expected?: string
}

export interface DurationSchemaOptions {
  /** Smallest value in milliseconds (default 1; 0 allows zero). */
  min?: number
  /** Largest value in milliseconds (default 2 147 483 647, a timer's limit). */
  max?: number
  /** Only whole milliseconds (default true). */
  integer?: boolean
  description?: string
}

const range = (min: number, max: number) =>
  max === MAX_TIMER_MS ? `from ${min} to ${MAX_TIMER_MS}` : `from ${min} to ${max}`

/**
 * A duration option: milliseconds as a number or a string such as `'30s'`, `'15m'`, `'1h'`, `'2d'`
 * (the one duration format of comp-manager); decoded to milliseconds.
 */
export function DurationSchema(options: DurationSchemaOptions = {}) {
  const min = options.min ?? 1
  const max = options.max ?? MAX_TIMER_MS
  const integer = options.integer ?? true
  const expected = `${integer ? 'an integer number' : 'a number'} of milliseconds ${range(min, max)} or a duration such as '30s' or '1h'`
  const toMs = (value: number | string): number =>
    typeof value === 'number' ? value : (durationStringMs(value) ?? Number.NaN)
  const inRange = (value: number | string): boolean => {
    const ms = toMs(value)
    return Number.isFinite(ms) && ms >= min && ms <= max && (!integer || Number.isInteger(ms))
  }
  const base = Type.Union([Type.Number(), Type.String({ pattern: DURATION_PATTERN })], {
    ...(options.description === undefined ? {} : { description: options.description }),
    expected,
  } as TSchemaOptions)
  return Type.Decode(
    Type.Refine(base, inRange, () => `must be ${expected}`),
    toMs,
  )
}

/** An option that must be a function; `signature` names it in messages (`'a function returning epoch ms'`). */
export function CallbackSchema(signature = 'a function') {
  return Type.Function([], Type.Unknown(), { expected: signature } as TSchemaOptions)
}

/**
 * An option holding an object of a given shape (a store, a codec, a logger): `problem(value)` says
 * what is wrong with it, or `undefined` when it fits.
 */
export function InstanceSchema<T>(problem: (value: unknown) => string | undefined, expected: string) {
  return Type.Unsafe<T>(
    Type.Refine(
      Type.Unknown({ expected } as TSchemaOptions),
      (value) => problem(value) === undefined,
      (value) => problem(value) ?? `must be ${expected}`,
    ),
  )
}

/** One of a list of string literals. */
export function OneOfSchema<const L extends readonly string[]>(values: L, options: TSchemaOptions = {}) {
  return Type.Union(
    values.map((v) => Type.Literal(v)),
    { ...options, expected: `one of ${values.join(', ')}` } as TSchemaOptions,
  ) as unknown as TSchema & { static: L[number] }
}

/** A namespace (letters, digits, `.`, `_`, `:`, `-`; 1–128 characters). */
export const NamespaceOptionSchema = Type.Unsafe<string>({
  ...NamespaceSchema,
  expected: "1-128 characters of letters, digits, '.', '_', ':', '-', starting with a letter or digit",
})

/** A non-empty name (of a function, a check, a decorator), at most `max` characters. */
export function NameSchema(max = 512) {
  return Type.String({
    minLength: 1,
    maxLength: max,
    pattern: '\\S',
    expected: `a non-empty string of at most ${max} characters`,
  } as TSchemaOptions)
}

/**
 * True when `value` is an object with these methods (and these string / object properties): the
 * check of an instance "by shape", which a second copy of a package (whose class would fail
 * `instanceof`) passes too.
 */
export function hasShape(
  value: unknown,
  shape: { methods?: readonly string[]; strings?: readonly string[]; objects?: readonly string[] },
): boolean {
  if (typeof value !== 'object' || value === null) return false
  const o = value as Record<string, unknown>
  return (
    (shape.methods ?? []).every((m) => typeof o[m] === 'function') &&
    (shape.strings ?? []).every((k) => typeof o[k] === 'string') &&
    (shape.objects ?? []).every((k) => typeof o[k] === 'object' && o[k] !== null)
  )
}
