import type { Cache, FleetStatsResult } from '@comp-manager/cache'
import type { InvalidateCriteria } from '@comp-manager/core'
import {
  emptyPage,
  errorResponses,
  pagingOf,
  protect,
  type RouteDocs,
  resolveNamespaces,
  routeDocs,
  type TypeBoxApp,
  toPageBody,
  useRouteKit,
  withDetails,
} from '@comp-manager/fastify-kit'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import { toDto, toDtoWithValue } from './dto.js'
import { CacheValidationError } from './errors.js'
import { type CacheContext, deleteIn, find, namespaceForWrite, namespacesOf, notFound } from './lookup.js'
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

/** The routes' context, typed by the TypeBox type provider. */
type App = TypeBoxApp

/** What every route declaration needs. */
interface Routes extends Pick<RouteDocs, 'tagged' | 'authErrors'> {
  app: App
  /** The encapsulated context (for `protect`). */
  instance: FastifyInstance
  ctx: CacheContext
}

/** `GET /`: a page of entries (metadata only). */
function listRoute({ app, instance, tagged, authErrors, ctx }: Routes): void {
  app.get(
    '/',
    {
      schema: {
        ...tagged(
          'listCacheEntries',
          'List cache entries',
          'Metadata only (no values), newest first by default, filtered by `function` (or `functionFull`), ' +
            '`tag`, `version` and `namespace`, sorted by `sort`, paginated by `page`/`per_page` (≤ 100) or by `cursor` (the `next_cursor` of the previous page). ' +
            'Expired entries are never listed. Unknown or `$`-prefixed query keys are refused with 400.',
        ),
        querystring: ListQuerySchema,
        response: { 200: CacheEntryPageSchema, ...errorResponses(400, ...authErrors, 404, 500, 503) },
      },
      preHandler: protect(instance, 'viewer'),
    },
    async (request) => {
      const query = request.query
      const namespaces = namespacesOf(ctx, request, query.namespace)
      const paging = pagingOf(query)
      if (namespaces.length === 0) return toPageBody(emptyPage(paging.page ?? null, paging.perPage), toDto)
      const result = await ctx.entries.list({
        namespace: namespaces.length === 1 ? namespaces[0]! : namespaces,
        ...(query.function === undefined ? {} : { function: query.function }),
        ...(query.tag === undefined ? {} : { tag: query.tag }),
        ...(query.version === undefined ? {} : { version: query.version }),
        ...(query.sort === undefined ? {} : { sort: query.sort }),
        ...paging,
      })
      return toPageBody(result, toDto)
    },
  )
}

function fleetDto(fleet: FleetStatsResult | null): CacheStatsDto['fleet'] {
  if (fleet === null) return null
  const { functions, ...totals } = fleet
  return {
    ...totals,
    functions: Object.entries(functions)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, c]) => ({ function: name, ...c })),
  }
}

/** `GET /stats`: this process's counters, every process's (`fleet`), and the store's sizes. */
function statsRoute({ app, instance, tagged, authErrors, ctx }: Routes): void {
  app.get(
    '/stats',
    {
      schema: {
        ...tagged(
          'getCacheStats',
          'Cache statistics',
          '`hits`, `misses`, `staleHits`, `dedupes` and `hitRate` are the counters of **this server process** ' +
            '(its `fastify.cache`, in namespace `namespace`) since it started: each instance behind a load balancer ' +
            'answers its own, and they are null when the request does not cover that namespace. `entries` and `bytes` ' +
            'come from the store (every process), per namespace in `namespaces` and summed. `fleet` sums the counters every ' +
            'process of the namespace wrote to the store (hits, misses, fills, fill time, L1 evictions, also per function), ' +
            'each as of its last flush (every `statsFlushMs`, 5 s by default).',
        ),
        querystring: NamespaceQuerySchema,
        response: { 200: CacheStatsSchema, ...errorResponses(400, ...authErrors, 404, 500, 503) },
      },
      preHandler: protect(instance, 'viewer'),
    },
    async (request): Promise<CacheStatsDto> => {
      const namespaces = namespacesOf(ctx, request, request.query.namespace)
      const own = namespaces.includes(ctx.cache.namespace)
      // The cache's own stats read its namespace from the store: no second query for it.
      const [fleet, counters, ...perNamespace] = await Promise.all([
        own ? ctx.cache.fleetStats() : undefined,
        own ? ctx.cache.stats() : null,
        ...namespaces.map((ns) => (ns === ctx.cache.namespace ? null : ctx.entries.stats(ns))),
      ])
      const rows = namespaces.map((namespace, i) => {
        const s = perNamespace[i] ?? counters!
        return { namespace, entries: s.entries, bytes: s.bytes }
      })
      return {
        namespace: counters === null ? null : ctx.cache.namespace,
        hits: counters?.hits ?? null,
        misses: counters?.misses ?? null,
        staleHits: counters?.staleHits ?? null,
        dedupes: counters?.dedupes ?? null,
        hitRate: counters?.hitRate ?? null,
        ...(counters?.l1 === undefined ? {} : { l1: counters.l1 }),
        ...(fleet === undefined ? {} : { fleet: fleetDto(fleet) }),
        entries: rows.reduce((sum, row) => sum + row.entries, 0),
        bytes: rows.reduce((sum, row) => sum + row.bytes, 0),
        namespaces: rows,
      }
    },
  )
}

/** `POST /invalidate`: delete the entries matching the criteria. */
function invalidateRoute({ app, instance, tagged, authErrors, ctx }: Routes): void {
  app.post(
    '/invalidate',
    {
      schema: {
        ...tagged(
          'invalidateCache',
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
      const namespace = namespaceForWrite(ctx, request, requested)
      let deleted: number
      if (namespace === ctx.cache.namespace) {
        // Through the cache, so this process's L1 forgets the entries too.
        deleted = await ctx.cache.invalidate({
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
        deleted = await ctx.entries.invalidate(namespace, criteria)
        // That namespace's caches in other processes hear of it through Redis, not only the event log.
        if (deleted > 0) ctx.cache.announce(namespace, { criteria })
      }
      return { deleted, namespace }
    },
  )
}

/** `GET /:key`: one entry with its value. */
function getRoute({ app, instance, tagged, authErrors, ctx }: Routes): void {
  app.get(
    '/:key',
    {
      schema: {
        ...tagged(
          'getCacheEntry',
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
    async (request) => toDtoWithValue(await find(ctx, request, request.params.key, request.query.namespace)),
  )
}

/** `DELETE /:key`: one entry. */
function deleteRoute({ app, instance, tagged, authErrors, ctx }: Routes): void {
  app.delete(
    '/:key',
    {
      schema: {
        ...tagged(
          'deleteCacheEntry',
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
      const namespaces = resolveNamespaces(request, {
        defaultNamespace: ctx.defaultNamespace,
        requested: request.query.namespace,
      })
      if (namespaces === null || namespaces.length === 0) throw notFound(key)
      let deleted = false
      for (const namespace of namespaces) {
        if (await deleteIn(ctx, namespace, key)) {
          deleted = true
          break
        }
      }
      if (!deleted) throw notFound(key)
      reply.code(204).send(null)
    },
  )
}

/** The `/cache` routes, in the plugin's encapsulated child context (under its `prefix`). */
export async function cacheRoutes(instance: FastifyInstance, opts: RoutesOptions): Promise<void> {
  const { cache } = opts
  useRouteKit(instance, { development: opts.development })
  const { tagged, authErrors } = routeDocs(instance, 'cache')
  const routes: Routes = {
    app: instance.withTypeProvider<TypeBoxTypeProvider>(),
    instance,
    tagged,
    authErrors,
    ctx: { cache, entries: cache.store.cache, defaultNamespace: cache.namespace },
  }
  // The static routes first: `/stats` and `/invalidate` are never taken for a key.
  for (const declare of [listRoute, statsRoute, invalidateRoute, getRoute, deleteRoute]) declare(routes)
}
