import { Type } from 'typebox'
import { Compile } from 'typebox/compile'
import { NamespaceSchema } from '../domain/schemas.js'
import { cmError } from '../errors/index.js'
import {
  type DocumentBackend,
  type DocumentInput,
  type DocumentListOptions,
  type DocumentStore,
  MAX_DOCUMENT_BYTES,
  type NormalizedDocumentList,
  type StoredDocument,
} from './document-ports.js'
import type { Clock } from './ports.js'
import { namespacesOf } from './queries.js'
import { check } from './validate.js'

export const MAX_DOCUMENT_LIST = 1000

const Kind = Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z][a-z0-9.-]*$' })
const Id = Type.String({ minLength: 1, maxLength: 256 })
const Address = Compile(Type.Object({ kind: Kind, namespace: NamespaceSchema, id: Id }))
const InputCheck = Compile(
  Type.Object(
    { kind: Kind, namespace: NamespaceSchema, id: Id, data: Type.Record(Type.String(), Type.Unknown()) },
    { additionalProperties: false },
  ),
)
const Rev = Compile(Type.Object({ expectedRev: Type.Union([Type.Null(), Type.Integer({ minimum: 1 })]) }))
const ListCheck = Compile(
  Type.Object(
    {
      namespace: Type.Optional(Type.Unknown()),
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_DOCUMENT_LIST })),
      after: Type.Optional(
        Type.Object({ namespace: NamespaceSchema, id: Id }, { additionalProperties: false }),
      ),
    },
    { additionalProperties: false },
  ),
)

/** `data` as stored: plain JSON (no `__proto__`/`constructor` keys), within the size bound. */
function checkData(data: Record<string, unknown>): Record<string, unknown> {
  let text: string
  try {
    text = JSON.stringify(data)
  } catch (err) {
    throw cmError('CM_ERR_INVALID_ARGUMENT', `document data is not JSON: ${(err as Error).message}`)
  }
  if (Buffer.byteLength(text) > MAX_DOCUMENT_BYTES) {
    throw cmError('CM_ERR_VALUE_TOO_LARGE', `document data exceeds ${MAX_DOCUMENT_BYTES} bytes`, {
      details: { limit: MAX_DOCUMENT_BYTES },
    })
  }
  if (/"(__proto__|constructor|prototype)":/.test(text)) {
    throw cmError(
      'CM_ERR_INVALID_ARGUMENT',
      'document data may not hold __proto__, constructor or prototype keys',
    )
  }
  return JSON.parse(text) as Record<string, unknown>
}

export function normalizeDocumentList(kind: unknown, options: unknown): NormalizedDocumentList {
  check(Address, { kind, namespace: 'default', id: 'x' }, 'document kind')
  const o = (options ?? {}) as DocumentListOptions
  check(ListCheck, o, 'document list options')
  return {
    kind: kind as string,
    namespaces: o.namespace === undefined ? null : namespacesOf(o.namespace),
    limit: o.limit ?? MAX_DOCUMENT_LIST,
    after: o.after ?? null,
  }
}

/** The guard in front of a document backend: inputs validated once, conflicts raised once. */
export class GuardedDocumentStore implements DocumentStore {
  readonly #backend: DocumentBackend
  readonly #clock: Clock

  constructor(backend: DocumentBackend, clock: Clock) {
    this.#backend = backend
    this.#clock = clock
  }

  async get(kind: string, namespace: string, id: string): Promise<StoredDocument | null> {
    this.#backend.assertOpen?.('documents.get')
    check(Address, { kind, namespace, id }, 'document address')
    return this.#backend.get(kind, namespace, id)
  }

  async list(kind: string, options?: DocumentListOptions): Promise<StoredDocument[]> {
    this.#backend.assertOpen?.('documents.list')
    return this.#backend.list(normalizeDocumentList(kind, options))
  }

  async put(input: DocumentInput, expectedRev: number | null): Promise<StoredDocument> {
    this.#backend.assertOpen?.('documents.put')
    check(InputCheck, input, 'document')
    check(Rev, { expectedRev }, 'document revision')
    const doc = { kind: input.kind, namespace: input.namespace, id: input.id, data: checkData(input.data) }
    const written = await this.#backend.put(doc, expectedRev, this.#clock())
    if (written !== null) return written
    throw cmError(
      'CM_ERR_CONFLICT',
      expectedRev === null
        ? `document ${input.kind}/${input.id} already exists`
        : `document ${input.kind}/${input.id} is not at revision ${expectedRev}`,
      { details: { kind: input.kind, id: input.id, expectedRev } },
    )
  }

  async delete(kind: string, namespace: string, id: string): Promise<boolean> {
    this.#backend.assertOpen?.('documents.delete')
    check(Address, { kind, namespace, id }, 'document address')
    return this.#backend.delete(kind, namespace, id)
  }
}
