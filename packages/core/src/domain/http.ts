import { Type } from 'typebox'

/** A page of a listing as the REST API returns it. */
export const PageSchema = <T extends Parameters<typeof Type.Array>[0]>(item: T) =>
  Type.Object(
    {
      data: Type.Array(item),
      page: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()], {
        description: 'The page asked for; null when the page was asked by cursor',
      }),
      per_page: Type.Integer({ minimum: 1, maximum: 100 }),
      total: Type.Integer({
        minimum: 0,
        description: 'Matches, exact up to the count bound (10,000 by default), then the bound',
      }),
      pages: Type.Integer({ minimum: 0 }),
      total_is_lower_bound: Type.Boolean({
        description: 'true when there are more matches than the count bound: total is a lower bound',
      }),
      next_cursor: Type.Union([Type.String(), Type.Null()], {
        description: 'Pass as cursor to get the next page (keyset paging); null on the last page',
      }),
    },
    { additionalProperties: false },
  )
