/** What a standard (TC39) method decorator knows about the method it decorates. */
export interface DecoratedMethod {
  name: string | symbol
  static: boolean
  private: boolean
}

const nameOf = (ctor: unknown): string | undefined => {
  const name = (ctor as { name?: unknown } | null | undefined)?.name
  return typeof name === 'string' && name !== '' ? name : undefined
}
const ctorOf = (o: unknown) => (o as { constructor?: unknown } | null | undefined)?.constructor

/**
 * The name of the class that **declares** a decorated method, given the instance (or, for a static
 * method, the class) it is called on: a subclass that inherits the method does not rename its runs
 * or cache entries. `'anonymous'` for an unnamed class. The tracker's and the cache's decorators name
 * functions `ClassName.method` with it.
 */
export function declaringClassName(self: unknown, context: DecoratedMethod, method: unknown): string {
  if (!context.private) {
    let holder: unknown = context.static ? self : Object.getPrototypeOf(self ?? Object.prototype)
    while (holder !== null && holder !== undefined) {
      if (Object.getOwnPropertyDescriptor(holder, context.name)?.value === method) {
        return (context.static ? nameOf(holder) : nameOf(ctorOf(holder))) ?? 'anonymous'
      }
      holder = Object.getPrototypeOf(holder)
    }
  }
  return (context.static ? nameOf(self) : nameOf(ctorOf(self))) ?? 'anonymous'
}
