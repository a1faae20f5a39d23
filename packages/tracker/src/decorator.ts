import { cmError } from '@comp-manager/core'
import { declaringClassName } from '@comp-manager/core/runs'
import { invalid, type TrackOptions } from './options.js'
import type { TrackedFunction } from './types.js'

/** Options of the `@tracker.tracked()` decorator: those of `track()` without `context`, plus a name. */
export type TrackedOptions = Omit<TrackOptions, 'context'> & {
  /** Display name (recorded as `name`/`function`). Default: the method's name. */
  name?: string
}

/** A standard (TC39) method decorator of a method returning a promise. */
export type TrackedMethodDecorator<This, A extends unknown[], R> = (
  method: (this: This, ...args: A) => R,
  context: ClassMethodDecoratorContext<This, (this: This, ...args: A) => R>,
) => (this: This, ...args: A) => R

/** What the decorator needs from its tracker. */
export interface DecoratorHost {
  /** Checks the options now (at class definition): a bad option fails there, not at the first call. */
  check(name: string, options: TrackOptions): void
  track<A extends unknown[], R, This>(
    name: string,
    fn: (this: This, ...args: A) => R,
    options: TrackOptions,
  ): TrackedFunction<A, Awaited<R>, This>
}

/**
 * Builds the `@tracked` decorator: each call of the method is tracked, under `functionFull`
 * `ClassName.method` by default (the class that declares the method). The instance (`this`) is not
 * part of the hash. Methods get their context from `tracker.current()`.
 */
export function trackedDecorator<This, A extends unknown[], R extends PromiseLike<unknown>>(
  host: DecoratorHost,
  options: TrackedOptions = {},
): TrackedMethodDecorator<This, A, R> {
  if (typeof options !== 'object' || options === null) invalid('tracked', 'options', 'must be an object')
  const { name: displayName, ...trackOptions } = options
  if ('context' in trackOptions) {
    invalid(
      'tracked',
      'context',
      'is not an option of the decorator: a method gets its context from tracker.current()',
    )
  }
  return (method, context) => {
    if (context?.kind !== 'method' || typeof method !== 'function') {
      throw cmError(
        'CM_ERR_INVALID_ARGUMENT',
        `@tracked decorates class methods (got a ${context?.kind ?? 'non-decorator'} use)`,
      )
    }
    const methodName =
      typeof context.name === 'symbol' ? (context.name.description ?? 'symbol') : context.name
    const name = displayName ?? methodName
    // Validate now (at class definition); the class name is known once the class exists.
    host.check(name, { ...trackOptions, functionFull: trackOptions.functionFull ?? `Class.${methodName}` })
    let wrapped: TrackedFunction<A, Awaited<R>, This> | undefined
    const ensure = (self: unknown): TrackedFunction<A, Awaited<R>, This> => {
      if (wrapped !== undefined) return wrapped
      const functionFull =
        trackOptions.functionFull ?? `${declaringClassName(self, context, replacement)}.${methodName}`
      wrapped = host.track<A, R, This>(name, method, { ...trackOptions, functionFull })
      return wrapped
    }
    function replacement(this: This, ...args: A): R {
      return ensure(this).apply(this, args) as unknown as R
    }
    // Registers the method (for `resume`) as soon as the class (static) or an instance exists.
    context.addInitializer(function (this: This) {
      ensure(this)
    })
    return replacement
  }
}

/**
 * `@tracked(tracker, options)`: the same decorator as `@tracker.tracked(options)`, for code that
 * prefers a free function. A TC39 standard method decorator (TypeScript 5, not
 * `experimentalDecorators`).
 */
export function tracked<This, A extends unknown[], R extends PromiseLike<unknown>>(
  tracker: {
    tracked<T, B extends unknown[], S extends PromiseLike<unknown>>(
      o?: TrackedOptions,
    ): TrackedMethodDecorator<T, B, S>
  },
  options?: TrackedOptions,
): TrackedMethodDecorator<This, A, R> {
  return tracker.tracked<This, A, R>(options)
}
