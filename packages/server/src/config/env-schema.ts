import { DurationSchema, NamespaceOptionSchema, OneOfSchema } from '@comp-manager/core/options'
import { type TSchema, type TSchemaOptions, Type } from 'typebox'

/**
 * Builders of the schema of an environment variable. Every variable is one TypeBox schema holding its
 * type, its default, its description and the words of what it accepts; the reader (`env-reader.ts`)
 * turns strings into typed values from it, the docs (`readme.ts`) render the README's table from it.
 */

/** What the schema of an environment variable says besides its type. */
export interface EnvAnnotations {
  /** One line for the README's table. */
  description: string
  /** A secret: may be given as `<NAME>_FILE`, the path of a file holding it; its value is never printed. */
  secret?: boolean
  /** The default as the docs show it when it is computed (`` `127.0.0.1` (`0.0.0.0` in production) ``). */
  defaultText?: string
  /** What a valid value is, in words: error messages (`must be <expected>`) and the docs. */
  expected?: string
}

/** The words a boolean variable accepts, in any case. */
export const TRUE_WORDS: readonly string[] = ['true', '1', 'yes', 'on']
export const FALSE_WORDS: readonly string[] = ['false', '0', 'no', 'off']

/** What separates the items of a list variable: commas, spaces or new lines. */
export const LIST_SEPARATOR = /[\s,]+/

const DURATION_UNITS: readonly [string, number][] = [
  ['w', 604_800_000],
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
]

/** Milliseconds in the largest unit that divides them: `60000` → `'1m'`, `1500` → `'1500ms'`, `0` → `'0'`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0'
  const unit = DURATION_UNITS.find(([, size]) => ms % size === 0)
  return unit === undefined ? `${ms}ms` : `${ms / unit[1]}${unit[0]}`
}

const options = (annotations: object): TSchemaOptions => annotations as TSchemaOptions

/** A string; `pattern` restricts it (say what it accepts in `expected`). */
export function EnvString(spec: EnvAnnotations & { default?: string; pattern?: string }) {
  return Type.String(options(spec))
}

/** A whole number from `minimum` to `maximum` (digits only: no sign, no fraction). */
export function EnvInteger(spec: EnvAnnotations & { minimum: number; maximum: number; default: number }) {
  return Type.Integer(options({ expected: `an integer from ${spec.minimum} to ${spec.maximum}`, ...spec }))
}

/** A boolean: {@link TRUE_WORDS} or {@link FALSE_WORDS}. */
export function EnvBoolean(spec: EnvAnnotations & { default: boolean }) {
  return Type.Boolean(options({ expected: 'true or false', ...spec }))
}

/**
 * A duration, in core's one duration format (`DurationSchema`): milliseconds (digits) or a number
 * with a unit, `'30s'`, `'15m'`, `'1.5h'`; decoded to milliseconds. `min`, `max` and `default` are
 * milliseconds.
 */
export function EnvDuration(spec: EnvAnnotations & { min: number; max: number; default: number }) {
  const { min, max, ...rest } = spec
  const expected = `a duration from ${formatDuration(min)} to ${formatDuration(max)}: milliseconds, or 30s, 15m, 2h…`
  const defaultText = `\`${formatDuration(spec.default)}\``
  // DurationSchema returns a fresh schema: annotating it in place keeps its refinement and decoder.
  return Object.assign(DurationSchema({ min, max }), { expected, defaultText, ...rest })
}

/** One of a list of words. */
export function EnvOneOf<const L extends readonly string[]>(
  values: L,
  spec: EnvAnnotations & { default?: L[number] },
) {
  return Type.Unsafe<L[number]>(OneOfSchema(values, options(spec)))
}

/** A namespace, core's pattern (`NamespaceOptionSchema`). */
export function EnvNamespace(spec: EnvAnnotations & { default: string }) {
  return Type.Unsafe<string>({ ...NamespaceOptionSchema, ...spec })
}

/** A list of `item`s separated by commas or spaces; each bad item is a problem of its own. */
export function EnvList<T extends TSchema>(item: T, spec: EnvAnnotations) {
  return Type.Array(item, options(spec))
}

/** The first of `members` that the value fits (each member reads the string its own way). */
export function EnvUnion<const T extends TSchema[]>(
  members: [...T],
  spec: EnvAnnotations & { default?: unknown; expected: string },
) {
  return Type.Union(members, options(spec))
}
