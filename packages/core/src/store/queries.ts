import type { ComputationStatus } from '../domain/status.js'
import { computationStatuses, isComputationStatus } from '../domain/status.js'
import { cmError } from '../errors/index.js'
import { CursorCodec, type CursorKey, queryFingerprint } from './cursor.js'
import type { CacheQuery, CacheSort, ComputationQuery, ComputationSort } from './ports.js'
import { assertNamespace } from './validate.js'

export const MAX_PER_PAGE = 100
export const DEFAULT_PER_PAGE = 20
/** Default bound of a listing's count: `total` is exact up to it, a lower bound above it. */
export const DEFAULT_COUNT_LIMIT = 10_000

/** How the guard pages: the cursor codec and the bound of counts. */
export interface ListPolicy {
  cursors: CursorCodec
  countLimit: number
}

/** The default policy: the built-in cursor secret, counts bounded at {@link DEFAULT_COUNT_LIMIT}. */
export const DEFAULT_LIST_POLICY: ListPolicy = { cursors: new CursorCodec(), countLimit: DEFAULT_COUNT_LIMIT }

/** The paging part of a normalised query: a page by offset, or the keyset position after `after`. */
export interface NormalizedPaging {
  /** `null` when the page was asked by cursor (its number is not known). */
  page: number | null
  perPage: number
  /** Rows to skip before the page (0 with a cursor). */
  offset: number
  /** The sort key of the last row of the previous page (cursor paging), or `undefined`. */
  after: CursorKey | undefined
  /** Count matches up to this bound (the backend may stop counting at `countLimit + 1`). */
  countLimit: number
  /** What a cursor of this query is bound to. */
  fingerprint: string
}

/** Validation and normalisation of the listing queries, shared by every Store (through the guard). */

export function namespacesOf(value: unknown): string[] {
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

function pageOptions(query: { page?: unknown; perPage?: unknown; cursor?: unknown }) {
  if (query.cursor !== undefined && query.page !== undefined) {
    throw cmError(
      'CM_ERR_INVALID_ARGUMENT',
      'page and cursor cannot be combined: a cursor knows its position',
      {
        details: { field: 'cursor' },
      },
    )
  }
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

export interface NormalizedComputationQuery extends NormalizedPaging {
  /** Read `args` / `checkpoint` (else they are left `undefined`). */
  include: { args: boolean; checkpoint: boolean }
  namespaces: string[]
  statuses: ComputationStatus[] | undefined
  function: string | undefined
  hash: string | undefined
  since: number | undefined
  until: number | undefined
  sort: SortSpec<'createdAt' | 'updatedAt'>
}

const computationSortFields = ['createdAt', 'updatedAt'] as const

/** Validates a listing query and fills in defaults. */
export function normalizeComputationQuery(
  query: ComputationQuery,
  policy: ListPolicy = DEFAULT_LIST_POLICY,
): NormalizedComputationQuery {
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
  const filters = {
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
  }
  return { ...filters, include: includeOf(query.include), ...paging(query, filters, 1, policy) }
}

const listFields = ['args', 'checkpoint'] as const

function includeOf(value: unknown): { args: boolean; checkpoint: boolean } {
  if (value === undefined) return { args: true, checkpoint: true }
  if (!Array.isArray(value) || !value.every((f) => listFields.includes(f))) {
    throw cmError('CM_ERR_INVALID_ARGUMENT', `include must be a list of ${listFields.join(', ')}`, {
      details: { field: 'include' },
    })
  }
  return { args: value.includes('args'), checkpoint: value.includes('checkpoint') }
}

/** Page by offset or by cursor; a cursor is checked against the query's filters (`tieBreakers` strings). */
function paging(
  query: { page?: unknown; perPage?: unknown; cursor?: unknown },
  filters: object,
  tieBreakers: number,
  policy: ListPolicy,
): NormalizedPaging {
  const { page, perPage, offset } = pageOptions(query)
  const canonical = Object.entries(filters)
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => (Array.isArray(value) ? [name, [...value].sort()] : [name, value]))
  const fingerprint = queryFingerprint(canonical)
  if (query.cursor === undefined) {
    return { page, perPage, offset, after: undefined, countLimit: policy.countLimit, fingerprint }
  }
  const after = policy.cursors.decode(query.cursor, fingerprint, tieBreakers)
  return { page: null, perPage, offset: 0, after, countLimit: policy.countLimit, fingerprint }
}

export interface NormalizedCacheQuery extends NormalizedPaging {
  namespaces: string[]
  function: string | undefined
  tag: string | undefined
  version: string | null | undefined
  sort: SortSpec<'createdAt' | 'hits' | 'size'>
}

const cacheSortFields = ['createdAt', 'hits', 'size'] as const

export function normalizeCacheQuery(
  query: CacheQuery,
  policy: ListPolicy = DEFAULT_LIST_POLICY,
): NormalizedCacheQuery {
  if (typeof query !== 'object' || query === null) {
    throw cmError('CM_ERR_INVALID_ARGUMENT', 'query must be an object')
  }
  if (query.version !== undefined && query.version !== null && typeof query.version !== 'string') {
    throw cmError('CM_ERR_INVALID_ARGUMENT', 'version must be a string or null', {
      details: { field: 'version' },
    })
  }
  const filters = {
    namespaces: namespacesOf(query.namespace),
    function: optionalString(query.function, 'function'),
    tag: optionalString(query.tag, 'tag'),
    version: query.version,
    sort: sortOf<'createdAt' | 'hits' | 'size'>(
      query.sort as CacheSort | undefined,
      cacheSortFields,
      '-createdAt',
    ),
  }
  return { ...filters, ...paging(query, filters, 2, policy) }
}
