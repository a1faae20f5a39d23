import type { Cache, CacheOptions } from '@comp-manager/cache'
import { cmError, describeType, NamespaceSchema } from '@comp-manager/core'
import { Compile } from 'typebox/compile'

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
}

export interface ResolvedOptions {
  namespace: string
  prefix: string
  cache: Cache | undefined
  cacheOptions: PluginCacheOptions
  development: boolean
}

export const DEFAULT_NAMESPACE = 'default'
export const DEFAULT_PREFIX = '/cache'

const optionKeys = new Set(['namespace', 'prefix', 'cache', 'cacheOptions', 'development'])
const namespaceCheck = Compile(NamespaceSchema)
const PREFIX = /^(?:\/[A-Za-z0-9._~!$&'()*+,;=:@%-]+)+$/

/** Throws the `CM_ERR_INVALID_ARGUMENT` of a bad option, naming it (`details.option`). */
export function invalid(option: string, problem: string, cause?: unknown): never {
  throw cmError('CM_ERR_INVALID_ARGUMENT', `${PLUGIN_NAME}: option \`${option}\` ${problem}`, {
    details: { option },
    ...(cause === undefined ? {} : { cause }),
  })
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

/** A cache by shape (a second copy of `@comp-manager/cache` would fail `instanceof`). */
function isCache(value: unknown): value is Cache {
  if (typeof value !== 'object' || value === null) return false
  const c = value as Record<string, unknown>
  return (
    typeof c.namespace === 'string' &&
    typeof c.store === 'object' &&
    c.store !== null &&
    ['wrap', 'get', 'set', 'has', 'delete', 'invalidate', 'stats', 'explain', 'on', 'close'].every(
      (method) => typeof c[method] === 'function',
    )
  )
}

/** Checks every option at `register()`; unknown options are refused (a typo must not switch a default on). */
export function resolveOptions(options: unknown): ResolvedOptions {
  const opts = options ?? {}
  if (!isPlainObject(opts)) invalid('options', `must be an object (got ${describeType(opts)})`)
  for (const key of Object.keys(opts)) {
    if (!optionKeys.has(key)) invalid(key, `is not an option (expected one of ${[...optionKeys].join(', ')})`)
  }

  let cache: Cache | undefined
  if (opts.cache !== undefined) {
    if (!isCache(opts.cache)) {
      invalid('cache', `must be a Cache from createCache() (got ${describeType(opts.cache)})`)
    }
    cache = opts.cache
    if (opts.cacheOptions !== undefined) {
      invalid('cacheOptions', 'cannot be combined with `cache`: configure the cache you pass instead')
    }
  }

  let namespace = DEFAULT_NAMESPACE
  if (opts.namespace !== undefined) {
    if (!namespaceCheck.Check(opts.namespace)) {
      invalid(
        'namespace',
        `must be 1-128 letters, digits, '.', '_', ':' or '-', starting with a letter or digit (got ${describeType(opts.namespace)})`,
      )
    }
    namespace = opts.namespace
    if (cache !== undefined && cache.namespace !== namespace) {
      invalid(
        'namespace',
        `is '${namespace}' but the cache's namespace is '${cache.namespace}': leave it out or make them equal`,
      )
    }
  } else if (cache !== undefined) {
    namespace = cache.namespace
  }

  let prefix = DEFAULT_PREFIX
  if (opts.prefix !== undefined) {
    if (typeof opts.prefix !== 'string' || !PREFIX.test(opts.prefix)) {
      invalid(
        'prefix',
        `must be a URL path such as '/cache' (no trailing slash; got ${JSON.stringify(opts.prefix)})`,
      )
    }
    prefix = opts.prefix
  }

  let cacheOptions: PluginCacheOptions = {}
  if (opts.cacheOptions !== undefined) {
    if (!isPlainObject(opts.cacheOptions)) {
      invalid('cacheOptions', `must be an object (got ${describeType(opts.cacheOptions)})`)
    }
    for (const key of ['store', 'namespace']) {
      if (Object.hasOwn(opts.cacheOptions, key)) {
        invalid(
          `cacheOptions.${key}`,
          key === 'store'
            ? 'is not accepted: the cache lives in fastify.compStore (register @comp-manager/fastify-store with the store you want)'
            : 'is not accepted: use the plugin option `namespace`',
        )
      }
    }
    cacheOptions = opts.cacheOptions as PluginCacheOptions
  }

  if (opts.development !== undefined && typeof opts.development !== 'boolean') {
    invalid('development', `must be a boolean (got ${describeType(opts.development)})`)
  }

  return { namespace, prefix, cache, cacheOptions, development: opts.development === true }
}
