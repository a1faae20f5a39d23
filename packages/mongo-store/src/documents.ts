import {
  CACHE_SCHEMA_VERSION,
  type CacheEntryMeta,
  type Computation,
  type ComputationStatus,
  cmError,
  type ErrorInfo,
  isComputationStatus,
  type Progress,
  type ResultRef,
  SCHEMA_VERSION,
} from '@comp-manager/core'
import type { Document, ObjectId } from 'mongodb'
import { toDate, toMs, toNullableDate } from './timestamps.js'
import { DOCUMENT_VERSION } from './upgrades.js'

/**
 * Domain records ↔ MongoDB documents. `id` is stored as `_id`; timestamps as BSON Dates (for the TTL
 * index and for people reading the collections) and returned as epoch ms; opaque codec trees (`args`,
 * `checkpoint`) as their JSON text, so keys such as `$gt`, `a.b` or `__proto__` inside user data are
 * never interpreted by the server and round-trip exactly. Every document carries `schemaVersion`;
 * older ones are upgraded in memory on read (`upgradeDocument`) and written back in the current
 * layout by the next write of that record.
 */

/** A computation as stored. `rev` counts writes: compare-and-set filters on it. */
export interface ComputationDocument {
  _id: string
  namespace: string
  name: string
  function: string
  functionFull: string
  argsJson: string
  hash: string
  hashAlgorithm: string
  attempt: number
  status: ComputationStatus
  pid: number | null
  host: string | null
  owner: string | null
  message: string | null
  error: ErrorInfo | null
  progress: Progress | null
  result: ResultRef | null
  checkpointJson: string | null
  createdAt: Date
  updatedAt: Date
  startedAt: Date | null
  finishedAt: Date | null
  pausedAt: Date | null
  heartbeatAt: Date | null
  leaseUntil: Date | null
  /** Milliseconds of the closed running segments. */
  activeMs: number
  activeSince: Date | null
  pauseRequestedAt: Date | null
  /** Queue order: higher first. */
  priority: number
  runAt: Date | null
  maxAttempts: number
  worker: string | null
  /** `runAt ?? createdAt`: when a queued job becomes claimable (the claim index sorts on it). */
  dueAt: Date
  rev: number
  schemaVersion: number
}

/** Where a cache value lives: in the document, or in a GridFS file. */
export type ValueStorage = 'inline' | 'gridfs'

/** A cache entry as stored; `_id` is the driver's ObjectId. */
export interface CacheEntryDocument {
  namespace: string
  key: string
  function: string
  functionFull: string
  version: string | null
  algorithm: string
  argsJson: string | null
  storage: ValueStorage
  /** The codec's JSON text when `storage` is `inline`. */
  value: string | null
  /** The GridFS file id when `storage` is `gridfs`. */
  valueFile: ObjectId | null
  size: number
  tags: string[]
  createdAt: Date
  expiresAt: Date | null
  hits: number
  lastHitAt: Date | null
  schemaVersion: number
}

function requiredMs(value: unknown, field: string, id: unknown): number {
  const ms = toMs(value)
  if (ms === null) throw corrupt(`${field} is not a date`, id)
  return ms
}

function corrupt(problem: string, id: unknown): Error {
  return cmError('CM_ERR_SCHEMA_VERSION', `stored document ${String(id)} is not readable: ${problem}`, {
    details: { id: String(id) },
  })
}

// ---- opaque JSON payloads ---------------------------------------------------------------------

/** A codec tree → its JSON text; `CM_ERR_INVALID_ARGUMENT` for something that is not JSON. */
export function encodeJson(value: unknown, field: string): string {
  let text: string | undefined
  try {
    text = JSON.stringify(value)
  } catch (err) {
    throw cmError(
      'CM_ERR_INVALID_ARGUMENT',
      `${field} must be a codec-encoded JSON value: ${(err as Error).message}`,
      {
        cause: err,
        details: { field },
      },
    )
  }
  if (text === undefined) {
    throw cmError('CM_ERR_INVALID_ARGUMENT', `${field} must be a codec-encoded JSON value`, {
      details: { field },
    })
  }
  return text
}

export function decodeJson(text: unknown, field: string, id: unknown): unknown {
  if (text === null || text === undefined) return null
  if (typeof text !== 'string') throw corrupt(`${field} is not JSON text`, id)
  try {
    return JSON.parse(text)
  } catch {
    throw corrupt(`${field} is not valid JSON`, id)
  }
}

// ---- sub-documents: only known keys, never `undefined` (the driver would store it as null) ----

export function errorInfoDoc(value: ErrorInfo | null | undefined): ErrorInfo | null {
  if (value === null || value === undefined) return null
  return {
    name: String(value.name),
    message: String(value.message),
    ...(typeof value.stack === 'string' ? { stack: value.stack } : {}),
    ...(typeof value.code === 'string' ? { code: value.code } : {}),
  }
}

export function progressDoc(value: Progress | null | undefined): Progress | null {
  if (value === null || value === undefined) return null
  return { fraction: value.fraction, ...(typeof value.note === 'string' ? { note: value.note } : {}) }
}

export function resultDoc(value: ResultRef | null | undefined): ResultRef | null {
  if (value === null || value === undefined) return null
  return {
    cacheKey: value.cacheKey,
    ...(typeof value.namespace === 'string' ? { namespace: value.namespace } : {}),
    ...(typeof value.size === 'number' ? { size: value.size } : {}),
  }
}

const stringOrNull = (value: unknown): string | null => (typeof value === 'string' ? value : null)
const numberOrNull = (value: unknown): number | null => (typeof value === 'number' ? value : null)

// ---- computations -----------------------------------------------------------------------------

/** The fields of a computation document other than `_id` and `rev`, from a record. */
export function computationFields(record: Computation): Omit<ComputationDocument, '_id' | 'rev'> {
  return {
    namespace: record.namespace,
    name: record.name,
    function: record.function,
    functionFull: record.functionFull,
    argsJson: encodeJson(record.args ?? null, 'args'),
    hash: record.hash,
    hashAlgorithm: record.hashAlgorithm,
    attempt: record.attempt,
    status: record.status,
    pid: record.pid,
    host: record.host,
    owner: record.owner,
    message: record.message,
    error: errorInfoDoc(record.error),
    progress: progressDoc(record.progress),
    result: resultDoc(record.result),
    checkpointJson:
      record.checkpoint === null || record.checkpoint === undefined
        ? null
        : encodeJson(record.checkpoint, 'checkpoint'),
    createdAt: toDate(record.createdAt),
    updatedAt: toDate(record.updatedAt),
    startedAt: toNullableDate(record.startedAt),
    finishedAt: toNullableDate(record.finishedAt),
    pausedAt: toNullableDate(record.pausedAt),
    heartbeatAt: toNullableDate(record.heartbeatAt),
    leaseUntil: toNullableDate(record.leaseUntil),
    activeMs: record.activeMs,
    activeSince: toNullableDate(record.activeSince),
    pauseRequestedAt: toNullableDate(record.pauseRequestedAt),
    priority: record.priority,
    runAt: toNullableDate(record.runAt),
    maxAttempts: record.maxAttempts,
    worker: record.worker,
    dueAt: toDate(record.runAt ?? record.createdAt),
    schemaVersion: DOCUMENT_VERSION,
  }
}

/** A record → its document (`rev` is the write counter to store with it). */
export function toComputationDocument(record: Computation, rev = 0): ComputationDocument {
  return { _id: record.id, ...computationFields(record), rev }
}

/**
 * The `$set` of a compare-and-set write: the document fields whose record value changed between
 * `before` and `after` (objects compared by their stored form).
 */
export function changedComputationFields(
  before: Computation,
  after: Computation,
): Partial<ComputationDocument> {
  const a = computationFields(before) as unknown as Record<string, unknown>
  const b = computationFields(after) as unknown as Record<string, unknown>
  const set: Record<string, unknown> = {}
  for (const [field, value] of Object.entries(b)) {
    if (!sameStored(a[field], value)) set[field] = value
  }
  return set as Partial<ComputationDocument>
}

function sameStored(x: unknown, y: unknown): boolean {
  if (x instanceof Date && y instanceof Date) return x.getTime() === y.getTime()
  if (typeof x === 'object' && x !== null && typeof y === 'object' && y !== null) {
    return JSON.stringify(x) === JSON.stringify(y)
  }
  return x === y
}

/** A current-version document → its record (call `upgradeDocument` first). */
export function fromComputationDocument(doc: Document): Computation {
  const id = doc._id
  if (typeof id !== 'string') throw corrupt('_id is not a string', id)
  if (!isComputationStatus(doc.status)) throw corrupt(`unknown status ${String(doc.status)}`, id)
  return {
    id,
    namespace: String(doc.namespace),
    name: String(doc.name),
    function: String(doc.function),
    functionFull: String(doc.functionFull),
    args: decodeJson(doc.argsJson, 'argsJson', id),
    hash: String(doc.hash),
    hashAlgorithm: String(doc.hashAlgorithm),
    attempt: Number(doc.attempt),
    status: doc.status,
    pid: numberOrNull(doc.pid),
    host: stringOrNull(doc.host),
    owner: stringOrNull(doc.owner),
    message: stringOrNull(doc.message),
    error: errorInfoDoc(doc.error ?? null),
    progress: progressDoc(doc.progress ?? null),
    result: resultDoc(doc.result ?? null),
    checkpoint: decodeJson(doc.checkpointJson, 'checkpointJson', id),
    createdAt: requiredMs(doc.createdAt, 'createdAt', id),
    updatedAt: requiredMs(doc.updatedAt, 'updatedAt', id),
    startedAt: toMs(doc.startedAt),
    finishedAt: toMs(doc.finishedAt),
    pausedAt: toMs(doc.pausedAt),
    heartbeatAt: toMs(doc.heartbeatAt),
    leaseUntil: toMs(doc.leaseUntil),
    activeMs: typeof doc.activeMs === 'number' ? doc.activeMs : 0,
    activeSince: toMs(doc.activeSince),
    pauseRequestedAt: toMs(doc.pauseRequestedAt),
    priority: typeof doc.priority === 'number' ? doc.priority : 0,
    runAt: toMs(doc.runAt),
    maxAttempts: typeof doc.maxAttempts === 'number' ? doc.maxAttempts : 1,
    worker: stringOrNull(doc.worker),
    schemaVersion: SCHEMA_VERSION,
  }
}

// ---- cache entries ----------------------------------------------------------------------------

/** Metadata plus where the value lives → the document to store. */
export function toCacheEntryDocument(
  meta: CacheEntryMeta,
  value: { storage: 'inline'; value: string } | { storage: 'gridfs'; valueFile: ObjectId },
): CacheEntryDocument {
  return {
    namespace: meta.namespace,
    key: meta.key,
    function: meta.function,
    functionFull: meta.functionFull,
    version: meta.version,
    algorithm: meta.algorithm,
    argsJson: meta.args === null || meta.args === undefined ? null : encodeJson(meta.args, 'args'),
    storage: value.storage,
    value: value.storage === 'inline' ? value.value : null,
    valueFile: value.storage === 'gridfs' ? value.valueFile : null,
    size: meta.size,
    tags: [...meta.tags],
    createdAt: toDate(meta.createdAt),
    expiresAt: toNullableDate(meta.expiresAt),
    hits: meta.hits,
    lastHitAt: toNullableDate(meta.lastHitAt),
    schemaVersion: DOCUMENT_VERSION,
  }
}

/** A current-version document → the entry's metadata (the value is read separately). */
export function fromCacheEntryDocument(doc: Document): CacheEntryMeta {
  const id = doc.key
  return {
    key: String(doc.key),
    namespace: String(doc.namespace),
    function: String(doc.function),
    functionFull: String(doc.functionFull),
    version: stringOrNull(doc.version),
    algorithm: String(doc.algorithm),
    args: decodeJson(doc.argsJson, 'argsJson', id),
    size: Number(doc.size),
    tags: Array.isArray(doc.tags) ? doc.tags.map(String) : [],
    createdAt: requiredMs(doc.createdAt, 'createdAt', id),
    expiresAt: toMs(doc.expiresAt),
    hits: typeof doc.hits === 'number' ? doc.hits : 0,
    lastHitAt: toMs(doc.lastHitAt),
    schemaVersion: CACHE_SCHEMA_VERSION,
  }
}

export * from './timestamps.js'
export * from './upgrades.js'
