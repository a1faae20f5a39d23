/**
 * No caller value ever reaches MongoDB as a query operator: strings are validated before any
 * I/O, and the query builders wrap every caller value in `$eq` and refuse non-scalars.
 */
import { normalizeCacheQuery, normalizeComputationQuery } from '@comp-manager/core/store-kit'
import t from 'tap'
import { byId, cacheListFilter, computationListFilter, eq, invalidateFilter } from '../src/filters.js'
import { MongoStore } from '../src/index.js'
import { FakeDb } from './fixtures/fake-mongo.js'

const operator = { $gt: '' }
const ne = { $ne: null }

t.test('operator objects in caller positions are rejected before any I/O', async (t) => {
  const fake = new FakeDb()
  const store = new MongoStore({ db: fake.asDb() })
  const c = store.computations
  const cache = store.cache
  const call = (fn: () => Promise<unknown>) => fn
  const cases: [string, () => Promise<unknown>][] = [
    ['get namespace', call(() => c.get(operator as never, 'id'))],
    ['get id', call(() => c.get('ns', ne as never))],
    ['getByHash hash', call(() => c.getByHash('ns', operator as never))],
    ['delete id', call(() => c.delete('ns', { $exists: true } as never))],
    ['update expectedStatus', call(() => c.update('ns', 'id', { $ne: 'finished' } as never, {}))],
    [
      'update patch operator field',
      call(() => c.update('ns', 'id', 'started', { $set: { status: 'finished' } } as never)),
    ],
    ['heartbeat id', call(() => c.heartbeat('ns', ne as never, { leaseUntil: 1 }))],
    ['expire namespace', call(() => c.expire(['a'] as never, 'id'))],
    ['list namespace', call(() => c.list({ namespace: operator as never }))],
    ['list namespace list', call(() => c.list({ namespace: ['ok', operator] as never }))],
    ['list function', call(() => c.list({ namespace: 'ns', function: ne as never }))],
    ['list hash', call(() => c.list({ namespace: 'ns', hash: operator as never }))],
    ['list status', call(() => c.list({ namespace: 'ns', status: { $in: ['started'] } as never }))],
    ['list since', call(() => c.list({ namespace: 'ns', since: operator as never }))],
    [
      'create namespace',
      call(() =>
        c.create({
          namespace: operator,
          function: 'f',
          functionFull: 'f',
          args: null,
          hash: 'h',
          hashAlgorithm: 'sha256',
        } as never),
      ),
    ],
    [
      'claim hash',
      call(() =>
        c.claim({
          namespace: 'ns',
          function: 'f',
          functionFull: 'f',
          args: null,
          hash: ne,
          hashAlgorithm: 'sha256',
          owner: null,
          pid: null,
          host: null,
          leaseMs: 1,
        } as never),
      ),
    ],
    ['cache.get key', call(() => cache.get('ns', operator as never))],
    ['cache.delete namespace', call(() => cache.delete(ne as never, 'k'))],
    ['cache.invalidate tag', call(() => cache.invalidate('ns', { tag: operator as never }))],
    ['cache.invalidate function', call(() => cache.invalidate('ns', { function: ne as never }))],
    ['cache.list version', call(() => cache.list({ namespace: 'ns', version: ne as never }))],
    ['cache.list tag', call(() => cache.list({ namespace: 'ns', tag: operator as never }))],
    ['cache.stats namespace', call(() => cache.stats(operator as never))],
    [
      'cache.set key',
      call(() =>
        cache.set({
          namespace: 'ns',
          key: ne,
          function: 'f',
          functionFull: 'f',
          algorithm: 'sha256',
          value: '1',
        } as never),
      ),
    ],
  ]
  for (const [name, run] of cases) {
    await t.rejects(run(), { code: 'CM_ERR_INVALID_ARGUMENT' }, name)
  }
  for (const collection of fake.collections.values()) {
    t.same(collection.calls, [], `${collection.collectionName}: nothing was sent`)
  }
})

t.test('eq() wraps scalars in $eq and refuses anything else', async (t) => {
  t.same(eq('a', 'f'), { $eq: 'a' })
  t.same(eq(null, 'f'), { $eq: null })
  t.same(eq(3, 'f'), { $eq: 3 })
  for (const bad of [operator, ['a'], undefined, Number.NaN, () => 1, new Date()]) {
    t.throws(() => eq(bad, 'namespace'), {
      code: 'CM_ERR_INVALID_ARGUMENT',
      message: /namespace must be a string/,
    })
  }
})

t.test('built filters put caller values only under $eq / $in / ranges the store writes', async (t) => {
  t.same(byId('ns', 'id-1'), { _id: { $eq: 'id-1' }, namespace: { $eq: 'ns' } })
  const q = normalizeComputationQuery({
    namespace: ['a', 'b'],
    status: ['started', 'paused'],
    function: 'fib',
    hash: 'h',
    since: 10,
    until: 20,
  })
  t.same(computationListFilter(q), {
    $and: [
      {
        namespace: { $in: ['a', 'b'] },
        status: { $in: ['started', 'paused'] },
        hash: { $eq: 'h' },
      },
      // Dates, or the epoch-ms numbers of version-0 documents
      {
        $or: [{ createdAt: { $gte: new Date(10), $lt: new Date(20) } }, { createdAt: { $gte: 10, $lt: 20 } }],
      },
      { $or: [{ function: { $eq: 'fib' } }, { functionFull: { $eq: 'fib' } }] },
    ],
  })
  const cq = normalizeCacheQuery({ namespace: 'a', tag: 't', version: null })
  t.same(cacheListFilter(cq, 1000), {
    $and: [
      { namespace: { $eq: 'a' }, tags: { $eq: 't' }, version: { $eq: null } },
      {
        $or: [
          { expiresAt: { $eq: null } },
          { expiresAt: { $gt: new Date(1000) } },
          { expiresAt: { $gt: 1000 } },
        ],
      },
    ],
  })
  t.same(invalidateFilter('a', { all: true }), { namespace: { $eq: 'a' } })
  t.same(invalidateFilter('a', { version: 'v1', tag: 'x' }), {
    namespace: { $eq: 'a' },
    tags: { $eq: 'x' },
    version: { $eq: 'v1' },
  })
})

t.test('a namespace that is a valid string but looks odd is just data', async (t) => {
  const fake = new FakeDb()
  const store = new MongoStore({ db: fake.asDb() })
  t.equal(await store.computations.get('a.b:c-d_e', 'id'), null)
  await t.rejects(
    store.computations.get('$where', 'id'),
    { code: 'CM_ERR_INVALID_ARGUMENT' },
    '$ is not a namespace character',
  )
})
