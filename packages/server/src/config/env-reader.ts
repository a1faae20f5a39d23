import { readFileSync } from 'node:fs'
import type { StaticDecode, TObject, TProperties, TSchema } from 'typebox'
import { Value } from 'typebox/value'
import { type EnvAnnotations, FALSE_WORDS, LIST_SEPARATOR, TRUE_WORDS } from './env-schema.js'
import type { ConfigProblem } from './errors.js'
import type { ConfigSource } from './types.js'

/** The environment: `process.env` or any map of names to strings. */
export type Env = Record<string, string | undefined>

/** The decoded values of the variables of `P` (see {@link readEnv}). */
export type EnvValues<P extends TProperties> = StaticDecode<TObject<P>>

/** A value as a problem shows it: quoted, cut after 60 characters. */
export const show = (value: string): string =>
  JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value)

/** The parts of a schema the reader looks at. */
interface EnvSchemaLike extends Partial<EnvAnnotations> {
  type?: unknown
  anyOf?: EnvSchemaLike[]
  items?: EnvSchemaLike
  default?: unknown
}

/** What a schema accepts, in words. */
export const expectedOf = (schema: EnvSchemaLike): string => schema.expected ?? 'valid'

/**
 * What `text` stands for under `schema`: digits are a number for a number, a word of
 * {@link TRUE_WORDS}/{@link FALSE_WORDS} a boolean for a boolean, a list is split on commas and spaces,
 * a union takes its first member that fits. Left as the string when it stands for nothing (the check
 * then fails).
 */
export function coerce(schema: EnvSchemaLike, text: string): unknown {
  if (schema.anyOf !== undefined) {
    for (const member of schema.anyOf) {
      const value = coerce(member, text)
      if (Value.Check(member as TSchema, value)) return value
    }
    return text
  }
  switch (schema.type) {
    case 'integer':
    case 'number':
      return /^\d+$/.test(text) ? Number(text) : text
    case 'boolean': {
      const word = text.toLowerCase()
      return TRUE_WORDS.includes(word) ? true : FALSE_WORDS.includes(word) ? false : text
    }
    case 'array':
      return splitList(text).map((item) => coerce(schema.items ?? {}, item))
    default:
      return text
  }
}

const splitList = (text: string): string[] => text.split(LIST_SEPARATOR).filter(Boolean)

/**
 * The problems, warnings and sources of one reading of the environment; sections of the configuration
 * add theirs (a rule across variables, a secret too weak).
 */
export class EnvReport {
  readonly problems: ConfigProblem[] = []
  readonly warnings: string[] = []
  readonly sources: Record<string, ConfigSource> = {}

  problem(variable: string, message: string): void {
    this.problems.push({ variable, message })
  }

  warn(message: string): void {
    this.warnings.push(message)
  }

  /** True when `name` (or `<name>_FILE`) was set, whether its value was valid or not. */
  given(name: string): boolean {
    return this.sources[name] === 'env' || this.sources[name] === 'file'
  }

  /** The variable a problem with `name`'s value names: `<name>_FILE` when the value came from that file. */
  variable(name: string): string {
    return this.sources[name] === 'file' ? `${name}_FILE` : name
  }
}

const INVALID = Symbol('invalid')

/** The text of one variable and the variable it came from, or `undefined` when it is unset or empty. */
function textOf(name: string, secret: boolean, env: Env, report: EnvReport) {
  const direct = env[name]?.trim()
  const file = secret ? env[`${name}_FILE`]?.trim() : undefined
  if (file === undefined || file === '') {
    if (direct === undefined || direct === '') return undefined
    report.sources[name] = 'env'
    return direct
  }
  let content: string
  try {
    content = readFileSync(file, 'utf8')
  } catch (err) {
    const code = (err as { code?: unknown }).code
    report.problem(`${name}_FILE`, `cannot read ${show(file)} (${typeof code === 'string' ? code : 'error'})`)
    return INVALID
  }
  const value = content.replace(/[\r\n]+$/, '')
  if (value.trim() === '') {
    report.problem(`${name}_FILE`, `the file ${show(file)} is empty`)
    return INVALID
  }
  if (direct !== undefined && direct !== '')
    report.warn(`${name}_FILE and ${name} are both set: ${name}_FILE wins`)
  report.sources[name] = 'file'
  return value
}

/** The decoded value of `text`, or INVALID after reporting why (a list: one problem per bad item). */
function decode(schema: EnvSchemaLike, text: string, variable: string, report: EnvReport): unknown {
  const got = schema.secret === true ? '' : ` (got ${show(text)})`
  const value = coerce(schema, text)
  if (schema.type === 'array' && Array.isArray(value) && schema.items !== undefined) {
    const items = schema.items
    const bad = splitList(text).filter((_, i) => !Value.Check(items as TSchema, value[i]))
    for (const item of bad) report.problem(variable, `${show(item)} is not ${expectedOf(items)}`)
    if (bad.length > 0) return INVALID
  }
  if (Value.Check(schema as TSchema, value)) return Value.Decode(schema as TSchema, value)
  report.problem(variable, `must be ${expectedOf(schema)}${got}`)
  return INVALID
}

/**
 * Reads every variable of `schema` from `env`, in its order: a secret's `<NAME>_FILE` first (one
 * trailing newline dropped), then `<NAME>` (trimmed; empty counts as unset), then the schema's
 * `default`. Values are checked and decoded by their schema; every problem is collected in the report
 * (never thrown), and a bad value falls back to the default, so that the sections can go on and report
 * theirs.
 */
export function readEnv<S extends TObject>(
  schema: S,
  env: Env,
  report: EnvReport = new EnvReport(),
): { values: StaticDecode<S>; report: EnvReport } {
  const values: Record<string, unknown> = {}
  for (const [name, property] of Object.entries(schema.properties as Record<string, EnvSchemaLike>)) {
    const text = textOf(name, property.secret === true, env, report)
    const value = typeof text === 'string' ? decode(property, text, report.variable(name), report) : INVALID
    if (value !== INVALID) {
      values[name] = value
    } else if (property.default !== undefined) {
      values[name] = Value.Decode(property as TSchema, property.default)
      if (text === undefined) report.sources[name] = 'default'
    }
  }
  return { values: values as StaticDecode<S>, report }
}
