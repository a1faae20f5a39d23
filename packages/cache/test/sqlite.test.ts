import { join } from 'node:path'
import { SqliteStore } from '@comp-manager/sqlite-store'
import t from 'tap'
import { type CacheEvents, createCache } from '../src/index.js'
import { counted } from './fixtures/helpers.js'

/** Values through a real SQLite file, read back by a second cache (no shared memory, no L1). */

t.test('rich values round-trip through SQLite', async (t) => {
  const path = join(t.testdir(), 'rich.db')
  const writerStore = new SqliteStore({ path })
  const readerStore = new SqliteStore({ path })
  t.teardown(async () => {
    await writerStore.close()
    await readerStore.close()
  })
  const writer = createCache({ store: writerStore, namespace: 'rich' })
  const reader = createCache({ store: readerStore, namespace: 'rich' })
  const rich = () => ({
    balances: new Map<string, bigint>([
      ['alice', 2n ** 70n],
      ['bob', -(10n ** 30n)],
    ]),
    at: new Date('2024-02-29T12:34:56.789Z'),
    bytes: new Uint8Array([0, 1, 254, 255]),
    floats: new Float64Array([Math.PI, -0, Number.NaN]),
    nested: { deep: [[new Set(['x', 'y'])], { n: Number.NEGATIVE_INFINITY, u: undefined, z: -0 }] },
    pattern: /a+b/gi,
    url: new URL('https://example.com/a?b=1'),
    failure: new RangeError('out of range'),
    __type__: 'a plain key that looks like a tag',
  })
  const computeRich = counted(async (seed: bigint) => ({ seed, ...rich() }))
  const fromWriter = await writer.wrap('rich', computeRich)(7n)
  const fromReader = await reader.wrap('rich', computeRich)(7n)
  t.equal(computeRich.calls.length, 1, 'the reader was served from the file')
  t.not(fromReader, fromWriter, 'decoded anew')
  t.same(fromReader, fromWriter, 'equal, deeply')
  t.type(fromReader.balances, Map)
  t.equal(fromReader.balances.get('alice'), 2n ** 70n)
  t.type(fromReader.at, Date)
  t.equal(fromReader.at.toISOString(), '2024-02-29T12:34:56.789Z')
  t.type(fromReader.bytes, Uint8Array)
  t.type(fromReader.floats, Float64Array)
  t.ok(Object.is(fromReader.floats[1], -0) && Number.isNaN(fromReader.floats[2]))
  t.type((fromReader.nested.deep[0] as Set<string>[])[0], Set)
  t.ok(Object.is((fromReader.nested.deep[1] as { z: number }).z, -0))
  t.ok('u' in (fromReader.nested.deep[1] as object), 'undefined properties survive')
  t.type(fromReader.pattern, RegExp)
  t.equal(fromReader.pattern.flags, 'gi')
  t.type(fromReader.url, URL)
  t.type(fromReader.failure, RangeError)
  t.equal(fromReader.__type__, 'a plain key that looks like a tag')
  await writer.close()
  await reader.close()
})

t.test('a 50 MB value is stored and read back', async (t) => {
  const path = join(t.testdir(), 'big.db')
  const store = new SqliteStore({ path })
  const other = new SqliteStore({ path })
  t.teardown(async () => {
    await store.close()
    await other.close()
  })
  const cache = createCache({ store, namespace: 'big' })
  const big = counted(async (mb: number) => ({ text: 'x'.repeat(mb * 1024 * 1024), mb }))
  const value = await cache.wrap('big', big)(50)
  t.equal(value.text.length, 50 * 1024 * 1024)
  const stats = await cache.stats()
  t.ok(stats.bytes > 50 * 1024 * 1024, 'stored')
  const again = await createCache({ store: other, namespace: 'big' }).wrap('big', big)(50)
  t.equal(again.text.length, 50 * 1024 * 1024, 'read back by another connection')
  t.equal(big.calls.length, 1)
})

t.test("a value over the store's limit: returned, not stored, a clear warning", async (t) => {
  const store = new SqliteStore({ path: join(t.testdir(), 'small.db'), maxValueBytes: 1024 * 1024 })
  t.teardown(() => store.close())
  const cache = createCache({ store, namespace: 'small' })
  const warnings: CacheEvents['warning'][] = []
  cache.on('warning', (w) => warnings.push(w))
  const big = counted(async () => 'y'.repeat(2 * 1024 * 1024))
  const value = await cache.wrap('tooBig', big)()
  t.equal(value.length, 2 * 1024 * 1024, 'the caller still gets its value')
  t.match(warnings, [{ reason: 'too-large', error: { code: 'CM_ERR_VALUE_TOO_LARGE' } }])
  t.match(warnings[0]?.message, /exceeds this store's limit of 1048576 bytes/)
  t.equal((await cache.stats()).entries, 0)
  const runs = await store.computations.list({ namespace: 'small' })
  t.match(runs.data, [{ status: 'finished', result: null }], 'the run finished without a result reference')
  await cache.close()
})
