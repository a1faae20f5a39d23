/**
 * The part of a better-sqlite3 `Database` this package's public API takes, declared here
 * structurally so the published types do not import `better-sqlite3` (its types are not a
 * dependency: a host compiling with `skipLibCheck: false` would otherwise fail with TS7016).
 * An open better-sqlite3 `Database` satisfies it.
 */
export interface SqliteDatabase {
  /** False once the connection is closed. */
  readonly open: boolean
  /** True when opened read-only. */
  readonly readonly: boolean
  /** The file name (or `':memory:'`). */
  readonly name: string
  prepare(source: string): unknown
  exec(source: string): unknown
  pragma(source: string, options?: { simple?: boolean }): unknown
  transaction(fn: (...args: never[]) => unknown): unknown
  close(): unknown
}
