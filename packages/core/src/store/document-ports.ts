/**
 * The document port: small JSON documents with a revision, for the state the libraries above the
 * Store keep next to the data (webhook subscriptions and their delivery cursors, each process's
 * cache counters). A store that implements it exposes it as `store.documents` (optional, as
 * `store.events`).
 *
 * - A document is addressed by `kind` (who owns it, e.g. `webhook`), `namespace` and `id`.
 * - `put` is a **compare-and-set** on `rev`: `expectedRev: null` creates (fails if it exists),
 *   a number replaces the revision read (fails if another writer came first). A lost race is
 *   `CM_ERR_CONFLICT`, so several processes and machines can share one document safely.
 * - `data` is a JSON object of at most {@link MAX_DOCUMENT_BYTES} bytes (UTF-8 of its JSON text).
 */
export interface DocumentStore {
  /** One document, or `null`. */
  get(kind: string, namespace: string, id: string): Promise<StoredDocument | null>
  /**
   * The documents of `kind` (in the given namespaces, or in all), ordered by namespace then id; at
   * most `limit` (1..1000, default 1000) after the `(namespace, id)` of `after` when given.
   */
  list(kind: string, options?: DocumentListOptions): Promise<StoredDocument[]>
  /** Creates (`expectedRev: null`) or replaces revision `expectedRev`; `CM_ERR_CONFLICT` otherwise. */
  put(input: DocumentInput, expectedRev: number | null): Promise<StoredDocument>
  /** Deletes one document (any revision); `false` if absent. */
  delete(kind: string, namespace: string, id: string): Promise<boolean>
}

/** Largest `data` a document holds, in bytes of its JSON text. */
export const MAX_DOCUMENT_BYTES = 256 * 1024

export interface DocumentInput {
  kind: string
  namespace: string
  id: string
  data: Record<string, unknown>
}

export interface StoredDocument extends DocumentInput {
  /** 1 on create, +1 on each `put`. */
  rev: number
  /** Epoch ms (the store's clock) of the last `put`. */
  updatedAt: number
}

export interface DocumentListOptions {
  namespace?: string | readonly string[]
  limit?: number
  /** Keyset paging: documents after this position. */
  after?: { namespace: string; id: string }
}

/** What a store implements behind `GuardedDocumentStore` (inputs already validated). */
export interface DocumentBackend {
  assertOpen?(operation: string): void
  get(kind: string, namespace: string, id: string): Promise<StoredDocument | null>
  list(query: NormalizedDocumentList): Promise<StoredDocument[]>
  /** The document written, or `null` when `expectedRev` did not match (the guard raises the conflict). */
  put(input: DocumentInput, expectedRev: number | null, now: number): Promise<StoredDocument | null>
  delete(kind: string, namespace: string, id: string): Promise<boolean>
}

export interface NormalizedDocumentList {
  kind: string
  /** `null`: every namespace. */
  namespaces: readonly string[] | null
  limit: number
  after: { namespace: string; id: string } | null
}
