/**
 * The Store conformance suite against `FakeDb` (test/fixtures/fake-mongo.ts): the driver's API
 * imitated in process, with mingo evaluating MongoDB queries and updates, real BSON round trips,
 * unique indexes (duplicate key 11000) and interleaving at every call. It exercises all of the
 * store's own logic (claims, compare-and-set retries, mapping, GridFS bookkeeping) on a machine
 * without MongoDB; it is no substitute for `conformance.test.ts` with MONGODB_URL set.
 */
import { eventGroups, queueGroups, storeConformance } from '@comp-manager/store-testkit'
import t from 'tap'
import { MongoStore } from '../src/index.js'
import { FakeDb } from './fixtures/fake-mongo.js'

// FakeDb's findOneAndUpdate ignores `sort`, so the queue port's
// claim order cannot be checked here: the queue groups run against the wire peer (conformance.test.ts).
// Nor does it have the counter's upsert updateOne, so the event log groups run on the peer too.
const queueOnPeer = Object.fromEntries([
  ...queueGroups.map((group) => [group, 'FakeDb ignores findOneAndUpdate sort: run with MONGODB_URL']),
  ...eventGroups.map((group) => [group, 'FakeDb has no updateOne (the event counter): run with MONGODB_URL']),
])

await storeConformance(t, ({ clock }) => new MongoStore({ db: new FakeDb().asDb(), clock }), {
  name: 'MongoStore on FakeDb',
  skip: queueOnPeer,
})

await storeConformance(
  t,
  ({ clock }) => new MongoStore({ db: new FakeDb().asDb(), clock, gridFsThresholdBytes: 0 }),
  {
    name: 'MongoStore on FakeDb, values in GridFS',
    skip: {
      basics: 'computations: covered by the first run',
      'compare-and-set': 'computations: covered by the first run',
      'claim-races': 'computations: covered by the first run',
      'claim-semantics': 'computations: covered by the first run',
      leases: 'computations: covered by the first run',
      pagination: 'covered by the first run',
      namespaces: 'covered by the first run',
      'bad-input': 'covered by the first run',
      ...queueOnPeer,
      'ping-and-close': 'covered by the first run',
    },
  },
)
