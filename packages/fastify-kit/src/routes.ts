/**
 * Route helpers shared by the route plugins: OpenAPI tags and security, structured error details,
 * reading a record from the first namespace that has it, and choosing the namespace of a write.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { resolveNamespaces, securityOf } from './access.js'

/** Attaches structured `details` (rendered in the error body) to an error; returns the error. */
export function withDetails<E extends Error>(error: E, details: Record<string, unknown>): E {
  Object.defineProperty(error, 'details', {
    value: details,
    enumerable: true,
    writable: true,
    configurable: true,
  })
  return error
}

/** What {@link routeDocs} returns. */
export interface RouteDocs {
  /**
   * `{ operationId, tags: [tag], summary, description, security? }`, to spread into a route's `schema`.
   * `operationId` is unique in the document: the generated client's method names come from it.
   */
  tagged(
    operationId: string,
    summary: string,
    description: string,
  ): {
    operationId: string
    tags: string[]
    summary: string
    description: string
    security?: Array<Record<string, string[]>>
  }
  /** `[401, 403]` when the routes are protected (an auth plugin is registered), else `[]`. */
  authErrors: number[]
}

/** The OpenAPI documentation helpers of a plugin's routes, all tagged `tag`. */
export function routeDocs(fastify: FastifyInstance, tag: string): RouteDocs {
  const security = securityOf(fastify)
  return {
    tagged: (operationId, summary, description) => ({
      operationId,
      tags: [tag],
      summary,
      description,
      ...(security === undefined ? {} : { security }),
    }),
    authErrors: security === undefined ? [] : [401, 403],
  }
}

/**
 * The first non-null result of `get` over `namespaces`, in their order (read in parallel when there
 * are several), or `null`.
 */
export async function firstFound<T>(
  namespaces: readonly string[],
  get: (namespace: string) => Promise<T | null>,
): Promise<T | null> {
  const found = namespaces.length === 1 ? [await get(namespaces[0]!)] : await Promise.all(namespaces.map(get))
  return found.find((item) => item !== null) ?? null
}

/**
 * The first record `get` finds in the namespaces the request may see (the one it asked for, if any),
 * or the error `notFound()` returns: a record outside the caller's namespaces is a 404, never a leak.
 */
export async function findInNamespaces<T>(
  request: FastifyRequest,
  scope: { defaultNamespace: string; requested: string | undefined },
  get: (namespace: string) => Promise<T | null>,
  notFound: () => Error,
): Promise<T> {
  const namespaces = resolveNamespaces(request, scope)
  if (namespaces === null || namespaces.length === 0) throw notFound()
  const found = await firstFound(namespaces, get)
  if (found === null) throw notFound()
  return found
}

/** An error class taking its message (an `@fastify/error` class). */
export type ErrorClass = new (message: string) => Error

/** Options of {@link writeNamespace}. */
export interface WriteNamespaceOptions {
  /** The plugin's namespace. */
  defaultNamespace: string
  /** The namespace the request asked for, if any. */
  requested: string | undefined
  /** The 404 thrown (`namespace … not found`, `details.namespace`) when the request may not write there. */
  notFound: ErrorClass
  /** The 400 thrown (`details.namespaces`) when the caller covers several namespaces but not the default one. */
  invalid: ErrorClass
}

/**
 * Where a write goes: the requested namespace (when the request may write there), else the plugin's
 * (when the request covers it), else the only namespace the request covers.
 */
export function writeNamespace(request: FastifyRequest, options: WriteNamespaceOptions): string {
  const { defaultNamespace, requested } = options
  const namespaces = resolveNamespaces(request, { defaultNamespace, requested })
  if (namespaces === null || namespaces.length === 0) {
    const namespace = requested ?? defaultNamespace
    throw withDetails(new options.notFound(`namespace ${namespace} not found`), { namespace })
  }
  if (requested !== undefined) return requested
  if (namespaces.includes(defaultNamespace)) return defaultNamespace
  if (namespaces.length === 1) return namespaces[0]!
  throw withDetails(
    new options.invalid(
      '`namespace` is required: the credentials cover several namespaces and not the default one',
    ),
    { namespaces },
  )
}
