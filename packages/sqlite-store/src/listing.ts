import type { CursorKey } from '@comp-manager/core/store-kit'
import type { Clause, Param } from './sql.js'

/**
 * Listings that stay flat on big tables: each listing is cut into **branches**, one per equality
 * prefix of an index (one namespace × one status × one of `function`/`function_full`), each read in
 * index order, and merged by SQLite (`UNION ALL … ORDER BY` is a MERGE of ordered co-routines, no
 * temp B-tree). A page is the first `perPage + 1` rows of the merge, after the cursor key when paging
 * by keyset; a count is of the same branches with a `LIMIT` (`countLimit + 1`), never of the table.
 *
 * "function matches `function` or `function_full`" is two branches: `function = ?`, and
 * `function_full = ? AND function <> ?` (so a row matching both is listed once). Above
 * {@link MAX_BRANCHES} branches (many namespaces × statuses) the listing is one branch with `IN`
 * lists, which SQLite must sort: still correct, no longer flat.
 */

export const MAX_BRANCHES = 32

/** A branch of a listing; `from` (e.g. `t INDEXED BY i`) replaces the table when the plan is pinned. */
export interface Branch extends Clause {
  from?: string
}

/** One dimension of the branches: the alternatives it splits a listing into (none: `[null]`). */
export type Split = readonly (Clause | null)[]

/** Every combination of one alternative per split, ANDed with `common`. */
export function branchesOf(splits: readonly Split[], common: readonly Clause[]): Branch[] {
  let combos: Clause[][] = [[]]
  for (const split of splits) {
    combos = combos.flatMap((combo) => split.map((alt) => (alt === null ? combo : [...combo, alt])))
  }
  return combos.map((combo) => and([...combo, ...common]))
}

function and(clauses: readonly Clause[]): Clause {
  if (clauses.length === 0) return { sql: '1', params: [] }
  return { sql: clauses.map((c) => c.sql).join(' AND '), params: clauses.flatMap((c) => c.params) }
}

/** `column = value` for each value: one branch per value. */
export function equalities(column: string, values: readonly Param[]): Split {
  return values.map((value) => ({ sql: `${column} = ?`, params: [value] }))
}

/** The function filter as two branches (short name, full name), or none. */
export function functionSplit(alias: string, fn: string | undefined): Split {
  if (fn === undefined) return [null]
  return [
    { sql: `${alias}function = ?`, params: [fn] },
    { sql: `${alias}function_full = ? AND ${alias}function <> ?`, params: [fn, fn] },
  ]
}

export interface OrderedSelect {
  table: string
  columns: string
  /** Result column names of the sort, most significant first (the sort value, then tie-breakers). */
  order: readonly string[]
  descending: boolean
}

/** `SELECT … WHERE branch₁ UNION ALL … ORDER BY … LIMIT ? OFFSET ?` with its parameters. */
export function pageQuery(
  select: OrderedSelect,
  branches: readonly Branch[],
  limit: number,
  offset: number,
): Clause {
  const direction = select.descending ? 'DESC' : 'ASC'
  const order = select.order.map((column) => `${column} ${direction}`).join(', ')
  const union = branches
    .map((b) => `SELECT ${select.columns} FROM ${select.table} WHERE ${b.sql}`)
    .join(' UNION ALL ')
  return {
    sql: `${union} ORDER BY ${order} LIMIT ? OFFSET ?`,
    params: [...branches.flatMap((b) => b.params), limit, offset],
  }
}

/** `count(*)` of the branches, stopping at `limit` rows. */
export function countQuery(table: string, branches: readonly Branch[], limit: number): Clause {
  const union = branches.map((b) => `SELECT 1 FROM ${b.from ?? table} WHERE ${b.sql}`).join(' UNION ALL ')
  return {
    sql: `SELECT count(*) AS total FROM (${union} LIMIT ?)`,
    params: [...branches.flatMap((b) => b.params), limit],
  }
}

/**
 * Rows strictly after `key` in the sort order, as a row-value comparison SQLite answers with an index
 * range: `(value, id) < (?, ?)` descending, `>` ascending.
 */
export function afterKey(columns: readonly string[], key: CursorKey, descending: boolean): Clause {
  const op = descending ? '<' : '>'
  return {
    sql: `(${columns.join(', ')}) ${op} (${columns.map(() => '?').join(', ')})`,
    params: [...key],
  }
}
