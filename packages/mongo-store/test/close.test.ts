/**
 * Close only what you opened. The clients here are never connected: `mongodb://127.0.0.1:1` has
 * nothing listening, and no test performs an operation that would make the driver connect.
 */
import { MongoClient } from 'mongodb'
import t from 'tap'
import { MongoStore } from '../src/index.js'
import { FakeDb } from './fixtures/fake-mongo.js'

/** Counts calls to `client.close()` (and still closes it, which is a no-op for a client never connected). */
function spyOnClose(client: MongoClient): { calls: number } {
  const spy = { calls: 0 }
  const close = client.close.bind(client)
  client.close = async (force?: boolean) => {
    spy.calls++
    return close(force)
  }
  return spy
}

t.test('a client the host passed in is left open', async (t) => {
  const client = new MongoClient('mongodb://127.0.0.1:1', { serverSelectionTimeoutMS: 1 })
  const spy = spyOnClose(client)
  const store = new MongoStore({ client, dbName: 'cm' })
  t.equal(store.ownsClient, false)
  await store.close()
  await store.close()
  t.equal(spy.calls, 0, 'close() never closes a client it was given')
})

t.test('a client the store opened from a url is closed by close(), once', async (t) => {
  const store = new MongoStore({
    url: 'mongodb://127.0.0.1:1/cm',
    clientOptions: { serverSelectionTimeoutMS: 1 },
  })
  t.equal(store.ownsClient, true)
  t.ok(store.client instanceof MongoClient)
  const spy = spyOnClose(store.client!)
  await Promise.all([store.close(), store.close()])
  await store.close()
  t.equal(spy.calls, 1, 'closed exactly once, however often close() is called')
})

t.test('a db the host passed in is never touched by close()', async (t) => {
  const fake = new FakeDb()
  const store = new MongoStore({ db: fake.asDb() })
  t.equal(store.client, undefined)
  await store.close()
  t.same(fake.commands, [])
  t.same(
    [...fake.collections.keys()].sort(),
    [
      'cache_entries',
      'cache_values.chunks',
      'cache_values.files',
      'computations',
      'computations_counters',
      'computations_documents',
      'computations_events',
      'computations_schedules',
      'computations_slots',
      'computations_workers',
    ],
    'only collection handles were taken',
  )
  for (const collection of fake.collections.values())
    t.same(collection.calls, [], `${collection.collectionName}: no call`)
})

t.test('after close every operation rejects with CM_ERR_STORE_UNAVAILABLE and nothing is sent', async (t) => {
  const fake = new FakeDb()
  const store = new MongoStore({ db: fake.asDb() })
  await store.close()
  const operations: [string, () => Promise<unknown>][] = [
    ['computations.get', () => store.computations.get('ns', 'id')],
    ['computations.getByHash', () => store.computations.getByHash('ns', 'h')],
    ['computations.list', () => store.computations.list({ namespace: 'ns' })],
    ['computations.findExpired', () => store.computations.findExpired()],
    ['computations.delete', () => store.computations.delete('ns', 'id')],
    ['computations.expire', () => store.computations.expire('ns', 'id')],
    ['cache.get', () => store.cache.get('ns', 'k')],
    ['cache.stats', () => store.cache.stats('ns')],
    ['cache.purgeExpired', () => store.cache.purgeExpired()],
    // bad input too: a closed store says so first
    ['computations.get (bad input)', () => store.computations.get({ $gt: '' } as never, 'id')],
    ['init', () => store.init()],
  ]
  for (const [name, operation] of operations) {
    await t.rejects(operation(), { code: 'CM_ERR_STORE_UNAVAILABLE' }, name)
  }
  for (const collection of fake.collections.values())
    t.same(collection.calls, [], `${collection.collectionName}: no call`)
  t.same(await store.ping(), { ok: false, latencyMs: 0, error: 'mongo-store is closed' })
})

t.test('ping runs { ping: 1 } with its latency and never throws', async (t) => {
  const fake = new FakeDb()
  const store = new MongoStore({ db: fake.asDb(), pingTimeoutMs: 50 })

  const ok = await store.ping()
  t.equal(ok.ok, true)
  t.type(ok.latencyMs, 'number')
  t.ok(ok.latencyMs >= 0)
  t.same(fake.commands, [{ ping: 1 }])

  fake.commandImpl = async () => {
    throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { name: 'MongoServerSelectionError' })
  }
  const down = await store.ping()
  t.equal(down.ok, false)
  t.match(down.error, /ECONNREFUSED/)

  fake.commandImpl = () => new Promise(() => {}) // never answers
  const hung = await store.ping()
  t.equal(hung.ok, false)
  t.match(hung.error, /no answer within 50 ms/)
  t.ok(hung.latencyMs >= 40, 'waited for the timeout')
})

t.test('init creates the indexes once, lazily before the first operation', async (t) => {
  const fake = new FakeDb()
  const store = new MongoStore({ db: fake.asDb() })
  const computations = fake.collection('computations')
  t.same(computations.calls, [], 'the constructor does no I/O')
  await store.computations.get('ns', 'missing')
  await store.computations.get('ns', 'missing')
  await store.init()
  t.same(computations.calls, ['createIndexes', 'findOne', 'findOne'])
  t.same(fake.collection('cache_entries').calls, ['createIndexes'])
})

t.test('a failed init is retried by the next operation', async (t) => {
  let failures = 1
  const fake = new FakeDb('fake', {
    before: (_collection, operation) => {
      if (operation === 'createIndexes' && failures-- > 0) {
        throw Object.assign(new Error('connection reset'), { name: 'MongoNetworkError' })
      }
    },
  })
  const store = new MongoStore({ db: fake.asDb() })
  await t.rejects(store.computations.get('ns', 'x'), { code: 'CM_ERR_STORE_UNAVAILABLE' })
  t.equal(await store.computations.get('ns', 'x'), null, 'the second call initializes and works')
})

t.test('ensureIndexes: false creates none; ttlIndex: false leaves the TTL index out', async (t) => {
  const none = new FakeDb()
  await new MongoStore({ db: none.asDb(), ensureIndexes: false }).init()
  t.same(none.collection('computations').calls, [])

  const noTtl = new FakeDb()
  await new MongoStore({ db: noTtl.asDb(), ttlIndex: false }).init()
  const names = noTtl.collection('cache_entries').indexes.map((i) => i.name)
  t.notOk(names.includes('cm_ttl_expiresAt'))
  t.ok(names.includes('cm_namespace_key'))
})
