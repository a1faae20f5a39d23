import { CACHE_SCHEMA_VERSION } from '@comp-manager/core'
import type { Test } from 'tap'
import { cacheInput, NS_A, utf8Bytes } from '../fixtures.js'
import { expectTime, type Harness, hasCacheFields, sameJson } from '../harness.js'

/** set / get / replace / delete, hit counting, listing filters and sorts, stats. */
export function cache(t: Test, h: Harness): void {
  t.test('set returns the meta, get returns the entry with its value', (t) => setThenGet(t, h))
  t.test('defaults: version, args null; tags empty; duplicate tags dropped', (t) => defaults(t, h))
  t.test('get of an absent key → null', (t) => getAbsent(t, h))
  t.test('set replaces an entry and resets its hits', (t) => setReplaces(t, h))
  t.test('get counts hits unless touch: false', (t) => hitCounting(t, h))
  t.test('delete', (t) => deleteEntry(t, h))
  t.test('stats: entries and UTF-8 bytes of a namespace', (t) => stats(t, h))
  t.test('list filters by function (short or full), tag and version; values are left out', (t) =>
    listFilters(t, h),
  )
  t.test('list sorts by createdAt, hits and size, both directions', (t) => listSorts(t, h))
  t.test('results and inputs are copies', (t) => copies(t, h))
}

async function setThenGet(t: Test, h: Harness): Promise<void> {
  const { store, clock } = await h.open(t)
  const input = cacheInput({
    version: 'v2',
    args: { n: 30, opts: { exact: true } },
    tags: ['math', 'slow'],
    value: '{"__type__":"bigint","value":"832040"}',
  })
  const meta = await store.cache.set(input)
  hasCacheFields(t, meta, false)
  t.hasStrict(meta, {
    key: input.key,
    namespace: NS_A,
    function: input.function,
    functionFull: input.functionFull,
    version: 'v2',
    algorithm: 'sha256',
    size: utf8Bytes(input.value),
    tags: ['math', 'slow'],
    expiresAt: null,
    hits: 0,
    lastHitAt: null,
    schemaVersion: CACHE_SCHEMA_VERSION,
  })
  sameJson(t, meta.args, input.args, 'args')
  expectTime(t, h, meta.createdAt, clock(), 'createdAt')
  const entry = await store.cache.get(NS_A, input.key, { touch: false })
  t.ok(entry, 'found')
  if (entry === null) return
  hasCacheFields(t, entry, true)
  t.equal(entry.value, input.value, 'value round-trips')
  const { value: _value, ...rest } = entry
  t.same(rest, meta, 'get = meta + value')
}

async function defaults(t: Test, h: Harness): Promise<void> {
  const { store } = await h.open(t)
  const meta = await store.cache.set(cacheInput({ tags: ['b', 'a', 'b', 'a'] }))
  t.same(meta.tags, ['b', 'a'], 'each tag once, first-seen order')
  const plain = await store.cache.set(cacheInput())
  t.hasStrict(plain, { version: null, args: null, tags: [] })
}

async function getAbsent(t: Test, h: Harness): Promise<void> {
  const { store } = await h.open(t)
  t.equal(await store.cache.get(NS_A, 'no-such-key'), null)
}

async function setReplaces(t: Test, h: Harness): Promise<void> {
  const { store, clock } = await h.open(t)
  const input = cacheInput({ tags: ['old'] })
  await store.cache.set(input)
  await store.cache.get(NS_A, input.key)
  await store.cache.get(NS_A, input.key)
  await store.cache.flush?.()
  const now = clock.advance(5000)
  const replaced = await store.cache.set({ ...input, value: '"new"', tags: ['new'] })
  t.hasStrict(replaced, { hits: 0, lastHitAt: null, tags: ['new'], size: 5 })
  expectTime(t, h, replaced.createdAt, now, 'createdAt of the new entry')
  t.equal((await store.cache.get(NS_A, input.key, { touch: false }))?.value, '"new"')
  await store.cache.flush?.()
  const page = await store.cache.list({ namespace: NS_A })
  t.equal(page.total, 1, 'still one entry')
  t.equal(page.data[0]?.hits, 0, 'hits reset')
}

async function hitCounting(t: Test, h: Harness): Promise<void> {
  const { store, clock } = await h.open(t)
  const input = cacheInput()
  await store.cache.set(input)
  await store.cache.get(NS_A, input.key)
  clock.advance(100)
  await store.cache.get(NS_A, input.key, {})
  const lastHit = clock.advance(100)
  await store.cache.get(NS_A, input.key, { touch: true })
  clock.advance(100)
  await store.cache.get(NS_A, input.key, { touch: false })
  await store.cache.flush?.()
  const [meta] = (await store.cache.list({ namespace: NS_A })).data
  t.equal(meta?.hits, 3, 'three counted gets')
  expectTime(t, h, meta?.lastHitAt, lastHit, 'lastHitAt = last counted get')
}

async function deleteEntry(t: Test, h: Harness): Promise<void> {
  const { store } = await h.open(t)
  const input = cacheInput()
  const other = cacheInput()
  await store.cache.set(input)
  await store.cache.set(other)
  t.equal(await store.cache.delete(NS_A, input.key), true, 'deleted')
  t.equal(await store.cache.get(NS_A, input.key), null, 'gone')
  t.equal(await store.cache.delete(NS_A, input.key), false, 'second delete → false')
  t.ok(await store.cache.get(NS_A, other.key), 'the other entry stays')
}

async function stats(t: Test, h: Harness): Promise<void> {
  const { store } = await h.open(t)
  t.same(await store.cache.stats(NS_A), { entries: 0, bytes: 0 }, 'empty')
  const values = ['"a"', '"é"', '"😀"', '[1,2,3]']
  for (const value of values) await store.cache.set(cacheInput({ value }))
  const bytes = values.reduce((sum, v) => sum + utf8Bytes(v), 0)
  t.same(await store.cache.stats(NS_A), { entries: 4, bytes }, 'counts and bytes')
}

async function listFilters(t: Test, h: Harness): Promise<void> {
  const { store } = await h.open(t)
  const fib1 = await store.cache.set(cacheInput({ key: 'k1', version: 'v1', tags: ['math', 'slow'] }))
  await store.cache.set(cacheInput({ key: 'k2', version: 'v2', tags: ['math'] }))
  await store.cache.set(
    cacheInput({ key: 'k3', function: 'sort', functionFull: 'algo/sort', version: null, tags: ['slow'] }),
  )
  const keys = async (query: object) =>
    (await store.cache.list({ namespace: NS_A, sort: 'createdAt', ...query })).data.map((e) => e.key).sort()
  t.same(await keys({}), ['k1', 'k2', 'k3'], 'all')
  t.same(await keys({ function: 'fib' }), ['k1', 'k2'], 'function (short name)')
  t.same(await keys({ function: 'math/series.fib' }), ['k1', 'k2'], 'function (full name)')
  t.same(await keys({ tag: 'slow' }), ['k1', 'k3'], 'tag')
  t.same(await keys({ version: 'v2' }), ['k2'], 'version')
  t.same(await keys({ version: null }), ['k3'], 'version null')
  t.same(await keys({ function: 'fib', tag: 'slow' }), ['k1'], 'criteria are ANDed')
  t.same(await keys({ tag: 'nope' }), [], 'no match')
  const page = await store.cache.list({ namespace: NS_A })
  for (const meta of page.data) hasCacheFields(t, meta, false, `${meta.key}: meta only, no value`)
  t.same(
    page.data.find((m) => m.key === 'k1'),
    fib1,
    'list returns the same meta as set',
  )
}

async function listSorts(t: Test, h: Harness): Promise<void> {
  const { store, clock } = await h.open(t)
  // key, value size, hits, created at +i seconds
  const rows = [
    { key: 'k-a', value: '"xxxxx"', hits: 2 },
    { key: 'k-b', value: '"x"', hits: 0 },
    { key: 'k-c', value: '"xxx"', hits: 5 },
  ]
  for (const row of rows) {
    clock.advance(1000)
    await store.cache.set(cacheInput({ key: row.key, value: row.value }))
    for (let i = 0; i < row.hits; i++) await store.cache.get(NS_A, row.key)
  }
  await store.cache.flush?.()
  const keys = async (sort: string) =>
    (await store.cache.list({ namespace: NS_A, sort: sort as 'hits' })).data.map((e) => e.key)
  if (h.caps.supportsInjectedClock) {
    t.same(await keys('createdAt'), ['k-a', 'k-b', 'k-c'], 'createdAt')
    t.same(await keys('-createdAt'), ['k-c', 'k-b', 'k-a'], '-createdAt')
    t.same(
      (await store.cache.list({ namespace: NS_A })).data.map((e) => e.key),
      ['k-c', 'k-b', 'k-a'],
      'default',
    )
  }
  t.same(await keys('hits'), ['k-b', 'k-a', 'k-c'], 'hits')
  t.same(await keys('-hits'), ['k-c', 'k-a', 'k-b'], '-hits')
  t.same(await keys('size'), ['k-b', 'k-c', 'k-a'], 'size')
  t.same(await keys('-size'), ['k-a', 'k-c', 'k-b'], '-size')
}

async function copies(t: Test, h: Harness): Promise<void> {
  const { store } = await h.open(t)
  const input = cacheInput({ tags: ['a'], args: { list: [1] } })
  const meta = await store.cache.set(input)
  ;(input.tags as string[]).push('mutated')
  ;(input.args as { list: number[] }).list.push(2)
  meta.tags.push('mutated')
  const entry = await store.cache.get(NS_A, input.key, { touch: false })
  entry?.tags.push('mutated')
  ;((entry?.args ?? {}) as { list?: number[] }).list?.push(3)
  ;(await store.cache.list({ namespace: NS_A })).data[0]?.tags.push('mutated')
  const again = await store.cache.get(NS_A, input.key, { touch: false })
  t.same(again?.tags, ['a'], 'tags unchanged')
  sameJson(t, again?.args, { list: [1] }, 'args unchanged')
}
