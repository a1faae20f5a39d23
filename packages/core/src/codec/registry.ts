import { cmError, describeType } from '../errors/index.js'
import { errorConstructors, NodeBuffer, reservedTags, typedArrays } from './builtins.js'
import { quote } from './json-text.js'
import type { ClassOptions, TypeDefinition } from './types.js'

// biome-ignore lint/suspicious/noExplicitAny: a registry holds definitions of every type
export type AnyDefinition = TypeDefinition<any, any>

/** A registered type as the walkers use it. */
export interface Registered {
  readonly name: string
  /** `name` as a JSON string literal, ready for the canonical writer. */
  readonly nameText: string
  readonly definition: AnyDefinition
  /** The class, for types registered with `registerClass`. */
  readonly ctor: unknown
}

/** Constructors the codec encodes itself: registering one would silently change every such value. */
const builtinConstructors: ReadonlySet<unknown> = new Set<unknown>([
  Object,
  Array,
  Map,
  Set,
  Date,
  RegExp,
  URL,
  ArrayBuffer,
  DataView,
  ...(NodeBuffer === undefined ? [] : [NodeBuffer]),
  ...Object.values(typedArrays),
  ...Object.values(errorConstructors),
])

/** The user types of one codec: by tag name, by exact class, and predicates tried in order. */
export class TypeRegistry {
  readonly byName = new Map<string, Registered>()
  readonly byConstructor = new Map<unknown, Registered>()
  readonly predicates: Registered[] = []

  registerType(definition: AnyDefinition): void {
    validateDefinition(definition)
    this.#checkFree(definition.name)
    this.#add(definition, undefined)
  }

  registerClass<T extends object, E>(
    ctor: abstract new (...args: never[]) => T,
    options: ClassOptions<T, E>,
  ): void {
    if (typeof ctor !== 'function' || typeof ctor.prototype !== 'object' || ctor.prototype === null) {
      throw cmError('CM_ERR_INVALID_ARGUMENT', `registerClass needs a class, got ${describeType(ctor)}`)
    }
    if (typeof options !== 'object' || options === null) {
      throw cmError(
        'CM_ERR_INVALID_ARGUMENT',
        `registerClass options must be an object, got ${describeType(options)}`,
      )
    }
    if (builtinConstructors.has(ctor)) {
      throw cmError(
        'CM_ERR_TYPE_REGISTERED',
        `${ctor.name} is encoded by the codec itself and cannot be registered`,
      )
    }
    if (this.byConstructor.has(ctor)) {
      throw cmError('CM_ERR_TYPE_REGISTERED', `class ${ctor.name} is already registered with this codec`)
    }
    const name = options.name ?? ctor.name
    for (const hook of ['toJSON', 'fromJSON'] as const) {
      if (options[hook] !== undefined && typeof options[hook] !== 'function') {
        throw cmError('CM_ERR_INVALID_ARGUMENT', `registerClass option '${hook}' must be a function`)
      }
    }
    const toJSON =
      options.toJSON ??
      ((value: T) => {
        const method = (value as { toJSON?: unknown }).toJSON
        if (typeof method !== 'function') {
          throw cmError(
            'CM_ERR_UNSUPPORTED_TYPE',
            `class ${name} has no toJSON(); pass { toJSON } to registerClass`,
          )
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
    validateDefinition(definition as AnyDefinition)
    this.#checkFree(name)
    this.#add(definition as AnyDefinition, ctor)
  }

  /** Adds every registration of `other` (for `Codec.withLimits`). */
  copyFrom(other: TypeRegistry): void {
    for (const entry of other.byName.values()) this.#add(entry.definition, entry.ctor)
  }

  #checkFree(name: string): void {
    if (reservedTags.has(name)) {
      throw cmError('CM_ERR_TYPE_REGISTERED', `'${name}' is a built-in codec type; pick another name`)
    }
    if (this.byName.has(name)) {
      throw cmError('CM_ERR_TYPE_REGISTERED', `a codec type named '${name}' is already registered`)
    }
  }

  #add(definition: AnyDefinition, ctor: unknown): void {
    const entry: Registered = { name: definition.name, nameText: quote(definition.name), definition, ctor }
    this.byName.set(entry.name, entry)
    if (ctor === undefined) this.predicates.push(entry)
    else this.byConstructor.set(ctor, entry)
  }
}

function validateDefinition(def: AnyDefinition): void {
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
}

/**
 * Whether a predicate-registered type claims a value. A predicate that throws (some inspect
 * `value.constructor.prototype` unguarded) does not claim it: the value then meets the normal
 * "unsupported type" error instead of the predicate's exception.
 */
export function claims(entry: Registered, value: object): boolean {
  try {
    return entry.definition.is(value) === true
  } catch {
    return false
  }
}
