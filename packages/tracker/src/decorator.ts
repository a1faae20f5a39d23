import type { TrackedOptions, Tracker } from './tracker.js'

/**
 * `@tracked(tracker, options)`: the same decorator as `@tracker.tracked(options)`, for code that
 * prefers a free function. A TC39 standard method decorator (TypeScript 5, not
 * `experimentalDecorators`).
 */
export function tracked<This, A extends unknown[], R extends PromiseLike<unknown>>(
  tracker: Tracker,
  options?: TrackedOptions,
): (
  method: (this: This, ...args: A) => R,
  context: ClassMethodDecoratorContext<This, (this: This, ...args: A) => R>,
) => (this: This, ...args: A) => R {
  return tracker.tracked<This, A, R>(options)
}
