/**
 * `@comp-manager/fastify-cache`: the `/cache` REST routes of comp-manager (list entries, read one with
 * its value, delete, invalidate, stats) and `fastify.cache`, as a Fastify 5 plugin usable alone in any
 * app that registers `@comp-manager/fastify-store`.
 */
import type { Cache } from '@comp-manager/cache'
import { decoratorOf } from '@comp-manager/fastify-kit'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'
import type { FastifyCacheOptions } from './options.js'
import { PLUGIN_NAME } from './options.js'
import { fastifyCachePlugin } from './plugin.js'
import { DEFAULT_DECORATOR } from './types.js'

export { toDto, toDtoWithValue } from './dto.js'
export { CacheEntryNotFoundError, CacheValidationError, errors } from './errors.js'
export {
  DEFAULT_NAMESPACE,
  DEFAULT_PREFIX,
  type FastifyCacheOptions,
  PLUGIN_NAME,
  type PluginCacheOptions,
} from './options.js'
export {
  type CacheEntryDto,
  CacheEntryDtoSchema,
  type CacheEntryPage,
  CacheEntryPageSchema,
  type CacheEntryWithValueDto,
  CacheEntryWithValueDtoSchema,
  type CacheStatsDto,
  CacheStatsSchema,
  type InvalidateBody,
  InvalidateBodySchema,
  type InvalidateResult,
  InvalidateResultSchema,
  type KeyParams,
  KeyParamsSchema,
  type ListQuery,
  ListQuerySchema,
  NamespaceQuerySchema,
  SortSchema,
} from './schemas.js'
export { type CacheDecorator, DEFAULT_DECORATOR } from './types.js'

/**
 * The plugin: `app.register(fastifyCache, { namespace, prefix, cache | cacheOptions, development })`
 * after `@comp-manager/fastify-store` (and `@comp-manager/fastify-auth`, to protect the routes).
 * Decorates `fastify.cache` (or `fastify[decorator]`) and registers the `cache` health check.
 */
export const fastifyCache: FastifyPluginAsync<FastifyCacheOptions> = fp(fastifyCachePlugin, {
  fastify: '5.x',
  name: PLUGIN_NAME,
  dependencies: ['@comp-manager/fastify-store'],
})

export default fastifyCache

/**
 * The cache the plugin decorated under `decorator` (default `'cache'`), typed, whatever the name; a
 * `CM_ERR_INVALID_ARGUMENT` naming the decorator when it is missing.
 */
export function cacheOf(fastify: FastifyInstance, decorator: string = DEFAULT_DECORATOR): Cache {
  return decoratorOf<Cache>(fastify, decorator, PLUGIN_NAME)
}
