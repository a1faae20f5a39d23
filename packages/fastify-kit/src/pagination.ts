/** The pagination query of listing routes and the body of a page. */
import { type Page, PageSchema } from '@comp-manager/core'
import { Type } from 'typebox'

/** Largest `page` accepted (a page past the end is simply empty). */
export const MAX_PAGE = 1_000_000
export const DEFAULT_PER_PAGE = 20
export const MAX_PER_PAGE = 100

/** The pagination query properties, to spread into a route's querystring schema. */
export const PaginationQueryProperties = {
  page: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: MAX_PAGE,
      description: 'Page number, from 1 (default 1); not with `cursor`. For deep pages use `cursor`',
      examples: [1],
    }),
  ),
  per_page: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: MAX_PER_PAGE,
      default: DEFAULT_PER_PAGE,
      description: `Items per page, 1..${MAX_PER_PAGE}`,
      examples: [DEFAULT_PER_PAGE],
    }),
  ),
}

/** The cursor query property: a `next_cursor` of the previous page (opaque, signed). */
export const CursorQueryProperty = Type.Optional(
  Type.String({
    minLength: 1,
    maxLength: 2048,
    pattern: '^[A-Za-z0-9_.-]+$',
    description:
      'The `next_cursor` of the previous page: the page after it (keyset paging, flat at any depth). ' +
      'Same filters and sort as that page; not with `page`. A forged or foreign cursor is a 400',
    examples: ['eyJrIjpbMTc2NDY5NjQwMDAwMCwiYzE4In1d.q3Lx9Zt0bXh2'],
  }),
)

/** `{ page?, per_page? }`, unknown keys refused. */
export const PaginationQuerySchema = Type.Object(PaginationQueryProperties, { additionalProperties: false })

/** `{ page, perPage }` of a validated query, defaults applied. */
export function pageOf(query: { page?: number | undefined; per_page?: number | undefined }): {
  page: number
  perPage: number
} {
  return { page: query.page ?? 1, perPage: query.per_page ?? DEFAULT_PER_PAGE }
}

/**
 * The paging of a store query from a validated querystring: `{ perPage, cursor }` or `{ perPage, page }`
 * (both when both were given: the store refuses that with `CM_ERR_INVALID_ARGUMENT`, a 400).
 */
export function pagingOf(query: {
  page?: number | undefined
  per_page?: number | undefined
  cursor?: string | undefined
}): { perPage: number; page?: number; cursor?: string } {
  const perPage = query.per_page ?? DEFAULT_PER_PAGE
  if (query.cursor === undefined) return { perPage, page: query.page ?? 1 }
  return { perPage, cursor: query.cursor, ...(query.page === undefined ? {} : { page: query.page }) }
}

/** The response schema of a listing: `{ data, page, per_page, total, pages }` (core's `PageSchema`). */
export const PageResponseSchema = PageSchema

/** The body of a listing from a store's `Page`, each item mapped with `map`. */
export function toPageBody<T, U>(page: Page<T>, map: (item: T) => U): PageBody<U> {
  return {
    data: page.data.map(map),
    page: page.page,
    per_page: page.perPage,
    total: page.total,
    pages: page.pages,
    total_is_lower_bound: page.totalIsLowerBound,
    next_cursor: page.nextCursor,
  }
}

/** The body of a listing route. */
export interface PageBody<U> {
  data: U[]
  page: number | null
  per_page: number
  total: number
  pages: number
  total_is_lower_bound: boolean
  next_cursor: string | null
}

/** An empty listing (for a caller that may see no namespace at all). */
export function emptyPage(page: number | null, perPage: number): Page<never> {
  return { data: [], page, perPage, total: 0, pages: 0, totalIsLowerBound: false, nextCursor: null }
}
