import type { Cache } from '@comp-manager/cache'
import type { CacheEntry, CacheStore, InvalidateCriteria } from '@comp-manager/core'
import {
  emptyPage,
  errorResponses,
  firstFound,
  pageOf,
  protect,
  resolveNamespaces,
  routeDocs,
  toPageBody,
  useRouteKit,
  withDetails,
  writeNamespace,
} from '@comp-manager/fastify-kit'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { toDto, toDtoWithValue } from './dto.js'
import { CacheEntryNotFoundError, CacheValidationError } from './errors.js'
import {
  CacheEntryPageSchema,
  CacheEntryWithValueDtoSchema,
  type CacheStatsDto,
  CacheStatsSchema,
  InvalidateBodySchema,
  InvalidateResultSchema,
  KeyParamsSchema,
  ListQuerySchema,
  NamespaceQuerySchema,
} from './schemas.js'

export interface RoutesOptions {
  cache: Cache
  development: boolean
}

/** The `/cache` routes, in the plugin's encapsulated child context (under its `prefix`). */
export async function cacheRoutes(instance: FastifyInstance, opts: RoutesOptions): Promise<void> {
  const { cache } = opts
  const defaultNamespace = cache.namespace
  const entries: CacheStore = cache.store.cache
  useRouteKit(instance, { development: opts.development })
  const app = instance.withTypeProvider<TypeBoxTypeProvider>()
  const { tagged, authErrors } = routeDocs(instance, 'cache')

  // ── helpers ──────────────────────────────────────────────────────────────────────────────────

  const notFound = (key: string) =>
    withDetails(new CacheEntryNotFoundError(`cache entry ${key} not found`), { key })

  const namespaceNotFound = (namespace: string) =>
    withDetails(new CacheEntryNotFoundError(`namespace ${namespace} not found`), { namespace })

  /** The namespaces the request covers (the one it asked for, if any), or a 404 for one it may not see. */
  function namespacesOf(request: FastifyRequest, requested: string | undefined): string[] {
    const namespaces = resolveNamespaces(request, { defaultNamespace, requested })
    if (namespaces === null) throw namespaceNotFound(requested ?? defaultNamespace)
    return namespaces
  }

  /** The live entry `key` in the namespaces the request may see (the first that has it), or a 404. */
  async function find(
    request: FastifyRequest,
    key: string,
    requested: string | undefined,
  ): Promise<CacheEntry> {
    const namespaces = resolveNamespaces(request, { defaultNamespace, requested })
    if (namespaces === null || namespaces.length === 0) throw notFound(key)
    // Reading over HTTP is inspection: it does not count as a hit of the entry.
    const entry = await firstFound(namespaces, (ns) => entries.get(ns, key, { touch: false }))
    if (entry === null) throw notFound(key)
    return entry
  }

  /** Where a write goes: the requested namespace, else the plugin's, else the caller's only one. */
  const namespaceForWrite = (request: FastifyRequest, requested: string | undefined): string =>
    writeNamespace(request, {
      defaultNamespace,
      requested,
      notFound: CacheEntryNotFoundError,
      invalid: CacheValidationError,
    })

  /** Deletes `key` in `namespace`: through the cache for its own namespace (so its L1 forgets it too). */
  const deleteIn = (namespace: string, key: string): Promise<boolean> =>
    namespace === cache.namespace ? cache.delete(key) : entries.delete(namespace, key)

  // ── routes (the static ones first: `/stats` and `/invalidate` are never taken for a key) ─────

  app.get(
    '/',
    {
      schema: {
        ...tagged(
          'List cache entries',
          'Metadata only (no values), newest first by default, filtered by `function` (or `functionFull`), ' +
            '`tag`, `version` and `namespace`, sorted by `sort`, paginated by `page`/`per_page` (≤ 100). ' +
            'Expired entries are never listed. Unknown or `$`-prefixed query keys are refused with 400.',
        ),
        querystring: ListQuerySchema,
        response: { 200: CacheEntryPageSchema, ...errorResponses(400, ...authErrors, 404, 500, 503) },
      },
      preHandler: protect(instance, 'viewer'),
    },
    async (request) => {
      const query = request.query
      const namespaces = namespacesOf(request, query.namespace)
      const { page, perPage } = pageOf(query)
      if (namespaces.length === 0) return toPageBody(emptyPage(page, perPage), toDto)
      const result = await entries.list({
        namespace: namespaces.length === 1 ? namespaces[0]! : namespaces,
        ...(query.function === undefined ? {} : { function: query.function }),
        ...(query.tag === undefined ? {} : { tag: query.tag }),
        ...(query.version === undefined ? {} : { version: query.version }),
        ...(query.sort === undefined ? {} : { sort: query.sort }),
        page,
        perPage,
      })
      return toPageBody(result, toDto)
    },
  )

  app.get(
    '/stats',
    {
      schema: {
        ...tagged(
          'Cache statistics',
          '`hits`, `misses`, `staleHits`, `dedupes` and `hitRate` are the counters of **this server process** ' +
            '(its `fastify.cache`, in namespace `namespace`) since it started: each instance behind a load balancer ' +
            'answers its own, and they are null when the request does not cover that namespace. `entries` and `bytes` ' +
            'come from the store (every process), per namespace in `namespaces` and summed.',
        ),
        querystring: NamespaceQuerySchema,
        response: { 200: CacheStatsSchema, ...errorResponses(400, ...authErrors, 404, 500, 503) },
      },
      preHandler: protect(instance, 'viewer'),
    },
    async (request): Promise<CacheStatsDto> => {
      const namespaces = namespacesOf(request, request.query.namespace)
      const own = namespaces.includes(cache.namespace)
      // The cache's own stats read its namespace from the store: no second query for it.
      const [counters, ...perNamespace] = await Promise.all([
        own ? cache.stats() : null,
        ...namespaces.map((ns) => (ns === cache.namespace ? null : entries.stats(ns))),
      ])
      const rows = namespaces.map((namespace, i) => {
        const s = perNamespace[i] ?? counters!
        return { namespace, entries: s.entries, bytes: s.bytes }
      })
      return {
        namespace: counters === null ? null : cache.namespace,
        hits: counters?.hits ?? null,
        misses: counters?.misses ?? null,
        staleHits: counters?.staleHits ?? null,
        dedupes: counters?.dedupes ?? null,
        hitRate: counters?.hitRate ?? null,
        ...(counters?.l1 === undefined ? {} : { l1: counters.l1 }),
        entries: rows.reduce((sum, row) => sum + row.entries, 0),
        bytes: rows.reduce((sum, row) => sum + row.bytes, 0),
        namespaces: rows,
      }
    },
  )

  app.post(
    '/invalidate',
    {
      schema: {
        ...tagged(
          'Invalidate cache entries',
          'Deletes the live entries of one namespace matching every criterion given (`function`, `tag`, ' +
            '`version`), or all of them with `{ "all": true }` alone, and answers how many. A body without ' +
            'criteria, or `all` combined with one, is a 400. The namespace is `namespace`, else the plugin’s ' +
            '(when the credentials cover it), else the only one the credentials cover.',
        ),
        body: InvalidateBodySchema,
        response: { 200: InvalidateResultSchema, ...errorResponses(400, ...authErrors, 404, 413, 500, 503) },
      },
      preHandler: protect(instance, 'operator'),
    },
    async (request) => {
      const { namespace: requested, function: fn, tag, version, all } = request.body
      const selective = fn !== undefined || tag !== undefined || version !== undefined
      if (all === true && selective) {
        throw withDetails(
          new CacheValidationError('`all` cannot be combined with `function`, `tag` or `version`'),
          { in: 'body', issues: [{ path: 'body/all', message: 'cannot be combined with other criteria' }] },
        )
      }
      if (all !== true && !selective) {
        throw withDetails(
          new CacheValidationError('invalidate needs `function`, `tag`, `version` or `all: true`'),
          { in: 'body', issues: [{ path: 'body', message: 'needs at least one criterion' }] },
        )
      }
      const namespace = namespaceForWrite(request, requested)
      let deleted: number
      if (namespace === cache.namespace) {
        // Through the cache, so this process's L1 forgets the entries too.
        deleted = await cache.invalidate({
          ...(fn === undefined ? {} : { fn }),
          ...(tag === undefined ? {} : { tag }),
          ...(version === undefined ? {} : { version }),
          ...(all === undefined ? {} : { all }),
        })
      } else {
        const criteria: InvalidateCriteria = {
          ...(fn === undefined ? {} : { function: fn }),
          ...(tag === undefined ? {} : { tag }),
          ...(version === undefined ? {} : { version: version === null ? null : String(version) }),
          ...(all === undefined ? {} : { all }),
        }
        deleted = await entries.invalidate(namespace, criteria)
      }
      return { deleted, namespace }
    },
  )

  app.get(
    '/:key',
    {
      schema: {
        ...tagged(
          'Get a cache entry with its value',
          '`value` is the codec-encoded JSON exactly as stored (decode it with `decode` from ' +
            '`@comp-manager/core/codec`), with the metadata. Reading it does not count a hit. 404 when the ' +
            "entry is absent, expired, or in a namespace outside the caller's.",
        ),
        params: KeyParamsSchema,
        querystring: NamespaceQuerySchema,
        response: { 200: CacheEntryWithValueDtoSchema, ...errorResponses(400, ...authErrors, 404, 500, 503) },
      },
      preHandler: protect(instance, 'viewer'),
    },
    async (request) => toDtoWithValue(await find(request, request.params.key, request.query.namespace)),
  )

  app.delete(
    '/:key',
    {
      schema: {
        ...tagged(
          'Delete a cache entry',
          'Deletes the entry (204; the next call computes it again) in `namespace`, or in the first of the ' +
            "caller's namespaces that has it. 404 when it is absent, expired, or outside the caller's namespaces.",
        ),
        params: KeyParamsSchema,
        querystring: NamespaceQuerySchema,
        response: {
          204: Type.Null({ description: 'Deleted' }),
          ...errorResponses(400, ...authErrors, 404, 500, 503),
        },
      },
      preHandler: protect(instance, 'admin'),
    },
    async (request, reply) => {
      const { key } = request.params
      const namespaces = resolveNamespaces(request, { defaultNamespace, requested: request.query.namespace })
      if (namespaces === null || namespaces.length === 0) throw notFound(key)
      let deleted = false
      for (const namespace of namespaces) {
        if (await deleteIn(namespace, key)) {
          deleted = true
          break
        }
      }
      if (!deleted) throw notFound(key)
      reply.code(204).send(null)
    },
  )
}
