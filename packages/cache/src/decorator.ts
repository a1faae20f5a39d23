import { cmError } from '@comp-manager/core'
import { declaringClassName } from '@comp-manager/core/runs'
import type { AnyFunction, DecoratorOptions } from './types.js'
import { checkDecoratorOptions, resolveWrapOptions, type WrapSpec } from './wrap-options.js'

/** An async method, as the decorator sees it. */
export type AsyncMethod<This, A extends unknown[], R> = (this: This, ...args: A) => Promise<R>

/** A standard (TC39) method decorator. */
export type CachedMethodDecorator = <This, A extends unknown[], R>(
  target: AsyncMethod<This, A, R>,
  context: ClassMethodDecoratorContext<This, AsyncMethod<This, A, R>>,
) => AsyncMethod<This, A, R>

/** Memoizes `fn` with the settings `spec` (the cache's `wrap`, past its checks). */
// biome-ignore lint/suspicious/noExplicitAny: specs of any argument and result types
export type WrapWithSpec = (spec: WrapSpec<any, any>, fn: AnyFunction) => AnyFunction

/**
 * The standard (TC39) method decorator over a cache's `wrap`. Its options are checked now, when the
 * class is defined; the name (default `ClassName.method`, the class that declares the method) is
 * resolved when the class is defined (static methods) or first instantiated.
 */
export function methodDecorator(
  options: DecoratorOptions | undefined,
  defaultTtlMs: number | null,
  wrap: WrapWithSpec,
): CachedMethodDecorator {
  checkDecoratorOptions(options, defaultTtlMs)
  const { name: explicitName, ...wrapOptions } = options ?? {}
  return <This, A extends unknown[], R>(
    target: AsyncMethod<This, A, R>,
    context: ClassMethodDecoratorContext<This, AsyncMethod<This, A, R>>,
  ): AsyncMethod<This, A, R> => {
    if (typeof context !== 'object' || context === null || context.kind !== 'method') {
      throw cmError(
        'CM_ERR_INVALID_ARGUMENT',
        '@cached decorates class methods, as a standard decorator (turn `experimentalDecorators` off)',
      )
    }
    let wrapped: AnyFunction | undefined
    const resolve = (self: unknown): AnyFunction => {
      const name = explicitName ?? `${declaringClassName(self, context, replacement)}.${String(context.name)}`
      wrapped = wrap(resolveWrapOptions(name, wrapOptions, defaultTtlMs), target)
      return wrapped
    }
    const replacement = function (this: This, ...args: A): Promise<R> {
      return (wrapped ?? resolve(this)).apply(this, args)
    }
    // Known by name (to `explain`) once the class is defined (static) or first instantiated.
    context.addInitializer(function (this: This) {
      if (wrapped === undefined) resolve(this)
    })
    return replacement
  }
}
