/** The Store port of `@comp-manager/core`, checked member by member (the `store` option). */
import { type CacheStore, type ComputationStore, describeType, type Store } from '@comp-manager/core'

/** An object that is not an array (a plain object or a class instance). */
export const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

type Exhaustive<All, Listed> = [Exclude<All, Listed>] extends [never] ? true : Exclude<All, Listed>
type Methods<T> = {
  [K in keyof T]-?: NonNullable<T[K]> extends (...args: never[]) => unknown ? K : never
}[keyof T]

const storeMethods = ['ping', 'close'] as const
const computationMethods = [
  'create',
  'get',
  'getByHash',
  'claim',
  'update',
  'heartbeat',
  'expire',
  'findExpired',
  'list',
  'delete',
] as const
const cacheMethods = ['get', 'set', 'delete', 'invalidate', 'list', 'stats', 'purgeExpired'] as const
/** Methods a store may leave out; checked when present. */
const optionalCacheMethods = ['flush', 'setAndFinish'] as const

// Compile-time guards: a method added to a port must be added to the lists above.
const portsCovered: [
  Exhaustive<Methods<Store>, (typeof storeMethods)[number]>,
  Exhaustive<Methods<ComputationStore>, (typeof computationMethods)[number]>,
  Exhaustive<Methods<CacheStore>, (typeof cacheMethods)[number] | (typeof optionalCacheMethods)[number]>,
] = [true, true, true]
void portsCovered

/**
 * The problems that keep `value` from being a `Store` (every method of the port, `kind` and
 * `capabilities`), as a list of `path: problem`; empty when it fits.
 */
export function storeProblems(value: unknown): string[] {
  if (!isObject(value)) return [`is ${describeType(value)}, not an object`]
  const problems: string[] = []
  const fn = (owner: Record<string, unknown>, name: string, path: string) => {
    if (typeof owner[name] !== 'function')
      problems.push(`${path} is ${describeType(owner[name])}, not a function`)
  }
  if (typeof value.kind !== 'string' || value.kind === '')
    problems.push(`kind is ${describeType(value.kind)}, not a name`)
  const caps = value.capabilities
  if (!isObject(caps)) problems.push(`capabilities is ${describeType(caps)}, not an object`)
  else {
    for (const flag of ['multiProcess', 'multiMachine'] as const) {
      if (typeof caps[flag] !== 'boolean')
        problems.push(`capabilities.${flag} is ${describeType(caps[flag])}, not a boolean`)
    }
    if (typeof caps.maxValueBytes !== 'number')
      problems.push(`capabilities.maxValueBytes is ${describeType(caps.maxValueBytes)}, not a number`)
  }
  for (const name of storeMethods) fn(value, name, name)
  const computations = value.computations
  if (!isObject(computations)) problems.push(`computations is ${describeType(computations)}, not an object`)
  else for (const name of computationMethods) fn(computations, name, `computations.${name}`)
  const cache = value.cache
  if (!isObject(cache)) problems.push(`cache is ${describeType(cache)}, not an object`)
  else {
    for (const name of cacheMethods) fn(cache, name, `cache.${name}`)
    for (const name of optionalCacheMethods) if (cache[name] !== undefined) fn(cache, name, `cache.${name}`)
  }
  return problems
}
