import {
  type CacheQuery,
  type ComputationQuery,
  normalizeCacheQuery,
  normalizeComputationQuery,
} from '@comp-manager/core/store-kit'
import Sqlite from 'better-sqlite3'
import t, { type Test } from 'tap'
import { SqliteStore } from '../src/index.js'
import { cacheListSql, computationListSql } from '../src/list-queries.js'
import { codeOf } from './fixtures/helpers.js'

/** The plan of a statement, one `detail` per line. */
function planOf(db: Sqlite.Database, sql: string, params: unknown[]): string[] {
  return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((r) => r.detail)
}

/** A plan that reads the table in full or sorts it is what "flat at a million" rules out. */
function assertFlat(t: Test, plan: string[], label: string): void {
  const bad = plan.filter(
    (line) => /^SCAN (computations|c|cache_entries)\b/.test(line) || /TEMP B-TREE/.test(line),
  )
  t.same(bad, [], `${label}: no table scan, no temp B-tree\n  ${plan.join('\n  ')}`)
  t.ok(
    plan.some((line) => /USING (COVERING )?INDEX/.test(line)),
    `${label}: uses an index`,
  )
}

function openStore(t: Test): { db: Sqlite.Database; store: SqliteStore } {
  const db = new Sqlite(':memory:')
  const store = new SqliteStore({ database: db })
  t.teardown(async () => {
    await store.close()
    db.close()
  })
  return { db, store }
}

const CURSOR_KEY = [1_700_000_000_000, 'some-id'] as const

t.test('computation listings: every filter and sort is an index range (page, cursor, count)', async (t) => {
  const { db } = openStore(t)
  const shapes: [string, Omit<ComputationQuery, 'namespace'>][] = [
    ['page 1', {}],
    ['status=', { status: 'finished' }],
    ['two statuses', { status: ['finished', 'failed'] }],
    ['function=', { function: 'fib' }],
    ['status+function', { status: 'failed', function: 'fib' }],
    ['since', { since: 1 }],
    ['since+until', { since: 1, until: 2 }],
    ['sort createdAt', { sort: 'createdAt' }],
    ['sort -updatedAt', { sort: '-updatedAt' }],
    ['sort updatedAt', { sort: 'updatedAt' }],
    ['status= sort updatedAt', { status: 'started', sort: 'updatedAt' }],
    ['function= sort -updatedAt', { function: 'fib', sort: '-updatedAt' }],
  ]
  for (const namespace of ['ns-a', ['ns-a', 'ns-b']]) {
    for (const [label, shape] of shapes) {
      const q = normalizeComputationQuery({ namespace, ...shape, include: [] })
      const first = computationListSql(q, 'id, created_at, updated_at')
      const name = `${label} (${Array.isArray(namespace) ? 'two namespaces' : 'one namespace'})`
      assertFlat(t, planOf(db, first.page.sql, first.page.params), `${name}, page`)
      assertFlat(t, planOf(db, first.count.sql, first.count.params), `${name}, count`)
      const deep = computationListSql({ ...q, after: CURSOR_KEY }, 'id, created_at, updated_at')
      assertFlat(t, planOf(db, deep.page.sql, deep.page.params), `${name}, by cursor`)
    }
  }
})

t.test('cache listings: each sort, function and version are index ranges', async (t) => {
  const { db } = openStore(t)
  const shapes: [string, Omit<CacheQuery, 'namespace'>][] = [
    ['page 1', {}],
    ['function=', { function: 'fib' }],
    ['version=', { version: 'v1' }],
    ['sort hits', { sort: 'hits' }],
    ['sort -size', { sort: '-size' }],
    ['sort createdAt', { sort: 'createdAt' }],
  ]
  for (const namespace of ['ns-a', ['ns-a', 'ns-b']]) {
    for (const [label, shape] of shapes) {
      const q = normalizeCacheQuery({ namespace, ...shape })
      const name = `${label} (${Array.isArray(namespace) ? 'two namespaces' : 'one namespace'})`
      const first = cacheListSql(q, 'namespace, key, created_at, hits, size', 5)
      assertFlat(t, planOf(db, first.page.sql, first.page.params), `${name}, page`)
      assertFlat(t, planOf(db, first.count.sql, first.count.params), `${name}, count`)
      const deep = cacheListSql(
        { ...q, after: [5, 'k', 'ns-a'] },
        'namespace, key, created_at, hits, size',
        5,
      )
      assertFlat(t, planOf(db, deep.page.sql, deep.page.params), `${name}, by cursor`)
    }
  }
})

t.test('walking a cache listing of two namespaces by cursor, with ties, sees each entry once', async (t) => {
  const { store } = openStore(t)
  const keys: string[] = []
  for (const namespace of ['ns-a', 'ns-b']) {
    for (let i = 0; i < 7; i++) {
      const key = `k${i % 4}-${i}`
      keys.push(`${namespace}/${key}`)
      await store.cache.set({
        namespace,
        key,
        function: 'f',
        functionFull: 'm.f',
        algorithm: 'sha256',
        value: '1',
      })
    }
  }
  for (const sort of ['-createdAt', 'createdAt', 'size', '-hits'] as const) {
    const seen: string[] = []
    let cursor: string | undefined
    do {
      const page = await store.cache.list({
        namespace: ['ns-a', 'ns-b'],
        sort,
        perPage: 3,
        ...(cursor ? { cursor } : {}),
      })
      seen.push(...page.data.map((e) => `${e.namespace}/${e.key}`))
      cursor = page.nextCursor ?? undefined
    } while (cursor !== undefined)
    t.same([...seen].sort(), [...keys].sort(), `${sort}: every entry once`)
    const all = (await store.cache.list({ namespace: ['ns-a', 'ns-b'], sort, perPage: 100 })).data
    t.same(
      seen,
      all.map((e) => `${e.namespace}/${e.key}`),
      `${sort}: in the order of one big page`,
    )
  }
})

t.test('listings read no args or checkpoint unless asked', async (t) => {
  const { store } = openStore(t)
  const args = { big: 'x'.repeat(1_000_000) }
  for (let i = 0; i < 20; i++) {
    await store.computations.create({
      namespace: 'ns-a',
      function: 'f',
      functionFull: 'm.f',
      args,
      hash: `h${i}`,
      hashAlgorithm: 'sha256',
    })
  }
  const summary = await store.computations.list({ namespace: 'ns-a', include: [] })
  t.equal(summary.data.length, 20)
  t.ok(
    summary.data.every((r) => r.args === undefined && r.checkpoint === undefined),
    'no args nor checkpoint',
  )
  t.ok(
    JSON.stringify(summary.data).length < 20 * 2048,
    'a page of 20 summaries of 1 MB-args records is < 40 KiB',
  )
  const full = await store.computations.list({ namespace: 'ns-a', include: ['args'], perPage: 1 })
  t.same(full.data[0]!.args, args, 'args when asked')
  t.equal(full.data[0]!.checkpoint, undefined, 'not the checkpoint')
  t.equal(
    await codeOf(() => store.computations.list({ namespace: 'ns-a', include: ['$where' as 'args'] })),
    'CM_ERR_INVALID_ARGUMENT',
    'an unknown field',
  )
})

t.test('countLimit bounds the count; a bad countLimit or cursorSecret is refused', async (t) => {
  const db = new Sqlite(':memory:')
  const store = new SqliteStore({ database: db, countLimit: 5 })
  t.teardown(async () => {
    await store.close()
    db.close()
  })
  for (let i = 0; i < 8; i++) {
    await store.computations.create({
      namespace: 'ns-a',
      function: 'f',
      functionFull: 'm.f',
      args: [i],
      hash: `h${i}`,
      hashAlgorithm: 'sha256',
    })
  }
  t.hasStrict(await store.computations.list({ namespace: 'ns-a', perPage: 2 }), {
    total: 5,
    totalIsLowerBound: true,
    pages: 3,
  })
  t.hasStrict(await store.computations.list({ namespace: 'ns-a', hash: 'h1' }), {
    total: 1,
    totalIsLowerBound: false,
  })
  for (const bad of [
    { countLimit: 0 },
    { countLimit: 1.5 },
    { countLimit: '10' },
    { cursorSecret: 'short' },
  ]) {
    t.equal(
      await codeOf(() => new SqliteStore({ path: ':memory:', ...(bad as object) })),
      'CM_ERR_INVALID_ARGUMENT',
      JSON.stringify(bad),
    )
  }
})
