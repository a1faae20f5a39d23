import type { ErrorBody } from './body.js'
import { CompManagerError, type ErrorCode, errorCodes } from './catalogue.js'

/** The HTTP reason phrase of each status the API answers with. */
export const reasonPhrases: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Payload Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
}

/** The code a bare HTTP status maps to when an error carries no comp-manager code of its own. */
export const codeOfStatus: Readonly<Record<number, ErrorCode>> = {
  400: 'CM_ERR_VALIDATION',
  401: 'CM_ERR_UNAUTHORIZED',
  403: 'CM_ERR_FORBIDDEN',
  404: 'CM_ERR_ROUTE_NOT_FOUND',
  409: 'CM_ERR_CONFLICT',
  413: 'CM_ERR_MAX_BYTES',
  414: 'CM_ERR_VALIDATION',
  415: 'CM_ERR_MALFORMED',
  429: 'CM_ERR_RATE_LIMITED',
  503: 'CM_ERR_STORE_UNAVAILABLE',
  504: 'CM_ERR_TIMEOUT',
}

/** Fastify's content-parser errors that mean "the body is not what it claims to be". */
const malformedBodyCodes = new Set([
  'FST_ERR_CTP_INVALID_JSON_BODY',
  'FST_ERR_CTP_EMPTY_JSON_BODY',
  'FST_ERR_CTP_INVALID_CONTENT_LENGTH',
])

/**
 * The code of an error status that carries no comp-manager code of its own (a proxy's 502, a bare
 * 404): {@link codeOfStatus}, else `CM_ERR_VALIDATION` for a 4xx and `CM_ERR_INTERNAL` for a 5xx.
 */
export function codeForStatus(statusCode: number): ErrorCode {
  return codeOfStatus[statusCode] ?? (statusCode >= 500 ? 'CM_ERR_INTERNAL' : 'CM_ERR_VALIDATION')
}

interface ErrorLike {
  statusCode?: unknown
  status?: unknown
  code?: unknown
  message?: unknown
  validation?: unknown
  validationContext?: unknown
  details?: unknown
  stack?: unknown
}

export interface HttpErrorOptions {
  requestId: string
  /** Include internal messages and stacks of 5xx errors (never in production). Default false. */
  development?: boolean
}

function isCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(errorCodes, code)
}

function validationDetails(err: ErrorLike): Record<string, unknown> | undefined {
  if (!Array.isArray(err.validation)) return undefined
  const where = typeof err.validationContext === 'string' ? err.validationContext : undefined
  const issues = err.validation.slice(0, 20).map((issue: Record<string, unknown>) => ({
    path: `${where ?? ''}${typeof issue.instancePath === 'string' ? issue.instancePath : ''}` || '/',
    message: typeof issue.message === 'string' ? issue.message : 'is invalid',
    ...(issue.params && typeof issue.params === 'object' ? { params: issue.params } : {}),
  }))
  return { ...(where ? { in: where } : {}), issues }
}

/**
 * Maps any error a request can raise (comp-manager's own, Fastify's validation and content-parser
 * errors, `@fastify/error` classes, rate-limit errors, anything unexpected) to the one error body of
 * the REST API. Unexpected errors become `CM_ERR_INTERNAL` with a generic message: internals and
 * stacks are shown only when `development` is set.
 */
export function toHttpError(
  error: unknown,
  options: HttpErrorOptions,
): { statusCode: number; body: ErrorBody } {
  const err = (typeof error === 'object' && error !== null ? error : { message: String(error) }) as ErrorLike
  const rawStatus = Number(err.statusCode ?? err.status)
  let statusCode = Number.isInteger(rawStatus) && rawStatus >= 400 && rawStatus <= 599 ? rawStatus : 500
  let code: ErrorCode
  let message = typeof err.message === 'string' ? err.message : 'error'
  let details: Record<string, unknown> | undefined

  if (error instanceof CompManagerError) {
    code = error.code as ErrorCode
    statusCode = error.statusCode
    details = error.details
  } else if (Array.isArray(err.validation)) {
    code = 'CM_ERR_VALIDATION'
    statusCode = 400
    details = validationDetails(err)
  } else if (isCode(err.code)) {
    code = err.code
    if (!(statusCode >= 400 && statusCode < 500)) statusCode = errorCodes[code].statusCode
    if (err.details && typeof err.details === 'object') details = err.details as Record<string, unknown>
  } else if (typeof err.code === 'string' && malformedBodyCodes.has(err.code)) {
    code = 'CM_ERR_MALFORMED'
    statusCode = 400
  } else {
    // A bare 5xx of the server itself is internal, except a 503 (a dependency is down).
    code = statusCode >= 500 && statusCode !== 503 ? 'CM_ERR_INTERNAL' : codeForStatus(statusCode)
  }

  if (statusCode >= 500 && !(error instanceof CompManagerError)) {
    if (options.development) {
      details = { ...details, cause: message, ...(typeof err.stack === 'string' ? { stack: err.stack } : {}) }
    }
    message = code === 'CM_ERR_INTERNAL' ? 'Internal server error' : errorCodes[code].description
  }
  const body: ErrorBody = {
    statusCode,
    code,
    error: reasonPhrases[statusCode] ?? (statusCode >= 500 ? 'Server Error' : 'Client Error'),
    message,
    requestId: options.requestId,
  }
  if (details !== undefined) body.details = details
  return { statusCode, body }
}
