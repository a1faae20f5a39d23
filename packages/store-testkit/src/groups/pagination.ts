import type { Computation, ComputationQuery, ComputationSort, Page, Store } from '@comp-manager/core'
import type { Test } from 'tap'
import { cacheInput, computationInput, NS_A, recordIn, times } from '../fixtures.js'
import { clockSkip, expectCode, type Harness } from '../harness.js'
import { cursorPaging } from './cursors.js'

/** Every page of a computation listing, walked from page 1. */
async function walk(store: Store, query: ComputationQuery): Promise<Page<Computation>[]> {
  const pages: Page<Computation>[] = []
  for (let page = 1; ; page++) {
    const current = await store.computations.list({ ...query, page })
    pages.push(current)
    if (page >= current.pages) return pages
  }
}

/** True when `a` comes before `b` (or is equal) in `sort` order, ties broken by id. */
function inOrder(a: Computation, b: Computation, sort: ComputationSort): boolean {
  const descending = sort.startsWith('-')
  const field = (descending ? sort.slice(1) : sort) as 'createdAt' | 'updatedAt'
  const key = (r: Computation): [number, string] => [r[field], r.id]
  const [fa, ia] = key(a)
  const [fb, ib] = key(b)
  const ascending = fa < fb || (fa === fb && ia < ib)
  return descending ? !ascending : ascending
}

/** Listing: pages, filters, sorts, and a stable order when timestamps are equal. */
export function pagination(t: Test, h: Harness): void {
  for (const sort of ['-createdAt', 'createdAt', '-updatedAt', 'updatedAt'] as const) {
    t.test(`walking every page (sort ${sort}, equal timestamps) sees each record once`, (t) =>
      walkEveryPage(t, h, sort),
    )
  }

  t.test('cache listing: walking every page with equal timestamps sees each entry once', (t) =>
    cacheWalk(t, h),
  )
  cursorPaging(t, h)
  t.test('a page past the end is empty but keeps the totals', (t) => pagePastTheEnd(t, h))
  t.test('defaults: page 1, perPage 20; an empty listing has 0 pages', (t) => defaults(t, h))
  t.test('bad page and perPage → CM_ERR_INVALID_ARGUMENT', (t) => badPaging(t, h))
  t.test('filters: status, function (short or full), hash', (t) => filters(t, h))
  t.test('filters: since (inclusive) and until (exclusive) on createdAt', { skip: clockSkip(h) }, (t) =>
    sinceAndUntil(t, h),
  )
  t.test('sort by updatedAt follows the last update', { skip: clockSkip(h) }, (t) => sortByUpdatedAt(t, h))
}

async function walkEveryPage(t: Test, h: Harness, sort: ComputationSort): Promise<void> {
  const { store, clock } = await h.open(t)
  // 23 records over 3 distinct timestamps: most of them tie.
  const created = await times(23, async (i) => {
    if (i === 8 || i === 16) clock.advance(1)
    return store.computations.create(computationInput())
  })
  const pages = await walk(store, { namespace: NS_A, sort, perPage: 5 })
  t.equal(pages.length, 5, 'ceil(23 / 5) pages')
  t.ok(
    pages.every((p) => p.total === 23 && p.pages === 5 && p.perPage === 5),
    'total, pages, perPage on every page',
  )
  t.same(
    pages.map((p) => p.data.length),
    [5, 5, 5, 5, 3],
    'page sizes',
  )
  const ids = pages.flatMap((p) => p.data.map((r) => r.id))
  t.equal(new Set(ids).size, 23, 'no duplicate')
  t.same([...ids].sort(), created.map((r) => r.id).sort(), 'none missing')
  const all = pages.flatMap((p) => p.data)
  const ordered = all.every((r, i) => i === 0 || inOrder(all[i - 1]!, r, sort))
  t.ok(ordered, `ordered by ${sort}, ties by id in the same direction`)
}

async function cacheWalk(t: Test, h: Harness): Promise<void> {
  const { store } = await h.open(t)
  const keys = (await times(12, () => store.cache.set(cacheInput()))).map((m) => m.key)
  const seen: string[] = []
  for (let page = 1; page <= 3; page++) {
    const current = await store.cache.list({ namespace: NS_A, perPage: 5, page })
    t.hasStrict(current, { total: 12, pages: 3, page, perPage: 5 }, `page ${page}`)
    seen.push(...current.data.map((m) => m.key))
  }
  t.same(seen, [...keys].sort().reverse(), 'ties broken by key, descending like -createdAt')
  const ascending = await store.cache.list({ namespace: NS_A, perPage: 100, sort: 'createdAt' })
  t.same(
    ascending.data.map((m) => m.key),
    [...keys].sort(),
    'ascending: ties by key ascending',
  )
}

async function pagePastTheEnd(t: Test, h: Harness): Promise<void> {
  const { store } = await h.open(t)
  await times(3, () => store.computations.create(computationInput()))
  const page = await store.computations.list({ namespace: NS_A, page: 7, perPage: 2 })
  t.same(page, {
    data: [],
    page: 7,
    perPage: 2,
    total: 3,
    pages: 2,
    totalIsLowerBound: false,
    nextCursor: null,
  })
  await times(3, () => store.cache.set(cacheInput()))
  const cachePage = await store.cache.list({ namespace: NS_A, page: 3, perPage: 3 })
  t.same(cachePage, {
    data: [],
    page: 3,
    perPage: 3,
    total: 3,
    pages: 1,
    totalIsLowerBound: false,
    nextCursor: null,
  })
}

async function defaults(t: Test, h: Harness): Promise<void> {
  const { store } = await h.open(t)
  t.same(await store.computations.list({ namespace: NS_A }), {
    data: [],
    page: 1,
    perPage: 20,
    total: 0,
    pages: 0,
    totalIsLowerBound: false,
    nextCursor: null,
  })
  t.same(await store.cache.list({ namespace: NS_A }), {
    data: [],
    page: 1,
    perPage: 20,
    total: 0,
    pages: 0,
    totalIsLowerBound: false,
    nextCursor: null,
  })
  await times(25, () => store.computations.create(computationInput()))
  const first = await store.computations.list({ namespace: NS_A })
  t.hasStrict(first, { page: 1, perPage: 20, total: 25, pages: 2 })
  t.equal(first.data.length, 20)
  t.equal((await store.computations.list({ namespace: NS_A, perPage: 100 })).data.length, 25, 'perPage 100')
  t.equal((await store.computations.list({ namespace: NS_A, perPage: 1 })).pages, 25, 'perPage 1')
}

async function badPaging(t: Test, h: Harness): Promise<void> {
  const { store } = await h.open(t)
  const bad: Array<[string, object]> = [
    ['perPage 0', { perPage: 0 }],
    ['perPage 101', { perPage: 101 }],
    ['perPage -1', { perPage: -1 }],
    ['perPage 2.5', { perPage: 2.5 }],
    ['perPage "10"', { perPage: '10' }],
    ['page 0', { page: 0 }],
    ['page -1', { page: -1 }],
    ['page 1.5', { page: 1.5 }],
    ['page NaN', { page: Number.NaN }],
    ['page "2"', { page: '2' }],
  ]
  for (const [why, extra] of bad) {
    await expectCode(
      t,
      () => store.computations.list({ namespace: NS_A, ...extra }),
      'CM_ERR_INVALID_ARGUMENT',
      why,
    )
    await expectCode(
      t,
      () => store.cache.list({ namespace: NS_A, ...extra }),
      'CM_ERR_INVALID_ARGUMENT',
      `cache: ${why}`,
    )
  }
  await expectCode(
    t,
    () => store.computations.list({ namespace: NS_A, sort: 'hits' as ComputationSort }),
    'CM_ERR_INVALID_ARGUMENT',
    'unknown sort',
  )
  await expectCode(
    t,
    () => store.cache.list({ namespace: NS_A, sort: 'updatedAt' as 'hits' }),
    'CM_ERR_INVALID_ARGUMENT',
    'cache: unknown sort',
  )
}

async function filters(t: Test, h: Harness): Promise<void> {
  const { store } = await h.open(t)
  const queued = await recordIn(store, 'queued')
  const started = await recordIn(store, 'started')
  const failed = await recordIn(store, 'failed')
  const other = await recordIn(store, 'finished', { function: 'sort', functionFull: 'algo/sort' })
  const ids = async (query: Partial<ComputationQuery>) =>
    (await store.computations.list({ namespace: NS_A, ...query })).data.map((r) => r.id).sort()
  t.same(await ids({ status: 'queued' }), [queued.id], 'one status')
  t.same(await ids({ status: ['started', 'failed'] }), [started.id, failed.id].sort(), 'several statuses')
  t.same(await ids({ status: 'paused' }), [], 'no match')
  t.same(await ids({ function: 'sort' }), [other.id], 'function, short name')
  t.same(await ids({ function: 'algo/sort' }), [other.id], 'function, full name')
  t.same(await ids({ function: 'fib' }), [queued.id, started.id, failed.id].sort(), 'function fib')
  t.same(await ids({ hash: started.hash }), [started.id], 'hash')
  t.same(await ids({ function: 'fib', status: 'failed' }), [failed.id], 'filters are ANDed')
}

async function sinceAndUntil(t: Test, h: Harness): Promise<void> {
  const { store, clock } = await h.open(t)
  const t0 = clock()
  const first = await store.computations.create(computationInput())
  clock.advance(1000)
  const second = await store.computations.create(computationInput())
  clock.advance(1000)
  const third = await store.computations.create(computationInput())
  const ids = async (query: Partial<ComputationQuery>) =>
    (await store.computations.list({ namespace: NS_A, sort: 'createdAt', ...query })).data.map((r) => r.id)
  t.same(await ids({ since: t0 + 1000 }), [second.id, third.id], 'since is inclusive')
  t.same(await ids({ until: t0 + 1000 }), [first.id], 'until is exclusive')
  t.same(await ids({ since: t0, until: t0 + 2000 }), [first.id, second.id], 'both')
  t.same(await ids({ since: t0 + 5000 }), [], 'none')
}

async function sortByUpdatedAt(t: Test, h: Harness): Promise<void> {
  const { store, clock } = await h.open(t)
  const a = await store.computations.create(computationInput())
  clock.advance(10)
  const b = await store.computations.create(computationInput())
  clock.advance(10)
  await store.computations.update(NS_A, a.id, 'queued', { message: 'touched' })
  const ids = async (sort: ComputationSort) =>
    (await store.computations.list({ namespace: NS_A, sort })).data.map((r) => r.id)
  t.same(await ids('-updatedAt'), [a.id, b.id], 'most recently updated first')
  t.same(await ids('updatedAt'), [b.id, a.id])
  t.same(await ids('-createdAt'), [b.id, a.id], 'createdAt is not affected by updates')
}
