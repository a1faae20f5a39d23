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

/** A page of a listing as the REST API returns it. */
export const PageSchema = <T extends Parameters<typeof Type.Array>[0]>(item: T) =>
  Type.Object(
    {
      data: Type.Array(item),
      page: Type.Integer({ minimum: 1 }),
      per_page: Type.Integer({ minimum: 1, maximum: 100 }),
      total: Type.Integer({ minimum: 0 }),
      pages: Type.Integer({ minimum: 0 }),
    },
    { additionalProperties: false },
  )
