/**
 * Finding entries for the routes: the namespaces a request covers, the first that has an entry, where a
 * write goes, and deleting through the cache for its own namespace.
 */
import type { Cache } from '@comp-manager/cache'
import type { CacheEntry, CacheStore } from '@comp-manager/core'
import { findInNamespaces, resolveNamespaces, withDetails, writeNamespace } from '@comp-manager/fastify-kit'
import type { FastifyRequest } from 'fastify'
import { CacheEntryNotFoundError, CacheValidationError } from './errors.js'

/** What the lookups work on. */
export interface CacheContext {
  cache: Cache
  /** The store's cache port (every namespace). */
  entries: CacheStore
  /** The plugin's namespace (the cache's). */
  defaultNamespace: string
}

/** The 404 of an entry that is absent, expired or outside the caller's namespaces. */
export const notFound = (key: string) =>
  withDetails(new CacheEntryNotFoundError(`cache entry ${key} not found`), { key })

const namespaceNotFound = (namespace: string) =>
  withDetails(new CacheEntryNotFoundError(`namespace ${namespace} not found`), { namespace })

/** The namespaces the request covers (the one it asked for, if any), or a 404 for one it may not see. */
export function namespacesOf(
  ctx: CacheContext,
  request: FastifyRequest,
  requested: string | undefined,
): string[] {
  const { defaultNamespace } = ctx
  const namespaces = resolveNamespaces(request, { defaultNamespace, requested })
  if (namespaces === null) throw namespaceNotFound(requested ?? defaultNamespace)
  return namespaces
}

/** The live entry `key` in the namespaces the request may see (the first that has it), or a 404. */
export async function find(
  ctx: CacheContext,
  request: FastifyRequest,
  key: string,
  requested: string | undefined,
): Promise<CacheEntry> {
  // Reading over HTTP is inspection: it does not count as a hit of the entry.
  return findInNamespaces(
    request,
    { defaultNamespace: ctx.defaultNamespace, requested },
    (ns) => ctx.entries.get(ns, key, { touch: false }),
    () => notFound(key),
  )
}

/** Where a write goes: the requested namespace, else the plugin's, else the caller's only one. */
export const namespaceForWrite = (
  ctx: CacheContext,
  request: FastifyRequest,
  requested: string | undefined,
): string =>
  writeNamespace(request, {
    defaultNamespace: ctx.defaultNamespace,
    requested,
    notFound: CacheEntryNotFoundError,
    invalid: CacheValidationError,
  })

/**
 * Deletes `key` in `namespace`: through the cache for its own namespace (so its L1 forgets it too);
 * in another, in the store, then (when it was there) announced with `cache.announce`, so that
 * namespace's caches in other processes hear of it through Redis at once, not only from the event log.
 */
export async function deleteIn(ctx: CacheContext, namespace: string, key: string): Promise<boolean> {
  if (namespace === ctx.cache.namespace) return ctx.cache.delete(key)
  const deleted = await ctx.entries.delete(namespace, key)
  if (deleted) ctx.cache.announce(namespace, { key })
  return deleted
}
