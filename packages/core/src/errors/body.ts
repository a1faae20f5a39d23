/**
 * The one error body of the REST API: `{ statusCode, code, error, message, requestId, details? }`.
 * `code` is a stable `CM_ERR_…` code; `error` the HTTP reason phrase; `details` structured context
 * (never a stack trace outside development). Its TypeBox schema, `ErrorBodySchema`, is exported by the
 * main entry only: this entry stays free of TypeBox, so the codec and the client load fast.
 */
export interface ErrorBody {
  statusCode: number
  code: string
  error: string
  message: string
  requestId: string
  details?: Record<string, unknown>
}
