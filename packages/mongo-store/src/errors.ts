import { type CompManagerError, cmError, type ErrorCode, isCompManagerError } from '@comp-manager/core'

/**
 * Driver errors → comp-manager errors. Checks go by `name` and `code`, not `instanceof`, so errors
 * from another copy of the driver (a host's `@fastify/mongodb`) map the same way.
 */

/** Server codes of a duplicate key on a unique index. */
const DUPLICATE_KEY_CODES = new Set([11000, 11001, 12582])

/** Server codes of a document over the 16 MiB BSON limit. */
const TOO_LARGE_CODES = new Set([10334, 17419, 17420, 17280])

/** Server codes meaning "not now": elections, shutdowns, not-primary, network trouble, auth. */
const UNAVAILABLE_CODES = new Set([
  6, // HostUnreachable
  7, // HostNotFound
  13, // Unauthorized
  18, // AuthenticationFailed
  89, // NetworkTimeout
  91, // ShutdownInProgress
  189, // PrimarySteppedDown
  9001, // SocketException
  10107, // NotWritablePrimary
  11600, // InterruptedAtShutdown
  11602, // InterruptedDueToReplStateChange
  13435, // NotPrimaryNoSecondaryOk
  13436, // NotPrimaryOrSecondary
])

/** Server codes of a write that was applied but whose write concern was not satisfied. */
const WRITE_CONCERN_CODES = new Set([
  64, // WriteConcernFailed (wtimeout)
  79, // UnknownReplWriteConcern
  100, // UnsatisfiableWriteConcern
])

/** Server codes of a request the server refused as malformed: nothing was written. */
const INVALID_CODES = new Set([
  2, // BadValue
  9, // FailedToParse
  14, // TypeMismatch
  15, // Overflow
  28, // PathNotViable
  52, // DollarPrefixedFieldName
  55, // InvalidDBRef
  56, // EmptyFieldName
  57, // DottedFieldName
  66, // ImmutableField
  121, // DocumentValidationFailure
])

/** Server codes of a write that lost to a concurrent one: nothing was written, a retry may succeed. */
const CONFLICT_CODES = new Set([
  112, // WriteConflict
  251, // NoSuchTransaction
])

/** Server codes of an operation that ran out of time. */
const TIMEOUT_CODES = new Set([50, 262]) // MaxTimeMSExpired, ExceededTimeLimit

/** Driver-side errors raised before anything was sent: the arguments, not the server. */
const INVALID_NAMES = new Set(['MongoInvalidArgumentError', 'MongoParseError', 'BSONError'])

/** Driver error classes meaning the server cannot be reached or the client is gone. */
const UNAVAILABLE_NAMES = new Set([
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoServerSelectionError',
  'MongoTopologyClosedError',
  'MongoNotConnectedError',
  'MongoClientClosedError',
  'MongoServerClosedError',
  'MongoPoolClosedError',
  'MongoWaitQueueTimeoutError',
  'PoolClearedError',
  'PoolClearedOnNetworkError',
  'MongoMissingCredentialsError',
])

interface DriverErrorLike {
  name: string
  message: string
  code?: unknown
  codeName?: unknown
  /** Set on a server reply whose write concern failed (the write itself was applied). */
  writeConcernError?: unknown
  errorLabels?: unknown
}

function asDriverError(err: unknown): DriverErrorLike | undefined {
  if (!(err instanceof Error)) return undefined
  if (err.name.startsWith('Mongo') || err.name === 'BSONError' || err.name.startsWith('PoolCleared')) {
    return err as DriverErrorLike
  }
  return undefined
}

/** True for a duplicate-key error (a unique index refused a write): "someone else got there first". */
export function isDuplicateKeyError(err: unknown): boolean {
  const e = asDriverError(err)
  return e !== undefined && typeof e.code === 'number' && DUPLICATE_KEY_CODES.has(e.code)
}

/** True for GridFS's "file not found" (download of a missing file, or deleting one twice). */
export function isFileNotFoundError(err: unknown): boolean {
  const e = asDriverError(err)
  if (e === undefined) return false
  return (
    e.code === 'ENOENT' ||
    /file .*not found|not found for id/i.test(e.message) ||
    e.name === 'MongoGridFSChunkError'
  )
}

function isTooLarge(e: DriverErrorLike): boolean {
  if (typeof e.code === 'number' && TOO_LARGE_CODES.has(e.code)) return true
  if (e.codeName === 'BSONObjectTooLarge') return true
  return /(larger than the maximum|object to insert too large|document (is )?too large|exceeds maximum)/i.test(
    e.message,
  )
}

function hasLabel(e: DriverErrorLike, label: string): boolean {
  return Array.isArray(e.errorLabels) && e.errorLabels.includes(label)
}

function isWriteConcernFailure(e: DriverErrorLike, numeric: number | undefined): boolean {
  if (e.name === 'MongoWriteConcernError') return true
  if (e.writeConcernError !== undefined && e.writeConcernError !== null) return true
  return numeric !== undefined && WRITE_CONCERN_CODES.has(numeric)
}

/** The code and message of a driver error that is neither a duplicate key nor an oversize document. */
function classify(e: DriverErrorLike, numeric: number | undefined): [ErrorCode, string] {
  if (e.name === 'MongoOperationTimeoutError' || (numeric !== undefined && TIMEOUT_CODES.has(numeric))) {
    return ['CM_ERR_TIMEOUT', 'MongoDB operation timed out']
  }
  // Before "unavailable": a write-concern timeout is applied on the primary, only unconfirmed.
  if (isWriteConcernFailure(e, numeric)) {
    return [
      'CM_ERR_WRITE_UNCONFIRMED',
      'the write was applied but its write concern was not confirmed; read before retrying',
    ]
  }
  if (
    UNAVAILABLE_NAMES.has(e.name) ||
    (numeric !== undefined && UNAVAILABLE_CODES.has(numeric)) ||
    hasLabel(e, 'RetryableWriteError')
  ) {
    return ['CM_ERR_STORE_UNAVAILABLE', 'MongoDB is unavailable']
  }
  if ((numeric !== undefined && CONFLICT_CODES.has(numeric)) || hasLabel(e, 'TransientTransactionError')) {
    return ['CM_ERR_CONFLICT', 'a concurrent write won; nothing was written']
  }
  if (INVALID_NAMES.has(e.name) || (numeric !== undefined && INVALID_CODES.has(numeric))) {
    return ['CM_ERR_INVALID_ARGUMENT', 'MongoDB refused the request as invalid; nothing was written']
  }
  return ['CM_ERR_INTERNAL', 'MongoDB refused the operation']
}

/**
 * Maps an error thrown by the driver to a `CompManagerError`:
 * duplicate key → `CM_ERR_DUPLICATE`; document over the BSON limit → `CM_ERR_VALUE_TOO_LARGE`;
 * operation timeout → `CM_ERR_TIMEOUT`; write applied but its write concern failed →
 * `CM_ERR_WRITE_UNCONFIRMED`; network, server selection, elections, closed client →
 * `CM_ERR_STORE_UNAVAILABLE`; write conflicts → `CM_ERR_CONFLICT`; a request the server or the
 * driver refused as malformed → `CM_ERR_INVALID_ARGUMENT`; any other driver error →
 * `CM_ERR_INTERNAL`. The driver error is kept as `cause`. comp-manager errors pass through;
 * anything else (a bug) is rethrown unchanged.
 */
export function mapMongoError(err: unknown, operation?: string): unknown {
  if (isCompManagerError(err)) return err
  const e = asDriverError(err)
  if (e === undefined) return err
  const where = operation ? `${operation}: ` : ''
  const details = {
    driverError: e.name,
    ...(e.code === undefined ? {} : { driverCode: e.code }),
    ...(typeof e.codeName === 'string' ? { codeName: e.codeName } : {}),
  }
  const numeric = typeof e.code === 'number' ? e.code : undefined
  if (numeric !== undefined && DUPLICATE_KEY_CODES.has(numeric)) {
    return cmError('CM_ERR_DUPLICATE', `${where}a record with that key already exists (${e.message})`, {
      cause: err,
      details,
    })
  }
  if (isTooLarge(e)) {
    return cmError(
      'CM_ERR_VALUE_TOO_LARGE',
      `${where}the document exceeds MongoDB's 16 MiB limit (${e.message})`,
      { cause: err, details },
    )
  }
  const [code, message] = classify(e, numeric)
  return cmError(code, `${where}${message} (${e.message})`, { cause: err, details })
}

/** The store was closed: every later operation fails with this. */
export function closedError(): CompManagerError {
  return cmError('CM_ERR_STORE_UNAVAILABLE', 'mongo-store is closed', { details: { closed: true } })
}
