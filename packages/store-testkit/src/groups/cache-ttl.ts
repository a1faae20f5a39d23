import type { Test } from 'tap'
import { cacheInput, NS_A, NS_B } from '../fixtures.js'
import type { Harness } from '../harness.js'

/** Entries with a TTL vanish at `expiresAt` from every method; `purgeExpired` removes and counts them. */
export function cacheTtl(t: Test, h: Harness): void {
  t.test('an entry is visible until expiresAt, then invisible everywhere', (t) => visibleUntilExpiresAt(t, h))
  t.test('an entry without a TTL never expires', (t) => noTtlNeverExpires(t, h))
  t.test('set over an expired entry makes it live again', (t) => setOverExpired(t, h))
  t.test('purgeExpired removes expired entries of every namespace and counts them', (t) => purgeExpired(t, h))
}

async function visibleUntilExpiresAt(t: Test, h: Harness): Promise<void> {
  const { store, clock } = await h.open(t)
  const input = cacheInput({ ttlMs: 1000, tags: ['ttl'], value: '"short-lived"' })
  const meta = await store.cache.set(input)
  t.equal(meta.expiresAt, meta.createdAt + 1000, 'expiresAt = createdAt + ttlMs')
  clock.advance(999)
  t.ok(await store.cache.get(NS_A, input.key, { touch: false }), 'visible 1 ms before')
  clock.advance(1)
  t.equal(await store.cache.get(NS_A, input.key), null, 'get → null at expiresAt')
  t.equal((await store.cache.list({ namespace: NS_A })).total, 0, 'not listed')
  t.same(await store.cache.stats(NS_A), { entries: 0, bytes: 0 }, 'not in stats')
  t.equal(await store.cache.invalidate(NS_A, { tag: 'ttl' }), 0, 'not counted by invalidate')
  t.equal(await store.cache.delete(NS_A, input.key), false, 'delete → false: it is already gone')
}

async function noTtlNeverExpires(t: Test, h: Harness): Promise<void> {
  const { store, clock } = await h.open(t)
  const input = cacheInput({ ttlMs: null })
  const meta = await store.cache.set(input)
  t.equal(meta.expiresAt, null)
  clock.advance(10 * 365 * 24 * 3600 * 1000)
  t.ok(await store.cache.get(NS_A, input.key), 'still there ten years later')
  t.equal(await store.cache.purgeExpired(), 0, 'nothing to purge')
}

async function setOverExpired(t: Test, h: Harness): Promise<void> {
  const { store, clock } = await h.open(t)
  const input = cacheInput({ ttlMs: 10 })
  await store.cache.set(input)
  clock.advance(10)
  await store.cache.set({ ...input, value: '"fresh"', ttlMs: 1000 })
  t.equal((await store.cache.get(NS_A, input.key))?.value, '"fresh"')
  t.same(await store.cache.stats(NS_A), { entries: 1, bytes: 7 })
}

async function purgeExpired(t: Test, h: Harness): Promise<void> {
  const { store, clock } = await h.open(t)
  const keep = [
    await store.cache.set(cacheInput({ ttlMs: 5000 })),
    await store.cache.set(cacheInput({ namespace: NS_B })),
  ]
  await store.cache.set(cacheInput({ ttlMs: 100 }))
  await store.cache.set(cacheInput({ ttlMs: 200 }))
  await store.cache.set(cacheInput({ namespace: NS_B, ttlMs: 300 }))
  clock.advance(300)
  const before = [await store.cache.stats(NS_A), await store.cache.stats(NS_B)]
  t.equal(await store.cache.purgeExpired(), 3, 'three expired entries purged')
  t.equal(await store.cache.purgeExpired(), 0, 'a second purge finds nothing')
  t.same([await store.cache.stats(NS_A), await store.cache.stats(NS_B)], before, 'live entries unaffected')
  for (const meta of keep) t.ok(await store.cache.get(meta.namespace, meta.key), `${meta.key} kept`)
}
