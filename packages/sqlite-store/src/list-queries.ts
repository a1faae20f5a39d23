import type {
  CursorKey,
  NormalizedCacheQuery,
  NormalizedComputationQuery,
} from '@comp-manager/core/store-kit'
import {
  afterKey,
  branchesOf,
  countQuery,
  equalities,
  functionSplit,
  MAX_BRANCHES,
  pageQuery,
  type Split,
} from './listing.js'
import { allOf, type Clause, inNamespaces, scopeAndFunction } from './sql.js'

/** The SQL of a listing: its page (`perPage + 1` rows) and its bounded count. */
export interface ListSql {
  page: Clause
  count: Clause
}

/** A page and a count of computations (`columns`: the list to select). */
export function computationListSql(q: NormalizedComputationQuery, columns: string): ListSql {
  const column = q.sort.field === 'createdAt' ? 'created_at' : 'updated_at'
  const common: Clause[] = []
  if (q.hash !== undefined) common.push({ sql: 'hash = ?', params: [q.hash] })
  if (q.since !== undefined) common.push({ sql: 'created_at >= ?', params: [q.since] })
  if (q.until !== undefined) common.push({ sql: 'created_at < ?', params: [q.until] })
  let branches = branchesOf(
    [
      equalities('namespace', q.namespaces),
      q.statuses === undefined ? [null] : equalities('status', q.statuses),
      functionSplit('', q.function),
    ],
    common,
  )
  if (branches.length > MAX_BRANCHES) branches = [allOf([...fallbackFilter(q), ...common])]
  else if (q.hash === undefined) branches = branches.map((b, i) => ({ ...b, from: pinnedIndex(q, i) }))
  const keyed = branches.map((b) =>
    q.after === undefined
      ? b
      : { ...allOf([b, afterKey([column, 'id'], q.after, q.sort.descending)]), from: b.from },
  )
  const select = { table: 'computations', columns, order: [column, 'id'], descending: q.sort.descending }
  return {
    page: pageQuery(select, keyed, q.perPage + 1, q.offset),
    count: countQuery('computations', branches, q.countLimit + 1),
  }
}

/**
 * The index of branch `i`, named: without statistics (no `ANALYZE` on a fresh file) SQLite prefers an
 * index that gives the order over one with more equality columns, so "status + function" would scan
 * every row of the function. The branches are in `branchesOf` order: the function alternative varies
 * fastest.
 */
function pinnedIndex(q: NormalizedComputationQuery, i: number): string {
  const updated = q.sort.field === 'updatedAt'
  const fn = q.function === undefined ? '' : i % 2 === 0 ? '_function' : '_function_full'
  const status = q.statuses !== undefined
  let index: string
  if (fn === '')
    index = status ? 'computations_status' : updated ? 'computations_updated' : 'computations_created'
  else index = `computations${fn}${status && !updated ? '_status' : ''}`
  if (updated && index !== 'computations_updated') index += '_updated'
  return `computations INDEXED BY ${index}`
}

/** The filter of namespaces, statuses and function as one branch (`IN` lists, `OR`). */
function fallbackFilter(q: NormalizedComputationQuery): Clause[] {
  const clauses: Clause[] = [scopeAndFunction('', q.namespaces, q.function)]
  if (q.statuses !== undefined) {
    clauses.push({ sql: 'status IN (SELECT value FROM json_each(?))', params: [JSON.stringify(q.statuses)] })
  }
  return clauses
}

const sortColumns = { createdAt: 'created_at', hits: 'hits', size: 'size' } as const

/** A page and a count of live cache entries (at `now`). */
export function cacheListSql(q: NormalizedCacheQuery, columns: string, now: number): ListSql {
  const column = sortColumns[q.sort.field]
  const common = [...criteriaClauses(q.namespaces, q), { sql: LIVE, params: [now] }]
  let branches = branchesOf([namespaceSplit(q.namespaces), functionSplit('c.', q.function)], common)
  const split = branches.length <= MAX_BRANCHES
  if (!split) branches = [allOf([scopeAndFunction('c.', q.namespaces, q.function), ...common])]
  const keyed = branches.map((branch, i) => {
    if (q.after === undefined) return branch
    // One namespace per branch: compare (value, key), and let the namespace decide a tie.
    const ns = split ? q.namespaces[Math.floor(i / (q.function === undefined ? 1 : 2))]! : undefined
    return allOf([branch, afterCacheKey(column, q.after, q.sort.descending, ns)])
  })
  const select = {
    table: 'cache_entries AS c',
    columns,
    order: [column, 'key', 'namespace'],
    descending: q.sort.descending,
  }
  return {
    page: pageQuery(select, keyed, q.perPage + 1, q.offset),
    count: countQuery('cache_entries AS c', branches, q.countLimit + 1),
  }
}

/**
 * An entry is live until `expires_at` (`expires_at <= now` is expired). Expired entries are absent
 * for every method but `purgeExpired`: not returned, listed, counted, deleted nor invalidated.
 */
export const LIVE = '(expires_at IS NULL OR expires_at > ?)'

/** The WHERE clause over `cache_entries AS c` for a namespace scope and optional criteria. */
export function filterOf(
  namespaces: readonly string[],
  criteria: { function?: string | undefined; tag?: string | undefined; version?: string | null | undefined },
): Clause {
  return allOf([
    scopeAndFunction('c.', namespaces, criteria.function),
    ...criteriaClauses(namespaces, criteria),
  ])
}

/** The version and tag criteria (the namespace and function are split into branches by `list`). */
function criteriaClauses(
  namespaces: readonly string[],
  criteria: { tag?: string | undefined; version?: string | null | undefined },
): Clause[] {
  const clauses: Clause[] = []
  if (criteria.version === null) clauses.push({ sql: 'c.version IS NULL', params: [] })
  else if (criteria.version !== undefined) clauses.push({ sql: 'c.version = ?', params: [criteria.version] })
  if (criteria.tag !== undefined) {
    // Driven from cache_tags' (namespace, tag, key) primary key, then the (namespace, key) index.
    const ns = inNamespaces('t.namespace', namespaces)
    clauses.push({
      sql: `(c.namespace, c.key) IN (SELECT t.namespace, t.key FROM cache_tags AS t WHERE ${ns.sql} AND t.tag = ?)`,
      params: [...ns.params, criteria.tag],
    })
  }
  return clauses
}

function namespaceSplit(namespaces: readonly string[]): Split {
  return namespaces.map((ns) => ({ sql: 'c.namespace = ?', params: [ns] }))
}

/**
 * Entries after the cursor key `[value, key, namespace]`. In a branch of one namespace `ns`, the
 * namespace only breaks a tie of (value, key): `(value, key) <= (?, ?)` when `ns` comes before the
 * cursor's namespace in the direction of the sort, `<` otherwise, which an index range answers.
 */
function afterCacheKey(
  column: string,
  after: CursorKey,
  descending: boolean,
  ns: string | undefined,
): Clause {
  const [value, key, namespace] = after as [number, string, string]
  if (ns === undefined) return afterKey([`c.${column}`, 'c.key', 'c.namespace'], after, descending)
  const tieIncluded = descending ? ns < namespace : ns > namespace
  const op = `${descending ? '<' : '>'}${tieIncluded ? '=' : ''}`
  return { sql: `(c.${column}, c.key) ${op} (?, ?)`, params: [value, key] }
}
