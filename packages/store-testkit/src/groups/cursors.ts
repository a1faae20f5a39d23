import type { CacheQuery, ComputationQuery, Page, Store } from '@comp-manager/core'
import type { Test } from 'tap'
import { cacheInput, computationInput, NS_A, NS_B, times } from '../fixtures.js'
import { expectCode, type Harness } from '../harness.js'

/** Every page of a listing, walked by `nextCursor` from the first one. */
async function walkByCursor<T>(list: (cursor: string | undefined) => Promise<Page<T>>): Promise<Page<T>[]> {
  const pages: Page<T>[] = []
  let cursor: string | undefined
  do {
    const page = await list(cursor)
    pages.push(page)
    cursor = page.nextCursor ?? undefined
  } while (cursor !== undefined && pages.length < 1000)
  return pages
}

const withCursor = (cursor: string | undefined) => (cursor === undefined ? {} : { cursor })

/** Keyset paging: `nextCursor`, summaries (`include`), and the cursors a store must refuse. */
export function cursorPaging(t: Test, h: Harness): void {
  for (const sort of ['-createdAt', 'createdAt', '-updatedAt', 'updatedAt'] as const) {
    t.test(`walking by cursor (sort ${sort}, equal timestamps) sees each record once, in order`, (t) =>
      computationWalk(t, h, sort),
    )
  }
  for (const sort of ['-createdAt', 'createdAt', 'hits', '-size'] as const) {
    t.test(`cache: walking by cursor (sort ${sort}, two namespaces) sees each entry once, in order`, (t) =>
      cacheWalk(t, h, sort),
    )
  }
  t.test('a cursor keeps the filter: function (short or full) and status', (t) => filteredWalk(t, h))
  t.test('forged, malformed or foreign cursors → CM_ERR_INVALID_ARGUMENT', (t) => badCursors(t, h))
  t.test('include: summaries without args and checkpoint unless asked', (t) => summaries(t, h))
}

async function computationWalk(t: Test, h: Harness, sort: ComputationQuery['sort']): Promise<void> {
  const { store, clock } = await h.open(t)
  await times(13, async (i) => {
    if (i % 5 === 4) clock.advance(1)
    return store.computations.create(computationInput({ namespace: i % 3 === 0 ? NS_B : NS_A }))
  })
  const namespace = [NS_A, NS_B]
  const all = (await store.computations.list({ namespace, sort, perPage: 100 })).data.map((r) => r.id)
  const pages = await walkByCursor((cursor) =>
    store.computations.list({ namespace, sort, perPage: 4, ...withCursor(cursor) }),
  )
  t.same(
    pages.map((p) => p.data.length),
    [4, 4, 4, 1],
    'page sizes',
  )
  t.same(
    pages.map((p) => p.page),
    [1, null, null, null],
    'page numbers only without a cursor',
  )
  t.ok(
    pages.every((p) => p.total === 13 && !p.totalIsLowerBound),
    'the total on every page',
  )
  t.same(
    pages.flatMap((p) => p.data.map((r) => r.id)),
    all,
    'every record once, in the order of one big page',
  )
}

async function cacheWalk(t: Test, h: Harness, sort: CacheQuery['sort']): Promise<void> {
  const { store, clock } = await h.open(t)
  await times(11, async (i) => {
    if (i % 4 === 3) clock.advance(1)
    // Same keys in two namespaces: the namespace breaks the tie.
    return store.cache.set(cacheInput({ namespace: i % 2 === 0 ? NS_A : NS_B, key: `key-${i % 6}` }))
  })
  const namespace = [NS_A, NS_B]
  const label = (e: { namespace: string; key: string }) => `${e.namespace}/${e.key}`
  const all = (await store.cache.list({ namespace, sort, perPage: 100 })).data.map(label)
  const pages = await walkByCursor((cursor) =>
    store.cache.list({ namespace, sort, perPage: 3, ...withCursor(cursor) }),
  )
  t.same(
    pages.flatMap((p) => p.data.map(label)),
    all,
    'every entry once, in the order of one big page',
  )
  t.equal(pages.length, Math.ceil(all.length / 3), 'no empty page at the end')
}

async function filteredWalk(t: Test, h: Harness): Promise<void> {
  const { store } = await h.open(t)
  await times(9, (i) =>
    store.computations.create(
      computationInput(
        i % 3 === 0
          ? { function: 'other', functionFull: 'mod.other' }
          : { function: 'fib', functionFull: i % 3 === 1 ? 'fib' : 'mod.fib' },
      ),
    ),
  )
  for (const fn of ['fib', 'mod.fib', 'other']) {
    const expected = (await store.computations.list({ namespace: NS_A, function: fn, perPage: 100 })).data
    const pages = await walkByCursor((cursor) =>
      store.computations.list({ namespace: NS_A, function: fn, perPage: 2, ...withCursor(cursor) }),
    )
    t.same(
      pages.flatMap((p) => p.data.map((r) => r.id)),
      expected.map((r) => r.id),
      `function=${fn}: the same records by cursor`,
    )
  }
  const queued = await walkByCursor((cursor) =>
    store.computations.list({
      namespace: NS_A,
      status: 'queued',
      function: 'fib',
      perPage: 5,
      ...withCursor(cursor),
    }),
  )
  t.equal(queued.flatMap((p) => p.data).length, 6, 'status + function')
}

async function badCursors(t: Test, h: Harness): Promise<void> {
  const { store } = await h.open(t)
  await times(5, () => store.computations.create(computationInput()))
  await times(5, () => store.cache.set(cacheInput()))
  const { nextCursor } = await store.computations.list({ namespace: NS_A, perPage: 2 })
  const cursor = nextCursor!
  const [payload, signature] = cursor.split('.') as [string, string]
  const edited = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
  edited.k[0] = 0
  const forged = `${Buffer.from(JSON.stringify(edited)).toString('base64url')}.${signature}`
  const cases: [string, () => Promise<unknown>][] = [
    ['garbage', () => store.computations.list({ namespace: NS_A, cursor: 'garbage' })],
    ['empty', () => store.computations.list({ namespace: NS_A, cursor: '' })],
    ['an operator object', () => store.computations.list({ namespace: NS_A, cursor: { $gt: '' } as never })],
    ['a number', () => store.computations.list({ namespace: NS_A, cursor: 7 as never })],
    ['huge', () => store.computations.list({ namespace: NS_A, cursor: 'x'.repeat(1_000_000) })],
    ['payload edited', () => store.computations.list({ namespace: NS_A, perPage: 2, cursor: forged })],
    [
      'another filter',
      () => store.computations.list({ namespace: NS_A, perPage: 2, status: 'queued', cursor }),
    ],
    [
      'another sort',
      () => store.computations.list({ namespace: NS_A, perPage: 2, sort: 'createdAt', cursor }),
    ],
    ['another namespace', () => store.computations.list({ namespace: NS_B, perPage: 2, cursor })],
    ['a computation cursor for the cache', () => store.cache.list({ namespace: NS_A, perPage: 2, cursor })],
    ['with page', () => store.computations.list({ namespace: NS_A, perPage: 2, page: 2, cursor })],
  ]
  for (const [label, action] of cases) await expectCode(t, action, 'CM_ERR_INVALID_ARGUMENT', label)
  const next = await store.computations.list({ namespace: NS_A, perPage: 2, cursor })
  t.equal(next.data.length, 2, 'the cursor itself still works')
}

async function summaries(t: Test, h: Harness): Promise<void> {
  const { store } = await h.open(t)
  const big = { text: 'x'.repeat(200_000) }
  const record = await store.computations.create(computationInput({ args: big }))
  await store.computations.update(NS_A, record.id, 'queued', { status: 'started' })
  await store.computations.update(NS_A, record.id, 'started', { checkpoint: { step: 3 } })
  const [summary] = (await store.computations.list({ namespace: NS_A, include: [] })).data
  t.equal(summary?.args, undefined, 'no args in a summary')
  t.equal(summary?.checkpoint, undefined, 'no checkpoint in a summary')
  t.equal(summary?.id, record.id, 'the rest of the record')
  const [withArgs] = (await store.computations.list({ namespace: NS_A, include: ['args'] })).data
  t.same(withArgs?.args, big, 'args when asked')
  const [full] = (await store.computations.list({ namespace: NS_A })).data
  t.same([full?.args, full?.checkpoint], [big, { step: 3 }], 'everything by default')
  for (const bad of [['stack'], 'args', [{ $ne: 1 }], null]) {
    await expectCode(
      t,
      () => store.computations.list({ namespace: NS_A, include: bad as never }),
      'CM_ERR_INVALID_ARGUMENT',
      `include ${JSON.stringify(bad)}`,
    )
  }
}
