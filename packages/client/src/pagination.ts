import type { CallOptions } from './options.js'

/**
 * Every item of a listing, page after page: fetches the first page, yields its items, then follows
 * `next_cursor` (keyset paging: each page costs the same at any depth) until there is none
 * (`per_page` 100 unless given; a `page` in `filters` is ignored). Stops when the consumer does: no
 * further page is fetched.
 */
export async function* paginate<F extends { page?: number; per_page?: number; cursor?: string }, T>(
  list: (filters: F, opts?: CallOptions) => Promise<{ data: T[]; next_cursor: string | null }>,
  filters: F,
  opts: CallOptions | undefined,
): AsyncGenerator<T, void, void> {
  const { page: _page, cursor, ...rest } = filters
  const perPage = filters.per_page ?? 100
  let next: string | undefined = cursor
  for (;;) {
    const query = { ...rest, per_page: perPage, ...(next === undefined ? {} : { cursor: next }) } as F
    const result = await list(query, opts)
    for (const item of result.data) yield item
    if (result.next_cursor === null || result.data.length === 0) return
    next = result.next_cursor
  }
}
