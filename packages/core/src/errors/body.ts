import { type Static, Type } from 'typebox'

/**
 * The one error body of the REST API: `{ statusCode, code, error, message, requestId, details? }`.
 * `code` is a stable `CM_ERR_…` code; `error` the HTTP reason phrase; `details` structured context
 * (never a stack trace outside development).
 */
export const ErrorBodySchema = Type.Object(
  {
    statusCode: Type.Integer({ minimum: 400, maximum: 599 }),
    code: Type.String({ pattern: '^CM_ERR_[A-Z_]+$' }),
    error: Type.String(),
    message: Type.String(),
    requestId: Type.String(),
    details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { $id: 'ErrorBody', additionalProperties: false, description: 'The error body of every non-2xx response' },
)
export type ErrorBody = Static<typeof ErrorBodySchema>
