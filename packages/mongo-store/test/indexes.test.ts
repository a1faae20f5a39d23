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

t.test('computations: an index for every listing filter, the default sort and lost-run sweeps', async (t) => {
  t.same(keys(computationIndexes).sort(), [
    'namespace:1,createdAt:1,_id:1',
    'namespace:1,function:1',
    'namespace:1,functionFull:1',
    'namespace:1,hash:1,attempt:1',
    'namespace:1,status:1,updatedAt:1',
    'status:1,function:1,leaseUntil:1',
    'status:1,leaseUntil:1',
    'status:1,priority:-1,dueAt:1,createdAt:1,_id:1',
  ])
})

t.test('cache: unique {namespace, key}, tags, version, function, listing order', async (t) => {
  t.same(keys(cacheEntryIndexes.filter((s) => s.unique)), ['namespace:1,key:1'])
  t.same(keys(cacheEntryIndexes).sort(), [
    'namespace:1,createdAt:1,key:1',
    'namespace:1,function:1',
    'namespace:1,functionFull:1',
    'namespace:1,key:1',
    'namespace:1,tags:1',
    'namespace:1,version:1',
    'storage:1,expiresAt:1',
  ])
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
