import { type CompManagerError, cmError, describeType } from '../errors/index.js'
import { quote } from './json-text.js'
import type { TypeRegistry } from './registry.js'

/**
 * What encode and canonical share: the registry, the depth limit and the chain of ancestors of the node
 * being visited. The chain costs one array store per object and is read only to write an error (the path
 * of the offending value, or the cycle). Cycles need no bookkeeping: a cycle nests without end, so it
 * reaches `maxDepth`, and only then is the chain searched for a repeated object.
 *
 * A walker is reused by its codec between calls; a call made while it is busy (a registered type's
 * `encode` calling the codec again) gets a fresh walker.
 */
export class Walker {
  readonly registry: TypeRegistry
  readonly maxDepth: number
  /** `path[d]`: the object visited at depth d. Cleared after each call, so no value is kept alive. */
  readonly path: unknown[] = []
  /** Deepest index of `path` written during the current call. */
  high = -1
  busy = false

  constructor(registry: TypeRegistry, maxDepth: number) {
    this.registry = registry
    this.maxDepth = maxDepth
  }

  /** Records `obj` at `depth`; throws past `maxDepth` (a cycle, or a value nested too deep). */
  enter(obj: object, depth: number): void {
    if (depth >= this.maxDepth) throw this.depthError(obj, depth)
    this.path[depth] = obj
    if (depth > this.high) this.high = depth
  }

  release(): void {
    const path = this.path
    for (let i = 0; i <= this.high; i++) path[i] = undefined
    this.high = -1
    this.busy = false
  }

  depthError(obj: unknown, depth: number): CompManagerError {
    return (
      cycleError([...this.path.slice(0, depth), obj]) ??
      cmError('CM_ERR_MAX_DEPTH', `value nests deeper than maxDepth (${this.maxDepth})`, {
        details: { limit: this.maxDepth },
      })
    )
  }

  /**
   * What to throw for an error that ended a call. A `maxDepth` set higher than the JS stack allows ends
   * in the engine's RangeError: it is reported as the cycle or depth error it stands for.
   */
  failure(err: unknown): unknown {
    if (!(err instanceof RangeError) || !/call stack/i.test(err.message)) return err
    return (
      cycleError(this.path.slice(0, this.high + 1)) ??
      cmError(
        'CM_ERR_MAX_DEPTH',
        `value nests deeper than the call stack allows (maxDepth ${this.maxDepth})`,
        {
          cause: err,
          details: { limit: this.maxDepth },
        },
      )
    )
  }

  /** The error for a value the codec cannot encode, with its path and how to register its type. */
  unsupported(value: unknown, depth: number): CompManagerError {
    const type = describeType(value)
    const path = describeChain([...this.path.slice(0, depth), value])
    const hint =
      typeof value === 'object'
        ? `register it with codec.registerClass(${type}) or codec.registerType({ name, is, encode, decode })`
        : 'functions, symbols and similar values have no data form'
    return cmError('CM_ERR_UNSUPPORTED_TYPE', `cannot encode a value of type ${type} at ${path}: ${hint}`, {
      details: { type, path },
    })
  }
}

/** The cycle error when an object repeats in a chain of ancestors. */
function cycleError(chain: readonly unknown[]): CompManagerError | undefined {
  const seen = new Map<unknown, number>()
  for (let j = 0; j < chain.length; j++) {
    const first = seen.get(chain[j])
    if (first !== undefined) {
      const at = describeChain(chain.slice(0, j + 1))
      const target = describeChain(chain.slice(0, first + 1))
      return cmError('CM_ERR_CYCLE', `value contains a reference cycle: ${at} refers back to ${target}`, {
        details: { path: at, target },
      })
    }
    seen.set(chain[j], j)
  }
  return undefined
}

/** `$.a[0].get("k")`-style path of the last element of a chain of ancestors (error messages only). */
export function describeChain(chain: readonly unknown[]): string {
  let path = '$'
  for (let i = 1; i < chain.length; i++) path += segment(chain[i - 1], chain[i])
  return path
}

function segment(parent: unknown, child: unknown): string {
  if (Array.isArray(parent)) return `[${parent.indexOf(child)}]`
  if (parent instanceof Map) {
    for (const [k, v] of parent) {
      if (v === child) return `.get(${typeof k === 'string' ? quote(k) : '…'})`
      if (k === child) return '.keys()[…]'
    }
    return '.get(…)'
  }
  if (parent instanceof Set) return '.values()[…]'
  if (parent instanceof Error) return parent.cause === child ? '.cause' : '.…'
  if (typeof parent === 'object' && parent !== null) {
    const key = Object.keys(parent).find((k) => (parent as Record<string, unknown>)[k] === child)
    if (key !== undefined) return /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${quote(key)}]`
  }
  return '.…'
}
