import type { Cache } from '@comp-manager/cache'

/** The default `decorator`: `fastify.cache`. */
export const DEFAULT_DECORATOR = 'cache'

/**
 * `{ [Name]: Cache }`, to type the decorator under the name chosen with the `decorator` option. The
 * main entry does not augment `FastifyInstance` (`fastify.cache` is also `@fastify/caching`'s):
 *
 * ```ts
 * declare module 'fastify' {
 *   interface FastifyInstance extends CacheDecorator<'compCache'> {}
 * }
 * ```
 *
 * or read it with `cacheOf(fastify, 'compCache')`; `import '@comp-manager/fastify-cache/decorator'`
 * types the default `fastify.cache`.
 */
export type CacheDecorator<Name extends string = typeof DEFAULT_DECORATOR> = { [K in Name]: Cache }
