/**
 * The conformance suite's claim-race group alone, against MONGODB_URL, `CLAIM_RACE_ROUNDS` times
 * in one process (default 1): `CLAIM_RACE_ROUNDS=50` gives the figure in the README.
 */
import { conformanceGroups, storeConformance } from '@comp-manager/store-testkit'
import t from 'tap'
import { peerStore, withPeer } from './fixtures/peer.js'

const rounds = Number(process.env.CLAIM_RACE_ROUNDS ?? '1')
// Every other group (the queue groups included) is skipped: only the claim races repeat.
const others = conformanceGroups.filter((group) => group !== 'claim-races')

await withPeer(t, async (client) => {
  for (let round = 1; round <= rounds; round++) {
    await storeConformance(t, ({ clock, t: sub }) => peerStore(sub as never, client, { clock }), {
      name: `MongoStore claim races, round ${round}/${rounds}`,
      skip: Object.fromEntries(others.map((group) => [group, 'only the claim races here'])),
    })
  }
})
