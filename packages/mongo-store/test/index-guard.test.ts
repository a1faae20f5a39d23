/**
 * Single flight rests on the unique `{namespace, hash, attempt}` index. These tests take it away
 * under a running store (the database dropped, or `ensureIndexes: false` without it) and check
 * that concurrent claims still give at most one winner, the others a clear refusal. Runs against
 * MONGODB_URL: the peer enforces unique indexes like MongoDB.
 */
import { type ClaimInput, type ClaimResult, isCompManagerError } from '@comp-manager/core'
import t from 'tap'
import { peerStore, withPeer } from './fixtures/peer.js'

const claimInput = (hash: string, owner: string): ClaimInput => ({
  namespace: 'ns',
  function: 'fib',
  functionFull: 'math/fib',
  args: { n: 1 },
  hash,
  hashAlgorithm: 'sha256',
  owner,
  pid: 1,
  host: 'here',
  leaseMs: 60_000,
})

const DROP_ROUNDS = 5

type Outcome = { result: ClaimResult } | { error: unknown }

async function race(claim: (owner: string) => Promise<ClaimResult>, n: number): Promise<Outcome[]> {
  return Promise.all(
    Array.from({ length: n }, (_, i) =>
      claim(`claimer-${i}`).then(
        (result) => ({ result }),
        (error: unknown) => ({ error }),
      ),
    ),
  )
}

await withPeer(t, async (client) => {
  // Repeated: which claimer sees what depends on the interleaving (5 rounds: 80 claims).
  for (let round = 1; round <= DROP_ROUNDS; round++)
    t.test(
      `16 claims after the database was dropped under a running store: one winner or a refusal (round ${round})`,
      async (t) => {
        const store = await peerStore(t, client)
        t.equal((await store.computations.claim(claimInput('before', 'x'))).won, true)
        await store.db.dropDatabase()

        const outcomes = await race((owner) => store.computations.claim(claimInput('h', owner)), 16)
        const winners = outcomes.flatMap((o) => ('result' in o && o.result.won ? [o.result.record] : []))
        const refusals = outcomes.flatMap((o) => ('error' in o ? [o.error] : []))
        t.comment(`after the drop: ${winners.length} winner(s), ${refusals.length} refusal(s) of 16`)
        t.ok(winners.length <= 1, `at most one winner (got ${winners.length})`)
        t.ok(winners.length === 1 || refusals.length > 0, 'no winner only when claims were refused')
        for (const err of refusals) {
          t.ok(isCompManagerError(err, 'CM_ERR_STORE_UNAVAILABLE'), 'a refusal is CM_ERR_STORE_UNAVAILABLE')
          t.match((err as Error).message, /required unique index .* missing/)
        }
        const docs = await store.db.collection(store.names.computations).find({ hash: 'h' }).toArray()
        t.ok(docs.length <= 1, `at most one attempt-1 document remains (found ${docs.length})`)
        const parked = await store.db
          .collection(store.names.computations)
          .find({ hash: { $regex: '^h~refused~' } })
          .toArray()
        t.ok(
          parked.every((d) => d.status === 'failed'),
          `the refused inserts are parked, failed (${parked.length})`,
        )
        const losers = outcomes.flatMap((o) => ('result' in o && !o.result.won ? [o.result.record] : []))
        t.comment(`and ${losers.length} loser(s)`)
        for (const lost of losers) {
          if (winners[0] !== undefined) t.equal(lost.id, winners[0].id, 'a loser returns the winner’s run')
          // Never a run that vanished: a refused insert is parked as a failed run with the refusal.
          const now = await store.computations.get('ns', lost.id)
          t.ok(now, 'a loser returns a run that exists')
          if (winners[0] === undefined) {
            t.equal(now?.status, 'failed', 'the run it lost to was refused')
            t.equal(now?.error?.code, 'CM_ERR_STORE_UNAVAILABLE', 'with the refusal as its error')
          }
        }

        // The store created the indexes again (ensureIndexes): the next race has exactly one winner.
        const next = await race((owner) => store.computations.claim(claimInput('h2', owner)), 16)
        t.equal(next.filter((o) => 'result' in o && o.result.won).length, 1, 'the next 16 claims: one winner')
        t.equal(next.filter((o) => 'error' in o).length, 0, 'and no refusal')
      },
    )

  t.test(
    'ensureIndexes: false without the unique index: health red, claims refused, nothing written',
    async (t) => {
      const store = await peerStore(t, client, { ensureIndexes: false })
      const health = await store.ping()
      t.equal(health.ok, false, 'the health check is red')
      t.match(health.error, /required unique index .*cm_namespace_hash_attempt/)
      await t.rejects(store.computations.claim(claimInput('h', 'a')), {
        code: 'CM_ERR_STORE_UNAVAILABLE',
        details: {
          missingIndexes: [
            `${store.names.computations}.cm_namespace_hash_attempt`,
            `${store.names.cacheEntries}.cm_namespace_key`,
          ],
        },
      })
      t.equal(await store.db.collection(store.names.computations).countDocuments({}), 0, 'nothing written')

      // Once the indexes exist (a migration tool ran), claims go through without a restart.
      await store.db
        .collection(store.names.computations)
        .createIndex({ namespace: 1, hash: 1, attempt: 1 }, { unique: true, name: 'by_tool' })
      await store.db
        .collection(store.names.cacheEntries)
        .createIndex({ namespace: 1, key: 1 }, { unique: true })
      t.equal((await store.computations.claim(claimInput('h', 'a'))).won, true, 'claims resume')
      t.equal((await store.ping()).ok, true, 'health green again')
    },
  )
})
