import { type Static, Type } from 'typebox'
import type { ErrorBody } from './body.js'

/** The JSON Schema of {@link ErrorBody}, the error body of every non-2xx response. */
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

// The schema and the interface describe the same body (a compile error here when they drift).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
const agree: Same<Static<typeof ErrorBodySchema>, ErrorBody> = true
void agree
