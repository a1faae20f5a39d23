import t from 'tap'
import type { CacheEvents } from '../src/index.js'
import { counted, deferred, setup, storeKinds, tick, until } from './fixtures/helpers.js'

/** Stale-while-revalidate: after `ttl`, the old value is served once while one caller refreshes it. */
for (const kind of storeKinds) {
  for (const l1 of [false, true]) {
    t.test(`${kind}${l1 ? ' + L1' : ''}: stale once, refreshed exactly once`, async (t) => {
      const { cache, clock, store } = setup(t, kind, { l1 })
      const stale: CacheEvents['stale'][] = []
      cache.on('stale', (e) => stale.push(e))
      let version = 0
      let gate = deferred()
      const load = counted(async (id: string) => {
        await gate.promise
        version++
        return `${id}@${version}`
      })
      const cachedLoad = cache.wrap('load', load, { ttl: '10s', staleWhileRevalidate: '1m' })
      gate.resolve()
      t.equal(await cachedLoad('a'), 'a@1')
      const { key } = cache.explain('load', ['a'])
      t.equal(
        (await store.cache.get('test', key, { touch: false }))?.expiresAt,
        clock.now + 70_000,
        'stored for ttl + swr',
      )

      clock.advance(10_000)
      gate = deferred()
      t.equal(await cachedLoad('a'), 'a@1', 'the stale value, at once')
      t.match(stale, [{ key, name: 'load', staleForMs: 0 }])
      const joiners = Promise.all([cachedLoad('a'), cachedLoad('a'), cachedLoad('a')])
      await tick(20)
      t.equal(load.calls.length, 2, 'one background refresh')
      gate.resolve()
      t.same(
        await joiners,
        ['a@2', 'a@2', 'a@2'],
        'callers during the refresh wait for it: stale is served once',
      )
      t.equal(await cachedLoad('a'), 'a@2', 'fresh again')
      t.equal(load.calls.length, 2, 'refreshed exactly once')
      t.match(await cache.stats(), { staleHits: 1, hits: 1, misses: 4, dedupes: 3 })

      clock.advance(70_000)
      gate = deferred()
      const waited = cachedLoad('a')
      await tick(20)
      gate.resolve()
      t.equal(await waited, 'a@3', 'past ttl + swr the caller waits for the new value')
      t.equal(stale.length, 1)
    })
  }

  t.test(`${kind}: a failed background refresh is an error event; the entry stays stale`, async (t) => {
    const { cache, clock } = setup(t, kind)
    const errors: CacheEvents['error'][] = []
    cache.on('error', (e) => errors.push(e))
    let fail = false
    const fn = counted(async () => {
      if (fail) throw new Error('upstream down')
      return 'ok'
    })
    const cachedFn = cache.wrap('fragile', fn, { ttl: 1000, staleWhileRevalidate: 1000 })
    await cachedFn()
    clock.advance(1500)
    fail = true
    t.equal(await cachedFn(), 'ok', 'stale value served')
    await until(() => errors.length > 0)
    t.match(errors[0], { during: 'refresh', name: 'fragile', error: { message: 'upstream down' } })
    fail = false
    t.equal(await cachedFn(), 'ok', 'still stale: served again, and refreshed')
    await until(() => fn.calls.length === 3)
    await cache.close()
  })
}
