import type { DocumentInput, StoredDocument } from '@comp-manager/core'
import type { DocumentBackend, NormalizedDocumentList } from '@comp-manager/core/store-kit'
import type { Collection, Document, Filter } from 'mongodb'
import { PRIMARY, type StoreContext } from './context.js'

interface StateDocument {
  _id: string
  kind: string
  namespace: string
  id: string
  rev: number
  updatedAt: number
  /** The JSON text of `data`: keys with `$` or `.` (function names) are never interpreted. */
  data: string
}

const idOf = (kind: string, namespace: string, id: string): string => `${kind}\u001f${namespace}\u001f${id}`

const toDocument = (d: StateDocument): StoredDocument => ({
  kind: d.kind,
  namespace: d.namespace,
  id: d.id,
  rev: d.rev,
  updatedAt: d.updatedAt,
  data: JSON.parse(d.data) as Record<string, unknown>,
})

const isDuplicate = (err: unknown): boolean => (err as { code?: unknown } | null)?.code === 11000

/**
 * The document port on `<computations>_documents`: a create is an insert (a duplicate `_id` loses),
 * a replace an `updateOne` filtered on `rev` (single-document atomicity: no transaction needed).
 */
export class MongoDocumentStore implements DocumentBackend {
  readonly #ctx: StoreContext
  readonly #docs: Collection<StateDocument>

  constructor(ctx: StoreContext, collection: Collection<Document>) {
    this.#ctx = ctx
    this.#docs = collection as unknown as Collection<StateDocument>
  }

  assertOpen(): void {
    this.#ctx.assertOpen()
  }

  async get(kind: string, namespace: string, id: string): Promise<StoredDocument | null> {
    return this.#ctx.run('documents.get', async () => {
      const doc = await this.#docs.findOne({ _id: idOf(kind, namespace, id) }, PRIMARY)
      return doc === null ? null : toDocument(doc)
    })
  }

  async list(q: NormalizedDocumentList): Promise<StoredDocument[]> {
    const filter: Filter<StateDocument> = { kind: q.kind }
    if (q.namespaces !== null) filter.namespace = { $in: [...q.namespaces] }
    if (q.after !== null) {
      const { namespace, id } = q.after
      filter.$or = [{ namespace: { $gt: namespace } }, { namespace, id: { $gt: id } }]
    }
    return this.#ctx.run('documents.list', async () => {
      const docs = await this.#docs
        .find(filter, PRIMARY)
        .sort({ namespace: 1, id: 1 })
        .limit(q.limit)
        .toArray()
      return docs.map(toDocument)
    })
  }

  async put(input: DocumentInput, expectedRev: number | null, now: number): Promise<StoredDocument | null> {
    const { kind, namespace, id } = input
    const _id = idOf(kind, namespace, id)
    const data = JSON.stringify(input.data)
    const written = { kind, namespace, id, rev: (expectedRev ?? 0) + 1, updatedAt: now, data: input.data }
    return this.#ctx.run('documents.put', async () => {
      if (expectedRev === null) {
        try {
          await this.#docs.insertOne({ _id, kind, namespace, id, rev: 1, updatedAt: now, data })
        } catch (err) {
          if (isDuplicate(err)) return null
          throw err
        }
        return written
      }
      const r = await this.#docs.updateOne(
        { _id, rev: expectedRev },
        { $set: { updatedAt: now, data, rev: expectedRev + 1 } },
      )
      return r.matchedCount === 0 ? null : written
    })
  }

  async delete(kind: string, namespace: string, id: string): Promise<boolean> {
    return this.#ctx.run('documents.delete', async () => {
      const r = await this.#docs.deleteOne({ _id: idOf(kind, namespace, id) })
      return r.deletedCount > 0
    })
  }
}
