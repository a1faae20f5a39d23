import t from 'tap'
import {
  cacheEntryIndexes,
  cacheIndexes,
  cacheTtlIndex,
  computationIndexes,
  type IndexSpec,
} from '../src/index.js'

const byName = (specs: readonly IndexSpec[], name: string) => specs.find((s) => s.name === name)

/** Key patterns as ordered `field:direction` lists (order matters in a compound index). */
const keys = (specs: readonly IndexSpec[]) =>
  specs.map((s) =>
    Object.entries(s.key)
      .map(([f, d]) => `${f}:${d}`)
      .join(','),
  )

t.test('computations: unique {namespace, hash, attempt} keeps every attempt of a hash', async (t) => {
  const unique = computationIndexes.filter((s) => s.unique)
  t.same(keys(unique), ['namespace:1,hash:1,attempt:1'], 'the only unique index besides _id')
})

/** An index whose key is exactly `namespace`, the equality fields, then the sort and tie-breakers. */
function covering(specs: readonly IndexSpec[], fields: readonly string[]): boolean {
  const wanted = ['namespace', ...fields].map((f) => `${f}:1`).join(',')
  return keys(specs).includes(wanted)
}

t.test(
  'computations: each listing filter followed by each sort and _id (flat pages, cursors, counts)',
  async (t) => {
    for (const filter of [[], ['status'], ['function'], ['functionFull']]) {
      for (const sort of ['createdAt', 'updatedAt']) {
        t.ok(
          covering(computationIndexes, [...filter, sort, '_id']),
          `${filter.join('+') || 'no filter'}, sort ${sort}`,
        )
      }
    }
    t.ok(keys(computationIndexes).includes('status:1,leaseUntil:1'), 'lost-run sweeps')
    t.ok(
      keys(computationIndexes).includes('status:1,priority:-1,dueAt:1,createdAt:1,_id:1'),
      'the queue claim order',
    )
  },
)

t.test('cache: unique {namespace, key}, tags, and each listing filter followed by its sort', async (t) => {
  t.same(keys(cacheEntryIndexes.filter((s) => s.unique)), ['namespace:1,key:1'])
  for (const filter of [[], ['function'], ['functionFull'], ['version']]) {
    t.ok(covering(cacheEntryIndexes, [...filter, 'createdAt', 'key']), `${filter.join('+') || 'no filter'}`)
  }
  for (const sort of ['hits', 'size']) t.ok(covering(cacheEntryIndexes, [sort, 'key']), `sort ${sort}`)
  t.ok(covering(cacheEntryIndexes, ['tags']), 'tags')
})

t.test('the TTL index: expiresAt, expireAfterSeconds 0, inline entries only', async (t) => {
  t.same(cacheTtlIndex.key, { expiresAt: 1 })
  t.equal(cacheTtlIndex.expireAfterSeconds, 0)
  t.same(
    cacheTtlIndex.partialFilterExpression,
    { storage: 'inline' },
    'GridFS-backed entries are purged with their files',
  )
  t.equal(byName(cacheIndexes({ ttlIndex: true }), 'cm_ttl_expiresAt'), cacheTtlIndex)
  t.equal(byName(cacheIndexes({ ttlIndex: false }), 'cm_ttl_expiresAt'), undefined)
  t.equal(cacheIndexes({ ttlIndex: false }).length, cacheEntryIndexes.length)
})

t.test('names are explicit, prefixed and unique per collection', async (t) => {
  for (const specs of [computationIndexes, cacheIndexes({ ttlIndex: true })]) {
    const names = specs.map((s) => s.name)
    t.equal(new Set(names).size, names.length, 'unique')
    t.ok(
      names.every((n) => n.startsWith('cm_')),
      'cm_ prefix',
    )
  }
})
