import type { Context } from '../context.js'
import { EXIT } from '../errors.js'
import { type Column, table } from '../output.js'
import { oneOf, positiveInt } from '../values.js'

/** `--namespace`, shared by every command that reads records. */
export const namespaceOption = {
  type: 'string',
  short: 'n',
  value: 'ns',
  description: "Namespace to look in (default: the server's for your credentials)",
} as const

/** The paging flags of a `list` command: `--sort`, `--page`, `--per-page`, `--all`, `--namespace`. */
export function pagingOptions(sorts: readonly string[]) {
  return {
    sort: { type: 'string', value: 'order', description: `Order: ${sorts.join(', ')} (default -createdAt)` },
    page: { type: 'string', value: 'n', description: 'Page number (default 1)' },
    cursor: {
      type: 'string',
      value: 'c',
      description: 'The page after a previous one: the cursor its footer printed (not with --page)',
    },
    'per-page': { type: 'string', value: 'n', description: 'Items per page, 1..100 (default 20)' },
    all: { type: 'boolean', short: 'a', description: 'Every page (ignores --page)' },
    namespace: namespaceOption,
  } as const
}

interface PagingFilters {
  sort?: string
  per_page?: number
  page?: number
  cursor?: string
  namespace?: string
}

interface Page<T> {
  data: T[]
  page: number | null
  pages: number
  total: number
  total_is_lower_bound?: boolean
  next_cursor?: string | null
}

/** `page 2/5 · 93 entries`, `page …/500+ · ≥ 10000 entries · next: --cursor …` past the count bound. */
function footer<T>(result: Page<T>, noun: string): string {
  const bound = result.total_is_lower_bound === true
  const position = `page ${result.page ?? '…'}/${result.pages}${bound ? '+' : ''}`
  const next = result.next_cursor ? ` · next: --cursor ${result.next_cursor}` : ''
  return `${position} · ${bound ? '≥ ' : ''}${result.total} ${noun}${next}`
}

export interface Listing<T, F extends PagingFilters> {
  sorts: readonly string[]
  columns: readonly Column<T>[]
  /** `no cache entries` */
  none: string
  /** Plural used in `no <noun> on page …` and `page 1/3 · 40 <noun>` */
  noun: string
  all: (filters: F, call: { signal: AbortSignal }) => AsyncIterable<T>
  list: (filters: F, call: { signal: AbortSignal }) => Promise<Page<T>>
}

/** Adds the paging flags to `filters`, fetches one page (or every page with `--all`) and prints it. */
export async function runListing<T, F extends PagingFilters>(
  ctx: Context,
  name: string,
  filters: F,
  listing: Listing<T, F>,
): Promise<number> {
  const { values } = ctx
  const sort = oneOf(values.sort as string | undefined, listing.sorts, 'sort', name)
  if (sort !== undefined) filters.sort = sort
  const perPage = positiveInt(values['per-page'] as string | undefined, 'per-page', name, 100)
  if (perPage !== undefined) filters.per_page = perPage
  if (values.namespace !== undefined) filters.namespace = values.namespace as string
  const call = { signal: ctx.signal }

  if (values.all) {
    const items: T[] = []
    for await (const item of listing.all(filters, call)) items.push(item)
    if (ctx.json) ctx.printJson(items)
    else
      ctx.out(
        items.length === 0
          ? listing.none
          : table(items, listing.columns, ctx.paint) + ctx.paint('dim', `${items.length} ${listing.noun}`),
      )
    return EXIT.ok
  }
  const page = positiveInt(values.page as string | undefined, 'page', name)
  if (page !== undefined) filters.page = page
  if (values.cursor !== undefined) filters.cursor = values.cursor as string
  const result = await listing.list(filters, call)
  if (ctx.json) ctx.printJson(result)
  else if (result.data.length === 0)
    ctx.out(
      result.total === 0
        ? listing.none
        : `no ${listing.noun} on page ${result.page ?? '…'} (of ${result.pages})`,
    )
  else
    ctx.out(table(result.data, listing.columns, ctx.paint) + ctx.paint('dim', footer(result, listing.noun)))
  return EXIT.ok
}
