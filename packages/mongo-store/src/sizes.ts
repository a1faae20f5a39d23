import { cmError } from '@comp-manager/core'
import { BSON, type Document, ObjectId } from 'mongodb'

/**
 * MongoDB refuses documents over 16 MiB (and the wire peer of the tests drops the connection).
 * Documents are measured whole, `args` included, before they are sent; the headroom leaves room for
 * the command around the document and the fields a later update adds.
 */
export const MAX_DOCUMENT_BYTES = 16 * 1024 * 1024 - 64 * 1024

/** The BSON size of `doc` in bytes. */
export const documentBytes = (doc: Document): number => BSON.calculateObjectSize(doc)

/** Throws `CM_ERR_VALUE_TOO_LARGE` when `doc` would be over `MAX_DOCUMENT_BYTES`. */
export function assertDocumentFits(doc: Document, what: string): void {
  const bytes = documentBytes(doc)
  if (bytes <= MAX_DOCUMENT_BYTES) return
  throw cmError(
    'CM_ERR_VALUE_TOO_LARGE',
    `${what} would be a ${bytes}-byte document, over MongoDB's limit (${MAX_DOCUMENT_BYTES} bytes with headroom); make its args smaller`,
    { details: { bytes, limit: MAX_DOCUMENT_BYTES } },
  )
}

/**
 * Where a cache value goes: inline when it is at most `thresholdBytes` and the whole entry with it
 * fits in one document; else GridFS, after checking that the entry without the value fits.
 */
export function chooseStorage(
  value: { size: number; thresholdBytes: number },
  build: (
    storage: { storage: 'inline'; value: string } | { storage: 'gridfs'; valueFile: ObjectId },
  ) => Document,
  inlineValue: string,
): 'inline' | 'gridfs' {
  if (
    value.size <= value.thresholdBytes &&
    documentBytes(build({ storage: 'inline', value: inlineValue })) <= MAX_DOCUMENT_BYTES
  )
    return 'inline'
  assertDocumentFits(build({ storage: 'gridfs', valueFile: new ObjectId() }), 'the cache entry')
  return 'gridfs'
}

/** `doc`, checked to fit in one MongoDB document (args included) before it is sent. */
export function fitting<T extends Document>(doc: T): T {
  assertDocumentFits(doc, 'the computation')
  return doc
}
