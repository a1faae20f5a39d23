/**
 * WHERE-clause building blocks for the listing queries, shaped so SQLite's planner can use the
 * indexes (checked with EXPLAIN QUERY PLAN):
 * - one namespace is `namespace = ?`; several are `IN (SELECT value FROM json_each(?))`, so the
 *   SQL text (and its cached prepared statement) does not change with the number of namespaces;
 * - "function matches `function` or `functionFull`" repeats the namespace inside each branch of
 *   the OR, which lets SQLite answer it from the `(namespace, function)` and
 *   `(namespace, function_full)` indexes (MULTI-INDEX OR) instead of scanning the namespace.
 */

export type Param = string | number

export interface Clause {
  sql: string
  params: Param[]
}

/** `column` is one of `namespaces`. */
export function inNamespaces(column: string, namespaces: readonly string[]): Clause {
  return namespaces.length === 1
    ? { sql: `${column} = ?`, params: [namespaces[0]!] }
    : { sql: `${column} IN (SELECT value FROM json_each(?))`, params: [JSON.stringify(namespaces)] }
}

/** `namespace ∈ namespaces`, and, if given, `function = fn OR function_full = fn`. */
export function scopeAndFunction(
  alias: string,
  namespaces: readonly string[],
  fn: string | undefined,
): Clause {
  const ns = inNamespaces(`${alias}namespace`, namespaces)
  if (fn === undefined) return ns
  return {
    sql: `((${ns.sql} AND ${alias}function = ?) OR (${ns.sql} AND ${alias}function_full = ?))`,
    params: [...ns.params, fn, ...ns.params, fn],
  }
}

/** ANDs clauses together. */
export function allOf(clauses: readonly Clause[]): Clause {
  return { sql: clauses.map((c) => c.sql).join(' AND '), params: clauses.flatMap((c) => c.params) }
}
