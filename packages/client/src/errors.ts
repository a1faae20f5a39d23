import { codeForStatus, type ErrorBody, type ErrorCode } from '@comp-manager/core/errors'

export type { ErrorBody, ErrorCode }

/** One issue of a `CM_ERR_VALIDATION` error: where (`/body/status`) and what. */
export interface ValidationIssue {
  path: string
  message: string
  params?: Record<string, unknown>
}

/**
 * The `details` the server sends with some codes. Codes not listed here carry an optional free-form
 * object (or nothing).
 */
export interface ErrorDetailsByCode {
  CM_ERR_VALIDATION: { in?: string; issues: ValidationIssue[] }
  CM_ERR_INVALID_TRANSITION: { from: string; to: string; allowed: string[] }
}

/** The type of `err.details` for a given code. */
export type ErrorDetails<C extends ErrorCode> = C extends keyof ErrorDetailsByCode
  ? ErrorDetailsByCode[C]
  : Record<string, unknown> | undefined

/** Base class of every error the client throws on purpose. */
export class ClientError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'ClientError'
  }
}

export interface ApiErrorInit<C extends ErrorCode = ErrorCode> {
  status: number
  code: C
  message: string
  requestId: string | undefined
  details: ErrorDetails<C>
  method: string
  url: string
  /** Milliseconds the server asked to wait (`retry-after`), when it said. */
  retryAfterMs?: number | undefined
  /** The raw body, parsed when it was JSON. */
  body?: unknown
}

/**
 * The server answered with an error status. `code` is the stable `CM_ERR_…` code of the error body
 * (match on it, not on the message), `requestId` finds the request in the server's logs.
 *
 * `ApiError<C>` is generic in its code so that narrowing works: `isApiError(err)` gives the union of
 * every `ApiError<C>`, and `err.code === 'CM_ERR_INVALID_TRANSITION'` then narrows `err.details`.
 */
export class ApiError<C extends ErrorCode = ErrorCode> extends ClientError {
  /** HTTP status of the answer. */
  readonly status: number
  /** Stable error code, e.g. `CM_ERR_NOT_FOUND`. */
  readonly code: C
  /** The server's request id (`x-request-id`), to quote when reporting a problem. */
  readonly requestId: string | undefined
  /** Structured context sent by the server (validation issues, the refused transition…). */
  readonly details: ErrorDetails<C>
  /** Method and URL of the request that failed. */
  readonly method: string
  readonly url: string
  /** What the server asked to wait before retrying (`retry-after`), in milliseconds. */
  readonly retryAfterMs: number | undefined
  /** The raw error body (parsed JSON when it was JSON). */
  readonly body: unknown

  constructor(init: ApiErrorInit<C>) {
    super(init.message)
    this.name = 'ApiError'
    this.status = init.status
    this.code = init.code
    this.requestId = init.requestId
    this.details = init.details
    this.method = init.method
    this.url = init.url
    this.retryAfterMs = init.retryAfterMs
    this.body = init.body
  }
}

/** The union of `ApiError<C>` over every code: what `isApiError(err)` narrows to. */
export type AnyApiError = { [C in ErrorCode]: ApiError<C> }[ErrorCode]

/**
 * True when `err` is an `ApiError`, optionally of one given code.
 *
 * ```ts
 * if (isApiError(err, 'CM_ERR_NOT_FOUND')) … // err: ApiError<'CM_ERR_NOT_FOUND'>
 * if (isApiError(err) && err.code === 'CM_ERR_INVALID_TRANSITION') err.details.allowed
 * ```
 */
export function isApiError(err: unknown): err is AnyApiError
export function isApiError<C extends ErrorCode>(err: unknown, code: C): err is ApiError<C>
export function isApiError(err: unknown, code?: ErrorCode): boolean {
  return err instanceof ApiError && (code === undefined || err.code === code)
}

/** The server could not be reached, or the connection broke before a complete answer. */
export class NetworkError extends ClientError {
  readonly method: string
  readonly url: string
  constructor(method: string, url: string, options: { cause?: unknown } = {}) {
    const reason = describeCause(options.cause)
    super(`${method} ${url} failed: network error${reason ? ` (${reason})` : ''}`, options)
    this.name = 'NetworkError'
    this.method = method
    this.url = url
  }
}

/** The call took longer than `timeoutMs` (retries and their waits included). */
export class TimeoutError extends ClientError {
  readonly method: string
  readonly url: string
  readonly timeoutMs: number
  constructor(method: string, url: string, timeoutMs: number) {
    super(`${method} ${url} timed out after ${timeoutMs} ms`)
    this.name = 'TimeoutError'
    this.method = method
    this.url = url
    this.timeoutMs = timeoutMs
  }
}

/** The call was cancelled through its `signal`. `reason` is the signal's reason. */
export class AbortError extends ClientError {
  readonly method: string
  readonly url: string
  readonly reason: unknown
  constructor(method: string, url: string, reason: unknown) {
    super(`${method} ${url} was aborted`, { cause: reason })
    this.name = 'AbortError'
    this.method = method
    this.url = url
    this.reason = reason
  }
}

function describeCause(cause: unknown): string {
  if (!(cause instanceof Error)) return ''
  // undici wraps the system error: `TypeError: fetch failed` with `cause: Error: connect ECONNREFUSED …`.
  const inner = (cause as { cause?: unknown }).cause
  const code = (inner as { code?: unknown } | undefined)?.code ?? (cause as { code?: unknown }).code
  if (typeof code === 'string') return code
  return inner instanceof Error ? inner.message : cause.message
}

/** True for core's error body (`{ statusCode, code, error, message, requestId, details? }`): a code and a message. */
export function isErrorBody(body: unknown): body is ErrorBody {
  if (typeof body !== 'object' || body === null) return false
  const b = body as Record<string, unknown>
  return typeof b.code === 'string' && typeof b.message === 'string'
}

/** Builds the `ApiError` of an error answer from its (already read) body. */
export function apiErrorFrom(response: Response, body: unknown, method: string): AnyApiError {
  const status = response.status
  const headerId = response.headers.get('x-request-id') ?? undefined
  const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'))
  const url = withoutCredentials(response.url)
  if (isErrorBody(body)) {
    return new ApiError({
      status,
      code: body.code as ErrorCode,
      message: body.message,
      requestId: typeof body.requestId === 'string' ? body.requestId : headerId,
      details: body.details as never,
      method,
      url,
      retryAfterMs,
      body,
    }) as AnyApiError
  }
  // An answer without the standard body (a proxy's 502 page…): the code of its status.
  const code = codeForStatus(status)
  const text = typeof body === 'string' && body.length > 0 ? `: ${body.slice(0, 200)}` : ''
  return new ApiError({
    status,
    code,
    message: `${method} ${url} answered ${status} ${response.statusText}${text}`.trim(),
    requestId: headerId,
    details: undefined as never,
    method,
    url,
    retryAfterMs,
    body,
  }) as AnyApiError
}

/**
 * `retry-after` as milliseconds: delay-seconds (`120`) or an HTTP date. `undefined` when absent or
 * unreadable; never negative.
 */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null) return undefined
  const text = value.trim()
  if (text === '') return undefined
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000)
  const date = Date.parse(text)
  if (Number.isNaN(date)) return undefined
  return Math.max(0, date - now)
}

/** `url` without `user:password@`: error messages end up in logs. */
export function withoutCredentials(url: string): string {
  try {
    const u = new URL(url)
    u.username = ''
    u.password = ''
    return u.toString()
  } catch {
    return url
  }
}
