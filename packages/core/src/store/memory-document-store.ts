import { cloneStored } from './clone.js'
import type {
  DocumentBackend,
  DocumentInput,
  NormalizedDocumentList,
  StoredDocument,
} from './document-ports.js'
import type { MemoryContext } from './memory-store.js'

const keyOf = (kind: string, namespace: string, id: string): string => `${kind}\u0000${namespace}\u0000${id}`

/** Orders documents by namespace, then id (code unit order, as SQLite's BINARY collation). */
export function compareDocuments(
  a: { namespace: string; id: string },
  b: { namespace: string; id: string },
): number {
  if (a.namespace !== b.namespace) return a.namespace < b.namespace ? -1 : 1
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0
}

/** The MemoryStore's documents: a map of copies. */
export class MemoryDocumentStore implements DocumentBackend {
  readonly #ctx: MemoryContext
  readonly #docs = new Map<string, StoredDocument>()

  constructor(ctx: MemoryContext) {
    this.#ctx = ctx
  }

  assertOpen(): void {
    this.#ctx.assertOpen()
  }

  async get(kind: string, namespace: string, id: string): Promise<StoredDocument | null> {
    const doc = this.#docs.get(keyOf(kind, namespace, id))
    return doc === undefined ? null : cloneStored(doc)
  }

  async list(q: NormalizedDocumentList): Promise<StoredDocument[]> {
    const after = q.after
    return [...this.#docs.values()]
      .filter((d) => d.kind === q.kind && (q.namespaces === null || q.namespaces.includes(d.namespace)))
      .filter((d) => after === null || compareDocuments(d, after) > 0)
      .sort(compareDocuments)
      .slice(0, q.limit)
      .map((d) => cloneStored(d))
  }

  async put(input: DocumentInput, expectedRev: number | null, now: number): Promise<StoredDocument | null> {
    this.#ctx.assertOpen()
    const key = keyOf(input.kind, input.namespace, input.id)
    const current = this.#docs.get(key)
    if ((current?.rev ?? null) !== expectedRev) return null
    const doc: StoredDocument = { ...cloneStored(input), rev: (expectedRev ?? 0) + 1, updatedAt: now }
    this.#docs.set(key, doc)
    return cloneStored(doc)
  }

  async delete(kind: string, namespace: string, id: string): Promise<boolean> {
    this.#ctx.assertOpen()
    return this.#docs.delete(keyOf(kind, namespace, id))
  }

  clear(): void {
    this.#docs.clear()
  }
}
