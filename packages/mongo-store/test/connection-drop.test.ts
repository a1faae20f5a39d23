/**
 * Every connection to MongoDB dropped (a failover, a network blip), then 16 concurrent claims of
 * one hash through the same store: the driver reconnects and exactly one claim wins; the others
 * lose to the winner's run or fail clearly (CM_ERR_STORE_UNAVAILABLE), never a second winner.
 * Runs against MONGODB_URL through a TCP proxy.
 */
import { type ClaimInput, type ClaimResult, isCompManagerError } from '@comp-manager/core'
import t from 'tap'
import { createMongoStore } from '../src/index.js'
import { peerUrl, randomDb, withPeer } from './fixtures/peer.js'
import { startProxy } from './fixtures/tcp-proxy.js'

const claimInput = (owner: string): ClaimInput => ({
  namespace: 'ns',
  function: 'fib',
  functionFull: 'math/fib',
  args: { n: 1 },
  hash: 'h',
  hashAlgorithm: 'sha256',
  owner,
  pid: 1,
  host: owner,
  leaseMs: 60_000,
})

await withPeer(t, async (client) => {
  t.test('16 claimers right after every connection was dropped: exactly one winner', async (t) => {
    const proxy = await startProxy(peerUrl!)
    t.teardown(() => proxy.close())
    const store = await createMongoStore({ url: proxy.url, dbName: randomDb(t, client) })
    t.teardown(() => store.close())
    await store.cache.get('ns', 'warm-up') // the pool is open

    proxy.drop()
    const outcomes = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        store.computations.claim(claimInput(`c${i}`)).then(
          (result: ClaimResult) => ({ result }),
          (error: unknown) => ({ error }),
        ),
      ),
    )
    const winners = outcomes.flatMap((o) => ('result' in o && o.result.won ? [o.result.record] : []))
    const errors = outcomes.flatMap((o) => ('error' in o ? [o.error] : []))
    t.comment(`after the drop: ${winners.length} winner, ${errors.length} error(s) of 16`)
    for (const err of errors) t.ok(isCompManagerError(err, 'CM_ERR_STORE_UNAVAILABLE'), String(err))
    const docs = await client
      .db(store.db.databaseName)
      .collection(store.names.computations)
      .find({})
      .toArray()
    t.equal(docs.length, 1, 'one run in the database')
    t.ok(winners.length <= 1, 'never two winners')
    if (winners.length === 1) {
      t.equal(winners[0]!.id, docs[0]!._id)
      for (const o of outcomes)
        if ('result' in o && !o.result.won)
          t.equal(o.result.record.id, winners[0]!.id, 'losers get the winner')
    }
    const again = await store.computations.claim(claimInput('late'))
    t.equal(again.won, false, 'a later claim loses to the live run')
    t.equal(again.record.id, docs[0]!._id)
  })
})
