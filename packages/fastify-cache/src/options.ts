import type { Cache, CacheOptions } from '@comp-manager/cache'
import { hasShape } from '@comp-manager/core/options'
import { definePluginOptions } from '@comp-manager/fastify-kit'

import { DEFAULT_DECORATOR } from './types.js'

export const PLUGIN_NAME = '@comp-manager/fastify-cache'

/** Options of the cache the plugin creates: those of `createCache` but `store` and `namespace`. */
export type PluginCacheOptions = Omit<CacheOptions, 'store' | 'namespace'>

/** Options of `app.register(fastifyCache, options)`. */
export interface FastifyCacheOptions {
  /**
   * The namespace of the cache and of requests without auth (the only one they see). With `cache`,
   * defaults to (and must equal) `cache.namespace`. Default `'default'`.
   */
  namespace?: string
  /** Where the routes live, below any prefix the plugin is registered under. Default `'/cache'`. */
  prefix?: string
  /** An existing cache to decorate and serve (it must live in `fastify.compStore`); never closed by the plugin. */
  cache?: Cache
  /**
   * Options of the cache the plugin creates when `cache` is not given (all of `createCache`'s but
   * `store` and `namespace`). `logger` defaults to `fastify.log`.
   */
  cacheOptions?: PluginCacheOptions
  /** Error bodies of 5xx errors show their message and stack in `details` (never in production). Default false. */
  development?: boolean
  /**
   * The name to decorate the cache under: `fastify[decorator]`. Default `'cache'` (which
   * `@fastify/caching` takes too: choose another one, e.g. `'compCache'`, next to it).
   */
  decorator?: string
  /** The decorator of the store (`@comp-manager/fastify-store`'s `decorator` option). Default `'compStore'`. */
  storeDecorator?: string
}

export interface ResolvedOptions {
  namespace: string
  prefix: string
  cache: Cache | undefined
  cacheOptions: PluginCacheOptions
  development: boolean
  decorator: string
  storeDecorator: string
}

export const DEFAULT_NAMESPACE = 'default'
export const DEFAULT_PREFIX = '/cache'

/** A cache by shape (a second copy of `@comp-manager/cache` would fail `instanceof`). */
function isCache(value: unknown): value is Cache {
  return hasShape(value, {
    strings: ['namespace'],
    objects: ['store'],
    methods: ['wrap', 'get', 'set', 'has', 'delete', 'invalidate', 'stats', 'explain', 'on', 'close'],
  })
}

/** The plugin's options, one schema (unknown options are refused: a typo must not switch a default on). */
export const CachePluginOptions = definePluginOptions({
  plugin: PLUGIN_NAME,
  defaultNamespace: DEFAULT_NAMESPACE,
  defaultPrefix: DEFAULT_PREFIX,
  defaultDecorator: DEFAULT_DECORATOR,
  instance: {
    option: 'cache',
    createOption: 'cacheOptions',
    noun: 'cache',
    expected: 'a Cache from createCache()',
    storeVerb: 'lives in',
    is: isCache,
  },
  properties: {},
})

/** Checks every option at `register()` and applies the defaults. */
export function resolveOptions(options: unknown): ResolvedOptions {
  const o = CachePluginOptions.parse(options)
  return {
    namespace: o.namespace,
    prefix: o.prefix,
    cache: o.instance,
    cacheOptions: o.createOptions as PluginCacheOptions,
    development: o.development,
    decorator: o.decorator,
    storeDecorator: o.storeDecorator,
  }
}
