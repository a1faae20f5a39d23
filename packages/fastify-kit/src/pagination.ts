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
      default: 1,
      description: 'Page number, from 1',
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

/** `{ page?, per_page? }`, unknown keys refused. */
export const PaginationQuerySchema = Type.Object(PaginationQueryProperties, { additionalProperties: false })

/** `{ page, perPage }` of a validated query, defaults applied. */
export function pageOf(query: { page?: number | undefined; per_page?: number | undefined }): {
  page: number
  perPage: number
} {
  return { page: query.page ?? 1, perPage: query.per_page ?? DEFAULT_PER_PAGE }
}

/** The response schema of a listing: `{ data, page, per_page, total, pages }` (core's `PageSchema`). */
export const PageResponseSchema = PageSchema

/** The body of a listing from a store's `Page`, each item mapped with `map`. */
export function toPageBody<T, U>(
  page: Page<T>,
  map: (item: T) => U,
): { data: U[]; page: number; per_page: number; total: number; pages: number } {
  return {
    data: page.data.map(map),
    page: page.page,
    per_page: page.perPage,
    total: page.total,
    pages: page.pages,
  }
}

/** An empty listing (for a caller that may see no namespace at all). */
export function emptyPage(page: number, perPage: number): Page<never> {
  return { data: [], page, perPage, total: 0, pages: 0 }
}
