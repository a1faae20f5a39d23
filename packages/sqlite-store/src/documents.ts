import type { DocumentInput, StoredDocument } from '@comp-manager/core'
import type { DocumentBackend, NormalizedDocumentList } from '@comp-manager/core/store-kit'
import type { Connection } from './connection.js'

/** Version 7: revisioned JSON documents (webhook subscriptions and cursors, fleet-wide counters). */
export const SCHEMA_V7 = `
CREATE TABLE documents (
  kind        TEXT    NOT NULL,
  namespace   TEXT    NOT NULL,
  id          TEXT    NOT NULL,
  rev         INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL,
  data        TEXT    NOT NULL,
  PRIMARY KEY (kind, namespace, id)
) WITHOUT ROWID;
`

interface DocumentRow {
  kind: string
  namespace: string
  id: string
  rev: number
  updated_at: number
  data: string
}

const toDocument = (r: DocumentRow): StoredDocument => ({
  kind: r.kind,
  namespace: r.namespace,
  id: r.id,
  rev: r.rev,
  updatedAt: r.updated_at,
  data: JSON.parse(r.data) as Record<string, unknown>,
})

const marks = (n: number): string => Array.from({ length: n }, () => '?').join(', ')

/** The document port on the `documents` table: a `put` is one conditional statement on `rev`. */
export class SqliteDocumentStore implements DocumentBackend {
  readonly #conn: Connection

  constructor(conn: Connection) {
    this.#conn = conn
  }

  assertOpen(operation: string): void {
    this.#conn.assertOpen(operation)
  }

  async get(kind: string, namespace: string, id: string): Promise<StoredDocument | null> {
    const sql = 'SELECT * FROM documents WHERE kind = ? AND namespace = ? AND id = ?'
    return this.#conn.runRead('documents.get', () => {
      const row = this.#conn.statement(sql).get(kind, namespace, id) as DocumentRow | undefined
      return row === undefined ? null : toDocument(row)
    })
  }

  async list(q: NormalizedDocumentList): Promise<StoredDocument[]> {
    const where = ['kind = ?']
    const params: unknown[] = [q.kind]
    if (q.namespaces !== null) {
      where.push(`namespace IN (${marks(q.namespaces.length)})`)
      params.push(...q.namespaces)
    }
    if (q.after !== null) {
      where.push('(namespace, id) > (?, ?)')
      params.push(q.after.namespace, q.after.id)
    }
    const sql = `SELECT * FROM documents WHERE ${where.join(' AND ')} ORDER BY namespace, id LIMIT ?`
    return this.#conn.runRead('documents.list', () =>
      (this.#conn.statement(sql).all(...params, q.limit) as DocumentRow[]).map(toDocument),
    )
  }

  async put(input: DocumentInput, expectedRev: number | null, now: number): Promise<StoredDocument | null> {
    const data = JSON.stringify(input.data)
    const { kind, namespace, id } = input
    const sql =
      expectedRev === null
        ? `INSERT INTO documents (kind, namespace, id, rev, updated_at, data) VALUES (?, ?, ?, 1, ?, ?)
           ON CONFLICT DO NOTHING`
        : `UPDATE documents SET rev = rev + 1, updated_at = ?, data = ?
           WHERE kind = ? AND namespace = ? AND id = ? AND rev = ?`
    const params =
      expectedRev === null ? [kind, namespace, id, now, data] : [now, data, kind, namespace, id, expectedRev]
    const changes = await this.#conn.run(
      'documents.put',
      () => this.#conn.statement(sql).run(...params).changes,
    )
    if (changes === 0) return null
    return { kind, namespace, id, rev: (expectedRev ?? 0) + 1, updatedAt: now, data: input.data }
  }

  async delete(kind: string, namespace: string, id: string): Promise<boolean> {
    const sql = 'DELETE FROM documents WHERE kind = ? AND namespace = ? AND id = ?'
    return this.#conn.run(
      'documents.delete',
      () => this.#conn.statement(sql).run(kind, namespace, id).changes > 0,
    )
  }
}
