/**
 * Version-0 documents store timestamps as epoch-ms numbers. A real server never matches a number
 * against a Date (type bracketing), so every time query must match both: claims and expiry of an
 * expired v0 run, the sweeper, unexpired v0 cache entries, since/until listings, hit counts.
 * Runs against MONGODB_URL (the fake driver does not bracket types).
 */
import type { ClaimInput } from '@comp-manager/core'
import { ObjectId } from 'mongodb'
import t from 'tap'
import { peerStore, withPeer } from './fixtures/peer.js'

const claimInput = (hash: string): ClaimInput => ({
  namespace: 'ns',
  function: 'fib',
  functionFull: 'math/fib',
  args: { n: 1 },
  hash,
  hashAlgorithm: 'sha256',
  owner: 'me',
  pid: 1,
  host: 'here',
  leaseMs: 60_000,
})

const v0Run = (id: string, hash: string, at: number, leaseUntil: number | null, status = 'started') => ({
  _id: id,
  namespace: 'ns',
  function: 'fib',
  args: { n: 1 },
  hash,
  status,
  createdAt: at,
  updatedAt: at,
  startedAt: at,
  heartbeatAt: at,
  leaseUntil,
})

await withPeer(t, async (client) => {
  t.test('an expired v0 run is claimed over, expired and swept', async (t) => {
    const store = await peerStore(t, client)
    const now = Date.now()
    const col = store.db.collection(store.names.computations)
    await col.insertMany([
      v0Run('old-a', 'ha', now - 60_000, now - 30_000),
      v0Run('old-b', 'hb', now - 60_000, now - 30_000),
      v0Run('live-c', 'hc', now - 60_000, now + 600_000),
    ] as never[])

    const expired = await store.computations.findExpired({ limit: 10 })
    t.same(expired.map((r) => r.id).sort(), ['old-a', 'old-b'], 'the sweeper sees expired v0 runs only')

    const claim = await store.computations.claim(claimInput('ha'))
    t.equal(claim.won, true, 'the claim takes over the expired v0 run')
    t.equal(claim.record.attempt, 2)
    t.equal(claim.won ? claim.previous?.status : 'not won', 'lost')

    const lost = await store.computations.expire('ns', 'old-b')
    t.equal(lost?.status, 'lost', 'expire marks the expired v0 run lost')
    t.equal(await store.computations.expire('ns', 'live-c'), null, 'an unexpired v0 lease is kept')
    const live = await store.computations.claim(claimInput('hc'))
    t.equal(live.won, false, 'an unexpired v0 run keeps its hash')
    t.equal(live.record.id, 'live-c')
  })

  t.test('since/until listings include v0 runs', async (t) => {
    const store = await peerStore(t, client)
    const now = Date.now()
    const col = store.db.collection(store.names.computations)
    await col.insertOne(v0Run('old-f', 'hf', now - 5_000, null, 'finished') as never)
    await store.computations.claim(claimInput('hnew'))
    const page = await store.computations.list({ namespace: 'ns', since: now - 10_000, until: now + 60_000 })
    t.same(page.data.map((r) => r.id).includes('old-f'), true, 'the v0 run is in the range')
    t.equal(page.total, 2)
    const before = await store.computations.list({ namespace: 'ns', until: now - 1_000 })
    t.same(
      before.data.map((r) => r.id),
      ['old-f'],
      'until excludes the new run, keeps the v0 one',
    )
  })

  t.test('v0 cache entries: unexpired ones are hits (counted), expired ones purged', async (t) => {
    const store = await peerStore(t, client, { hitFlushMs: 1 })
    const now = Date.now()
    const col = store.db.collection(store.names.cacheEntries)
    const v0Entry = (key: string, expiresAt: number | null) => ({
      _id: new ObjectId(),
      namespace: 'ns',
      key,
      function: 'fib',
      value: '"v"',
      createdAt: now - 10_000,
      expiresAt,
    })
    await col.insertMany([v0Entry('fresh', now + 600_000), v0Entry('stale', now - 1_000)])
    const hit = await store.cache.get('ns', 'fresh')
    t.equal(hit?.value, '"v"', 'an unexpired v0 entry is returned')
    t.equal(await store.cache.get('ns', 'stale'), null, 'an expired v0 entry is absent')
    await store.close()
    const fresh = await col.findOne({ key: 'fresh' })
    t.equal(fresh?.hits, 1, 'the hit on a v0 entry (number createdAt) is counted')
    const reopened = await peerStore(t, client, { dbName: store.db.databaseName } as never)
    t.equal(await reopened.cache.purgeExpired(), 1, 'purgeExpired removes the expired v0 entry')
    t.equal(await col.countDocuments({ key: 'stale' }), 0)
  })
})
