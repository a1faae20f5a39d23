import type { InvalidateCriteria, Store } from '@comp-manager/core'
import type { Test } from 'tap'
import { cacheInput, NS_A, NS_B } from '../fixtures.js'
import { clockSkip, expectCode, type Harness } from '../harness.js'

/**
 * The namespace-A entries every case starts from (namespace B holds a copy of `a1` that no
 * invalidation of A may touch).
 */
async function seed(store: Store): Promise<void> {
  const rows = [
    { key: 'a1', function: 'fib', functionFull: 'math/fib', version: 'v1', tags: ['t1', 't2'] },
    { key: 'a2', function: 'fib', functionFull: 'math/fib', version: 'v2', tags: ['t1'] },
    { key: 'a3', function: 'sort', functionFull: 'algo/sort', version: 'v1', tags: ['t2'] },
    { key: 'a4', function: 'sort', functionFull: 'algo/sort', version: null, tags: [] },
  ]
  for (const row of rows) await store.cache.set(cacheInput(row))
  await store.cache.set(cacheInput({ ...rows[0], namespace: NS_B }))
}

const cases: Array<{ criteria: InvalidateCriteria; removed: string[] }> = [
  { criteria: { function: 'fib' }, removed: ['a1', 'a2'] },
  { criteria: { function: 'algo/sort' }, removed: ['a3', 'a4'] },
  { criteria: { tag: 't1' }, removed: ['a1', 'a2'] },
  { criteria: { tag: 't2' }, removed: ['a1', 'a3'] },
  { criteria: { version: 'v1' }, removed: ['a1', 'a3'] },
  { criteria: { version: null }, removed: ['a4'] },
  { criteria: { all: true }, removed: ['a1', 'a2', 'a3', 'a4'] },
  { criteria: { function: 'fib', tag: 't2' }, removed: ['a1'] },
  { criteria: { function: 'fib', version: 'v2' }, removed: ['a2'] },
  { criteria: { tag: 't2', version: 'v1' }, removed: ['a1', 'a3'] },
  { criteria: { function: 'sort', tag: 't1' }, removed: [] },
  { criteria: { function: 'fib', tag: 't1', version: 'v1' }, removed: ['a1'] },
  { criteria: { tag: 'no-such-tag' }, removed: [] },
]

const bad: Array<{ criteria: unknown; why: string }> = [
  { criteria: {}, why: 'no criterion' },
  { criteria: { all: false }, why: 'all: false alone' },
  { criteria: { all: true, function: 'fib' }, why: 'all combined with function' },
  { criteria: { all: true, tag: 't1' }, why: 'all combined with tag' },
  { criteria: { tag: '' }, why: 'empty tag' },
  { criteria: { function: '' }, why: 'empty function' },
  { criteria: { function: 42 }, why: 'function not a string' },
  { criteria: { version: 1 }, why: 'version not a string' },
  { criteria: { all: 'yes' }, why: 'all not a boolean' },
  { criteria: { $where: 'true' }, why: 'an operator instead of a criterion' },
  { criteria: { tag: { $ne: null } }, why: 'an operator as a value' },
  { criteria: null, why: 'null' },
  { criteria: 'all', why: 'a string' },
]

/** `invalidate` counts what it deletes; criteria are ANDed; bad criteria are rejected. */
export function invalidation(t: Test, h: Harness): void {
  for (const { criteria, removed } of cases) {
    t.test(`invalidate ${JSON.stringify(criteria)}`, (t) => invalidateBy(t, h, criteria, removed))
  }

  t.test('invalidate does not count expired entries', { skip: clockSkip(h) }, (t) => expiredNotCounted(t, h))
  t.test('bad criteria → CM_ERR_INVALID_ARGUMENT, nothing deleted', (t) => badCriteria(t, h))
}

async function invalidateBy(
  t: Test,
  h: Harness,
  criteria: InvalidateCriteria,
  removed: string[],
): Promise<void> {
  const { store } = await h.open(t)
  await seed(store)
  t.equal(await store.cache.invalidate(NS_A, criteria), removed.length, `removes ${removed.length}`)
  const left = (await store.cache.list({ namespace: NS_A })).data.map((e) => e.key).sort()
  t.same(
    left,
    ['a1', 'a2', 'a3', 'a4'].filter((k) => !removed.includes(k)),
    'exactly the matching entries are gone',
  )
  t.ok(await store.cache.get(NS_B, 'a1', { touch: false }), 'the other namespace is untouched')
}

async function expiredNotCounted(t: Test, h: Harness): Promise<void> {
  const { store, clock } = await h.open(t)
  await store.cache.set(cacheInput({ function: 'fib', ttlMs: 100 }))
  await store.cache.set(cacheInput({ function: 'fib' }))
  clock.advance(100)
  t.equal(await store.cache.invalidate(NS_A, { function: 'fib' }), 1, 'only the live entry')
}

async function badCriteria(t: Test, h: Harness): Promise<void> {
  const { store } = await h.open(t)
  await seed(store)
  for (const { criteria, why } of bad) {
    await expectCode(
      t,
      () => store.cache.invalidate(NS_A, criteria as InvalidateCriteria),
      'CM_ERR_INVALID_ARGUMENT',
      why,
    )
  }
  t.equal((await store.cache.stats(NS_A)).entries, 4, 'all entries still there')
}
