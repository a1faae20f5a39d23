import type { CallOptions } from './options.js'

/**
 * Every item of a listing, page after page: fetches page 1, yields its items, then the next page while
 * `page < pages` (`per_page` 100 unless given). Stops when the consumer does: no further page is fetched.
 */
export async function* paginate<F extends { page?: number; per_page?: number }, T>(
  list: (filters: F, opts?: CallOptions) => Promise<{ data: T[]; pages: number }>,
  filters: F,
  opts: CallOptions | undefined,
): AsyncGenerator<T, void, void> {
  let page = 1
  const perPage = filters.per_page ?? 100
  for (;;) {
    const result = await list({ ...filters, page, per_page: perPage }, opts)
    for (const item of result.data) yield item
    if (result.data.length === 0 || page >= result.pages) return
    page++
  }
}
