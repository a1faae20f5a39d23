import { Type } from 'typebox'

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
