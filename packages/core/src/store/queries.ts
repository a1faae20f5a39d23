import type { ComputationStatus } from '../domain/status.js'
import { computationStatuses, isComputationStatus } from '../domain/status.js'
import { cmError } from '../errors/index.js'
import type { CacheQuery, CacheSort, ComputationQuery, ComputationSort } from './ports.js'
import { assertNamespace } from './validate.js'

export const MAX_PER_PAGE = 100
export const DEFAULT_PER_PAGE = 20

/** Validation and normalisation of the listing queries, shared by every Store (through the guard). */

function namespacesOf(value: unknown): string[] {
  const list = typeof value === 'string' ? [value] : value
  if (!Array.isArray(list) || list.length === 0 || list.length > 1000) {
    throw cmError(
      'CM_ERR_INVALID_ARGUMENT',
      'namespace must be a namespace or a non-empty list of namespaces',
    )
  }
  for (const ns of list) assertNamespace(ns)
  return [...new Set(list as string[])]
}

function pageOptions(query: { page?: unknown; perPage?: unknown }) {
  const page = query.page ?? 1
  const perPage = query.perPage ?? DEFAULT_PER_PAGE
  if (typeof page !== 'number' || !Number.isSafeInteger(page) || page < 1) {
    throw cmError('CM_ERR_INVALID_ARGUMENT', 'page must be an integer ≥ 1', { details: { field: 'page' } })
  }
  if (typeof perPage !== 'number' || !Number.isInteger(perPage) || perPage < 1 || perPage > MAX_PER_PAGE) {
    throw cmError('CM_ERR_INVALID_ARGUMENT', `perPage must be an integer from 1 to ${MAX_PER_PAGE}`, {
      details: { field: 'perPage' },
    })
  }
  return { page, perPage, offset: (page - 1) * perPage }
}

function optionalTime(value: unknown, field: string): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw cmError('CM_ERR_INVALID_ARGUMENT', `${field} must be a finite number of epoch milliseconds`, {
      details: { field },
    })
  }
  return value
}

function optionalString(value: unknown, field: string): string | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string' || value.length === 0 || value.length > 512) {
    throw cmError('CM_ERR_INVALID_ARGUMENT', `${field} must be a non-empty string`, { details: { field } })
  }
  return value
}

export interface SortSpec<F extends string> {
  field: F
  descending: boolean
}

function sortOf<F extends string>(value: unknown, fields: readonly F[], fallback: `-${F}` | F): SortSpec<F> {
  const sort = value ?? fallback
  const descending = typeof sort === 'string' && sort.startsWith('-')
  const field = (typeof sort === 'string' ? (descending ? sort.slice(1) : sort) : '') as F
  if (!fields.includes(field)) {
    throw cmError(
      'CM_ERR_INVALID_ARGUMENT',
      `sort must be one of ${fields.flatMap((f) => [f, `-${f}`]).join(', ')}`,
      {
        details: { field: 'sort' },
      },
    )
  }
  return { field, descending }
}

export interface NormalizedComputationQuery {
  namespaces: string[]
  statuses: ComputationStatus[] | undefined
  function: string | undefined
  hash: string | undefined
  since: number | undefined
  until: number | undefined
  sort: SortSpec<'createdAt' | 'updatedAt'>
  page: number
  perPage: number
  offset: number
}

const computationSortFields = ['createdAt', 'updatedAt'] as const

/** Validates a listing query and fills in defaults. */
export function normalizeComputationQuery(query: ComputationQuery): NormalizedComputationQuery {
  if (typeof query !== 'object' || query === null) {
    throw cmError('CM_ERR_INVALID_ARGUMENT', 'query must be an object')
  }
  let statuses: ComputationStatus[] | undefined
  if (query.status !== undefined) {
    const list: unknown = typeof query.status === 'string' ? [query.status] : query.status
    if (!Array.isArray(list) || list.length === 0 || !list.every(isComputationStatus)) {
      throw cmError(
        'CM_ERR_INVALID_ARGUMENT',
        `status must be a status or a non-empty list of statuses among ${computationStatuses.join(', ')}`,
        { details: { field: 'status' } },
      )
    }
    statuses = [...new Set(list)]
  }
  return {
    namespaces: namespacesOf(query.namespace),
    statuses,
    function: optionalString(query.function, 'function'),
    hash: optionalString(query.hash, 'hash'),
    since: optionalTime(query.since, 'since'),
    until: optionalTime(query.until, 'until'),
    sort: sortOf<'createdAt' | 'updatedAt'>(
      query.sort as ComputationSort | undefined,
      computationSortFields,
      '-createdAt',
    ),
    ...pageOptions(query),
  }
}

export interface NormalizedCacheQuery {
  namespaces: string[]
  function: string | undefined
  tag: string | undefined
  version: string | null | undefined
  sort: SortSpec<'createdAt' | 'hits' | 'size'>
  page: number
  perPage: number
  offset: number
}

const cacheSortFields = ['createdAt', 'hits', 'size'] as const

export function normalizeCacheQuery(query: CacheQuery): NormalizedCacheQuery {
  if (typeof query !== 'object' || query === null) {
    throw cmError('CM_ERR_INVALID_ARGUMENT', 'query must be an object')
  }
  if (query.version !== undefined && query.version !== null && typeof query.version !== 'string') {
    throw cmError('CM_ERR_INVALID_ARGUMENT', 'version must be a string or null', {
      details: { field: 'version' },
    })
  }
  return {
    namespaces: namespacesOf(query.namespace),
    function: optionalString(query.function, 'function'),
    tag: optionalString(query.tag, 'tag'),
    version: query.version,
    sort: sortOf<'createdAt' | 'hits' | 'size'>(
      query.sort as CacheSort | undefined,
      cacheSortFields,
      '-createdAt',
    ),
    ...pageOptions(query),
  }
}
