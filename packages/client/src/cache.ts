/** `client.cache`: the memoized results (`/api/v1/cache`). */
import type { Core } from './core.js'
import { decodeCacheEntry, decodePage } from './decode.js'
import { type CallOptions, required } from './options.js'
import { paginate } from './pagination.js'
import { routes } from './routes.js'
import type {
  CacheEntry,
  CacheEntryMeta,
  CacheEntryPage,
  CacheFilters,
  CacheStats,
  InvalidateCache,
  InvalidateResult,
} from './types.js'

export interface CacheApi {
  /** One page of cache entries (metadata, without values). */
  list(filters?: CacheFilters, options?: CallOptions): Promise<CacheEntryPage>
  /** Every cache entry matching `filters`, page after page. */
  all(filters?: Omit<CacheFilters, 'page'>, options?: CallOptions): AsyncGenerator<CacheEntryMeta, void, void>
  /** One entry with its value (decoded when `decode` is on). */
  get(key: string, options?: CallOptions): Promise<CacheEntry>
  /** Drops one entry. */
  delete(key: string, options?: CallOptions): Promise<void>
  /** Drops entries by `function`, `tag`, `version`, or all of a namespace. Never retried. */
  invalidate(body: InvalidateCache, options?: CallOptions): Promise<InvalidateResult>
  /** Hits, misses, hit rate, entries, bytes. */
  stats(options?: CallOptions): Promise<CacheStats>
}

export function cacheApi(core: Core): CacheApi {
  const { api } = core
  /** `{ key }` and `?namespace=` of a one-entry route. */
  const one = (key: string, opts: CallOptions | undefined) => ({
    path: { key: required(key, 'key') },
    query: core.query(opts),
  })
  const cache: CacheApi = {
    async list(filters = {}, opts) {
      const params = { query: core.withNamespace(filters) }
      const page = { decode: decodePage(decodeCacheEntry) }
      return core.call(opts, (init) => api.GET(routes.cache, { params, ...init }), page)
    },
    all: (filters = {}, opts) => paginate(cache.list, filters as CacheFilters, opts),
    async get(key, opts) {
      const params = one(key, opts)
      return core.call(opts, (init) => api.GET(routes.cacheEntry, { params, ...init }), {
        decode: decodeCacheEntry,
      })
    },
    async delete(key, opts) {
      const params = one(key, opts)
      await core.call(opts, (init) => api.DELETE(routes.cacheEntry, { params, ...init }))
    },
    async invalidate(body, opts) {
      const withNs = core.withNamespace(body)
      return core.call(opts, (init) => api.POST(routes.cacheInvalidate, { body: withNs, ...init }))
    },
    async stats(opts) {
      const params = { query: core.query(opts) }
      return core.call(opts, (init) => api.GET(routes.cacheStats, { params, ...init }))
    },
  }
  return cache
}
