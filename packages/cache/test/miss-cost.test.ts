import { join } from 'node:path'
import type { Store } from '@comp-manager/core'
import { SqliteStore } from '@comp-manager/sqlite-store'
import t from 'tap'
import { createCache } from '../src/index.js'

/**
 * Issue 12: a cold miss on the SQLite store is one read, the claim of the fill run and one
 * `cache.setAndFinish` (the entry written and the run finished in one write transaction). The store's
 * port methods are counted through a wrapper that forwards every call to the real store.
 */

function countingStore(store: SqliteStore): { store: Store; calls: string[] } {
  const calls: string[] = []
  const wrap = <T extends object>(port: T, name: string): T =>
    new Proxy(port, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver)
        if (typeof value !== 'function') return value
        return (...args: unknown[]) => {
          calls.push(`${name}.${String(prop)}`)
          return (value as (...a: unknown[]) => unknown).apply(target, args)
        }
      },
    })
  const counted: Store = {
    kind: store.kind,
    capabilities: store.capabilities,
    computations: wrap(store.computations, 'computations'),
    cache: wrap(store.cache, 'cache'),
    queue: store.queue,
    events: store.events,
    ping: () => store.ping(),
    close: async () => {},
  }
  return { store: counted, calls }
}

t.test('a cold miss: one read, one claim, one setAndFinish', async (t) => {
  const sqlite = new SqliteStore({ path: join(t.testdir(), 'miss.db') })
  t.teardown(() => sqlite.close())
  const { store, calls } = countingStore(sqlite)
  const cache = createCache({ store, namespace: 'cost' })
  t.teardown(() => cache.close())
  const double = cache.wrap('double', async (x: number) => ({ twice: x * 2 }))

  t.same(await double(21), { twice: 42 })
  t.same(calls, ['cache.get', 'computations.claim', 'cache.setAndFinish'], 'the store calls of a cold miss')

  const key = cache.explain('double', [21]).key
  const entry = await sqlite.cache.get('cost', key, { touch: false })
  t.ok(entry, 'the entry is stored')
  const run = await sqlite.computations.getByHash('cost', `cache:${key}`)
  t.equal(run?.status, 'finished', 'the fill run is finished')
  t.same(run?.result, { cacheKey: key, size: entry?.size }, 'its result points to the entry')
  const events = await sqlite.events.read({ namespace: 'cost' })
  t.same(
    events.map((e) => e.status),
    ['started', 'finished'],
    'the run is journaled: started by the claim, finished by setAndFinish',
  )

  calls.length = 0
  t.same(await double(21), { twice: 42 })
  t.same(calls, ['cache.get'], 'a hit is one read')
})

t.test('setAndFinish writes nothing when the run is no longer started', async (t) => {
  const sqlite = new SqliteStore({ path: join(t.testdir(), 'ended.db') })
  t.teardown(() => sqlite.close())
  const claim = await sqlite.computations.claim({
    namespace: 'n',
    function: 'f',
    functionFull: 'f',
    args: [],
    hash: 'cache:k',
    hashAlgorithm: 'sha256',
    owner: null,
    pid: null,
    host: null,
    leaseMs: 60_000,
  })
  t.ok(claim.won)
  const id = claim.record.id
  const entry = {
    namespace: 'n',
    key: 'k',
    function: 'f',
    functionFull: 'f',
    algorithm: 'sha256',
    value: '1',
  }
  await sqlite.computations.update('n', id, 'started', { status: 'lost' })
  t.equal(await sqlite.cache.setAndFinish?.(entry, id), null, 'a lost run is not finished')
  t.equal(await sqlite.cache.get('n', 'k'), null, 'and its entry is not written')
  t.equal((await sqlite.computations.get('n', id))?.status, 'lost')
  await t.rejects(
    sqlite.cache.setAndFinish!({ ...entry, namespace: '$bad' }, id),
    { code: 'CM_ERR_INVALID_ARGUMENT' },
    'the guard validates the entry',
  )
  await t.rejects(sqlite.cache.setAndFinish!(entry, ''), { code: 'CM_ERR_INVALID_ARGUMENT' })
})
