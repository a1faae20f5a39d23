import type { Test } from 'tap'
import { cacheInput, claimInput, computationInput, NS_A, NS_B, NS_C, recordIn } from '../fixtures.js'
import { expectCode, type Harness } from '../harness.js'

/** Nothing of namespace A is visible, updatable or deletable from namespace B. */
export function namespaces(t: Test, h: Harness): void {
  t.test('a computation of A is invisible and untouchable from B', (t) => computationIsolated(t, h))
  t.test('the same hash lives independently in two namespaces', (t) => sameHash(t, h))
  t.test('list across several namespaces', (t) => listAcrossNamespaces(t, h))
  t.test('a cache entry of A is invisible and untouchable from B', (t) => cacheEntryIsolated(t, h))
  t.test('the same cache key holds different values in two namespaces', (t) => sameCacheKey(t, h))
}

async function computationIsolated(t: Test, h: Harness): Promise<void> {
  const { store, clock } = await h.open(t)
  const record = await recordIn(store, 'started', { namespace: NS_A, leaseUntil: clock() + 1000 })
  t.equal(await store.computations.get(NS_B, record.id), null, 'get → null')
  t.equal(await store.computations.getByHash(NS_B, record.hash), null, 'getByHash → null')
  t.equal((await store.computations.list({ namespace: NS_B })).total, 0, 'list of B is empty')
  t.equal(
    (await store.computations.list({ namespace: NS_B, hash: record.hash })).total,
    0,
    'not by hash either',
  )
  await expectCode(
    t,
    () => store.computations.update(NS_B, record.id, 'started', { status: 'finished' }),
    'CM_ERR_NOT_FOUND',
    'update from B',
  )
  await expectCode(
    t,
    () => store.computations.heartbeat(NS_B, record.id, { leaseUntil: clock() + 5000 }),
    'CM_ERR_NOT_FOUND',
    'heartbeat from B',
  )
  clock.advance(2000)
  await expectCode(t, () => store.computations.expire(NS_B, record.id), 'CM_ERR_NOT_FOUND', 'expire from B')
  t.equal(await store.computations.delete(NS_B, record.id), false, 'delete from B → false')
  t.same(await store.computations.get(NS_A, record.id), record, 'the record in A is unchanged')
}

async function sameHash(t: Test, h: Harness): Promise<void> {
  const { store } = await h.open(t)
  const a = await store.computations.create(computationInput({ namespace: NS_A }))
  const b = await store.computations.create(computationInput({ namespace: NS_B, hash: a.hash }))
  t.not(a.id, b.id, 'two records')
  t.equal(b.attempt, 1, 'attempt 1 in B')
  const claim = await store.computations.claim(claimInput({ namespace: NS_C, hash: a.hash }))
  t.equal(claim.won, true, 'a claim in C is not blocked by A or B')
  t.equal(claim.record.namespace, NS_C)
  const inA = await store.computations.claim(claimInput({ namespace: NS_A, hash: a.hash }))
  t.equal(inA.won && inA.record.id, a.id, "a claim in A takes over A's queued record, not B's")
  t.equal((await store.computations.get(NS_B, b.id))?.status, 'queued', "B's record is still queued")
}

async function listAcrossNamespaces(t: Test, h: Harness): Promise<void> {
  const { store } = await h.open(t)
  const a = await store.computations.create(computationInput({ namespace: NS_A }))
  const b = await store.computations.create(computationInput({ namespace: NS_B }))
  await store.computations.create(computationInput({ namespace: NS_C }))
  const ids = async (namespace: string | string[]) =>
    (await store.computations.list({ namespace })).data.map((r) => r.id).sort()
  t.same(await ids([NS_A, NS_B]), [a.id, b.id].sort(), 'A and B, not C')
  t.same(await ids([NS_A]), [a.id], 'a list of one')
  t.same(await ids([NS_A, NS_A]), [a.id], 'a namespace listed twice counts once')
  t.same(await ids(['tenant-empty']), [], 'an empty namespace')
}

async function cacheEntryIsolated(t: Test, h: Harness): Promise<void> {
  const { store } = await h.open(t)
  const input = cacheInput({ namespace: NS_A, tags: ['shared'] })
  await store.cache.set(input)
  t.equal(await store.cache.get(NS_B, input.key), null, 'get → null')
  t.equal(await store.cache.delete(NS_B, input.key), false, 'delete → false')
  t.equal(await store.cache.invalidate(NS_B, { all: true }), 0, 'invalidate all of B → 0')
  t.equal(await store.cache.invalidate(NS_B, { tag: 'shared' }), 0, 'invalidate by tag in B → 0')
  t.same(await store.cache.stats(NS_B), { entries: 0, bytes: 0 }, 'stats of B')
  t.equal((await store.cache.list({ namespace: NS_B })).total, 0, 'list of B')
  t.equal((await store.cache.get(NS_A, input.key, { touch: false }))?.value, input.value, 'still in A')
}

async function sameCacheKey(t: Test, h: Harness): Promise<void> {
  const { store } = await h.open(t)
  const input = cacheInput()
  await store.cache.set({ ...input, namespace: NS_A, value: '"from A"' })
  await store.cache.set({ ...input, namespace: NS_B, value: '"from B"' })
  t.equal((await store.cache.get(NS_A, input.key))?.value, '"from A"')
  t.equal((await store.cache.get(NS_B, input.key))?.value, '"from B"')
  const both = await store.cache.list({ namespace: [NS_A, NS_B] })
  t.equal(both.total, 2, 'listed once per namespace')
  t.same(both.data.map((e) => e.namespace).sort(), [NS_A, NS_B])
  t.equal(await store.cache.delete(NS_A, input.key), true)
  t.equal((await store.cache.get(NS_B, input.key))?.value, '"from B"', 'deleting in A leaves B')
}
