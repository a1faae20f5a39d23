import { cmError, describeType, type InvalidateCriteria } from '@comp-manager/core'
import type { NormalizedCacheQuery, NormalizedComputationQuery } from '@comp-manager/core/store-kit'
import type { Document, Sort } from 'mongodb'
import { toDate } from './documents.js'

/**
 * Query building. Caller values only ever appear as operands of operators this module writes
 * (`{ field: { $eq: value } }`), and each is checked to be a scalar first: an object such as
 * `{ $gt: '' }` can never become a query operator, even if it slipped past validation.
 */

type Scalar = string | number | boolean | null

/** `{ $eq: value }` for a scalar; `CM_ERR_INVALID_ARGUMENT` for anything else. */
export function eq(value: unknown, field: string): { $eq: Scalar } {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return { $eq: value }
  if (typeof value === 'number' && Number.isFinite(value)) return { $eq: value }
  throw cmError('CM_ERR_INVALID_ARGUMENT', `${field} must be a string, got ${describeType(value)}`, {
    details: { field },
  })
}

/** `{ $in: values }` of scalars. */
export function oneOf(values: readonly unknown[], field: string): { $in: Scalar[] } {
  return { $in: values.map((v) => eq(v, field).$eq) }
}

/** The filter of one namespace or a list of them. */
export function namespaceFilter(namespaces: readonly string[]): Document {
  return {
    namespace: namespaces.length === 1 ? eq(namespaces[0], 'namespace') : oneOf(namespaces, 'namespace'),
  }
}

/** ANDs filters; uses `$and` so two `$or`s never overwrite each other. */
export function and(...filters: Document[]): Document {
  const parts = filters.filter((f) => Object.keys(f).length > 0)
  if (parts.length === 0) return {}
  if (parts.length === 1) return parts[0]!
  return { $and: parts }
}

/** A record of a namespace by id. */
export function byId(namespace: string, id: string): Document {
  return { _id: eq(id, 'id'), namespace: eq(namespace, 'namespace') }
}

/** `function` matches the short or the qualified name. */
export function functionFilter(fn: string): Document {
  return { $or: [{ function: eq(fn, 'function') }, { functionFull: eq(fn, 'function') }] }
}

/** Statuses that hold (or may take back) a lease. */
export const LIVE_STATUSES = ['started', 'paused'] as const

type TimeOperator = '$eq' | '$lt' | '$lte' | '$gt' | '$gte'

/**
 * A time condition on `field` that matches both layouts: BSON Dates, and the epoch-ms numbers of
 * version-0 documents (MongoDB's type bracketing never matches a number against a Date).
 */
export function timeCondition(field: string, ops: Partial<Record<TimeOperator, number>>): Document {
  const asDates: Document = {}
  const asNumbers: Document = {}
  for (const [op, ms] of Object.entries(ops) as [TimeOperator, number][]) {
    asDates[op] = toDate(ms)
    asNumbers[op] = toDate(ms).getTime()
  }
  return { $or: [{ [field]: asDates }, { [field]: asNumbers }] }
}

/** The filter of a computation listing. */
export function computationListFilter(q: NormalizedComputationQuery): Document {
  const filter: Document = namespaceFilter(q.namespaces)
  if (q.statuses !== undefined) filter.status = oneOf(q.statuses, 'status')
  if (q.hash !== undefined) filter.hash = eq(q.hash, 'hash')
  const range =
    q.since !== undefined || q.until !== undefined
      ? timeCondition('createdAt', {
          ...(q.since === undefined ? {} : { $gte: q.since }),
          ...(q.until === undefined ? {} : { $lt: q.until }),
        })
      : {}
  return and(filter, range, q.function === undefined ? {} : functionFilter(q.function))
}

/** Sort of a computation listing: the field, then `_id` (time-ordered) in the same direction. */
export function computationSort(q: NormalizedComputationQuery): Sort {
  const dir = q.sort.descending ? -1 : 1
  return { [q.sort.field]: dir, _id: dir }
}

/**
 * Documents after a cursor key in the listing order: `fields[0]` compared with `key[0]` (a Date for
 * the time fields, see `dates`), ties broken by each next field, all in the sort's direction. An
 * `$or` of equality prefixes, which the planner answers as bounds on the listing's index.
 */
export function afterKeyFilter(
  fields: readonly string[],
  key: readonly (number | string)[],
  descending: boolean,
  dates: boolean,
): Document {
  const op = descending ? '$lt' : '$gt'
  const values = key.map((part, i) => (i === 0 && dates ? toDate(part as number) : eq(part, fields[i]!).$eq))
  const branches = fields.map((field, i) => {
    const branch: Document = {}
    for (let j = 0; j < i; j++) branch[fields[j]!] = { $eq: values[j] }
    branch[field] = { [op]: values[i] }
    return branch
  })
  return { $or: branches }
}

/**
 * The lease ran out: by the server's clock (`$$NOW`) when `byServer`, else by `now`. Version-0
 * number leases are always compared with `now` (`$$NOW` is a Date, which no number matches).
 */
export function leaseExpired(now: number, byServer: boolean): Document {
  if (!byServer) return timeCondition('leaseUntil', { $lte: now })
  return {
    $or: [
      { leaseUntil: { $type: 'date' }, $expr: { $lte: ['$leaseUntil', '$$NOW'] } },
      { leaseUntil: { $type: 'number', $lte: toDate(now).getTime() } },
    ],
  }
}

/** Live runs whose lease ran out (see `leaseExpired`), in every namespace. */
export function expiredLeaseFilter(now: number, byServer = false): Document {
  return { status: oneOf(LIVE_STATUSES, 'status'), ...leaseExpired(now, byServer) }
}

/** Entries that have not expired by `now` (no expiry, or a later one). */
export function liveEntryFilter(now: number): Document {
  const later = timeCondition('expiresAt', { $gt: now }).$or as Document[]
  return { $or: [{ expiresAt: { $eq: null } }, ...later] }
}

/** Entries that have expired by `now`. */
export function expiredEntryFilter(now: number): Document {
  return timeCondition('expiresAt', { $lte: now })
}

/** The filter of a cache listing (live entries only). */
export function cacheListFilter(q: NormalizedCacheQuery, now: number): Document {
  const filter: Document = namespaceFilter(q.namespaces)
  if (q.tag !== undefined) filter.tags = eq(q.tag, 'tag')
  if (q.version !== undefined) filter.version = eq(q.version, 'version')
  return and(filter, q.function === undefined ? {} : functionFilter(q.function), liveEntryFilter(now))
}

/** The cursor condition of a computation listing, if it pages by cursor. */
export function computationAfter(q: NormalizedComputationQuery): Document {
  if (q.after === undefined) return {}
  return afterKeyFilter([q.sort.field, '_id'], q.after, q.sort.descending, true)
}

/** The cursor condition of a cache listing, if it pages by cursor. */
export function cacheAfter(q: NormalizedCacheQuery): Document {
  if (q.after === undefined) return {}
  return afterKeyFilter(
    [q.sort.field, 'key', 'namespace'],
    q.after,
    q.sort.descending,
    q.sort.field === 'createdAt',
  )
}

/** Sort of a cache listing: the field, then `key`, then `namespace`, in the same direction. */
export function cacheSort(q: NormalizedCacheQuery): Sort {
  const dir = q.sort.descending ? -1 : 1
  return { [q.sort.field]: dir, key: dir, namespace: dir }
}

/** The entries of a namespace an invalidation selects (validated criteria). */
export function invalidateFilter(namespace: string, criteria: InvalidateCriteria): Document {
  const filter: Document = { namespace: eq(namespace, 'namespace') }
  if (criteria.all === true) return filter
  if (criteria.tag !== undefined) filter.tags = eq(criteria.tag, 'tag')
  if (criteria.version !== undefined) filter.version = eq(criteria.version, 'version')
  return criteria.function === undefined ? filter : and(filter, functionFilter(criteria.function))
}
