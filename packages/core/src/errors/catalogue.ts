/**
 * Every error comp-manager raises on purpose is a `CompManagerError` with a stable `code`
 * (`CM_ERR_…`). Match on `err.code`, never on the message: messages may be reworded, codes may not.
 */

export interface CompManagerErrorOptions {
  cause?: unknown
  details?: Record<string, unknown>
}

export class CompManagerError extends Error {
  /** Stable machine-readable code, e.g. `CM_ERR_CYCLE`. */
  readonly code: string
  /** The HTTP status this error maps to when it crosses the REST API. */
  readonly statusCode: number
  /** Structured context (the offending path, the limit, the tag…). Never contains secrets. */
  readonly details: Record<string, unknown> | undefined

  constructor(code: string, statusCode: number, message: string, options: CompManagerErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'CompManagerError'
    this.code = code
    this.statusCode = statusCode
    this.details = options.details
  }
}

interface ErrorSpec {
  readonly code: string
  readonly statusCode: number
  readonly description: string
}

/** The catalogue of codes: the single source for READMEs and the HTTP error table. */
export const errorCodes = {
  CM_ERR_INVALID_ARGUMENT: {
    statusCode: 400,
    description: 'A function received an argument of the wrong type or shape.',
  },
  CM_ERR_CYCLE: {
    statusCode: 400,
    description: 'The value contains a reference cycle; it cannot be encoded or hashed.',
  },
  CM_ERR_UNSUPPORTED_TYPE: {
    statusCode: 400,
    description: 'The value contains a type the codec does not know (register it).',
  },
  CM_ERR_UNKNOWN_TYPE: {
    statusCode: 400,
    description: 'Decoding met a `__type__` tag that is not registered.',
  },
  CM_ERR_MALFORMED: { statusCode: 400, description: 'A tagged node or a JSON text is malformed.' },
  CM_ERR_MAX_DEPTH: {
    statusCode: 400,
    description: 'The value nests deeper than the configured `maxDepth`.',
  },
  CM_ERR_MAX_BYTES: {
    statusCode: 413,
    description: 'The encoded value is larger than the configured `maxBytes`.',
  },
  CM_ERR_TOO_LARGE: {
    statusCode: 413,
    description:
      'A decoded string, binary value or BigInt is larger than the codec allows (`maxStringLength`, `maxBinaryBytes`, `maxBigIntDigits`).',
  },
  CM_ERR_TOO_COMPLEX: {
    statusCode: 400,
    description:
      'A decoded value has more entries or values than the codec allows (`maxEntries`, `maxNodes`).',
  },
  CM_ERR_TYPE_REGISTERED: {
    statusCode: 500,
    description: 'A codec type with that name (or class) is already registered.',
  },
  CM_ERR_INVALID_TRANSITION: {
    statusCode: 409,
    description: 'The status change is not allowed by the computation state machine.',
  },
  CM_ERR_CONFLICT: {
    statusCode: 409,
    description: 'A compare-and-set lost: the record changed since it was read.',
  },
  CM_ERR_DUPLICATE: {
    statusCode: 409,
    description: 'A record with that hash (or key) already exists in the namespace.',
  },
  CM_ERR_NOT_FOUND: { statusCode: 404, description: 'No such record in the namespace.' },
  CM_ERR_VALUE_TOO_LARGE: { statusCode: 413, description: 'The value exceeds what the store accepts.' },
  CM_ERR_STORE_UNAVAILABLE: {
    statusCode: 503,
    description: 'The store cannot be reached (closed, locked, or down).',
  },
  CM_ERR_WRITE_UNCONFIRMED: {
    statusCode: 504,
    description:
      'The write was applied but its write concern was not confirmed (it may yet be rolled back); read before retrying.',
  },
  CM_ERR_SCHEMA_VERSION: {
    statusCode: 500,
    description: 'The database was written by a newer schema than this package knows.',
  },
  CM_ERR_ALREADY_RUNNING: { statusCode: 409, description: 'A run with the same hash is in progress.' },
  CM_ERR_ALREADY_FINISHED: { statusCode: 409, description: 'A run with the same hash has already finished.' },
  CM_ERR_LOST: {
    statusCode: 409,
    description: 'The run was declared lost: its process stopped renewing its lease.',
  },
  CM_ERR_TIMEOUT: {
    statusCode: 504,
    description:
      'Waiting for another run (or a store operation) took longer than allowed, or a job ran past its `timeoutMs`.',
  },
  CM_ERR_CANCELLED: { statusCode: 409, description: 'The run was cancelled.' },
  CM_ERR_LEASE_LOST: {
    statusCode: 409,
    description:
      'The lease token is stale, foreign or forged: the run is no longer held by this claim (nothing was changed).',
  },
  CM_ERR_PAUSED: { statusCode: 409, description: 'The run was paused; resume it to get its result.' },
  CM_ERR_UNKNOWN_FUNCTION: {
    statusCode: 400,
    description: 'No worker of the namespace runs a function of that name.',
  },
  CM_ERR_VALIDATION: {
    statusCode: 400,
    description: 'The request body, query or parameters do not match the schema.',
  },
  CM_ERR_UNAUTHORIZED: {
    statusCode: 401,
    description: 'No valid credentials (missing, expired, forged token or API key).',
  },
  CM_ERR_FORBIDDEN: {
    statusCode: 403,
    description: 'The credentials are valid but their role does not allow this.',
  },
  CM_ERR_ROUTE_NOT_FOUND: { statusCode: 404, description: 'No such route.' },
  CM_ERR_RATE_LIMITED: {
    statusCode: 429,
    description: 'Too many requests; retry after the time in `retry-after`.',
  },
  CM_ERR_SHUTTING_DOWN: {
    statusCode: 503,
    description: 'The server is shutting down; retry the request on another instance.',
  },
  CM_ERR_INTERNAL: {
    statusCode: 500,
    description: 'An unexpected error; the request id finds it in the logs.',
  },
} as const satisfies Record<string, Omit<ErrorSpec, 'code'>>

export type ErrorCode = keyof typeof errorCodes

/** Creates an error of a catalogued code; the status code comes from the catalogue. */
export function cmError(
  code: ErrorCode,
  message: string,
  options?: CompManagerErrorOptions,
): CompManagerError {
  return new CompManagerError(code, errorCodes[code].statusCode, message, options)
}

/** True when `err` is a comp-manager error, optionally of one given code. */
export function isCompManagerError(err: unknown, code?: ErrorCode): err is CompManagerError {
  return err instanceof CompManagerError && (code === undefined || err.code === code)
}

/** Describes a value's type for error messages without printing the value itself. */
export function describeType(value: unknown): string {
  if (value === null) return 'null'
  const t = typeof value
  if (t !== 'object' && t !== 'function') return t
  if (t === 'function') {
    const name = (value as { name?: unknown }).name
    return typeof name === 'string' && name !== '' ? `function ${name}` : 'function'
  }
  const proto = Object.getPrototypeOf(value)
  const ctor = proto?.constructor
  return typeof ctor === 'function' && ctor.name ? ctor.name : 'object'
}
