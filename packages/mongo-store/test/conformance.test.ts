/**
 * The Store conformance suite against a real MongoDB: runs only when MONGODB_URL is set, e.g.
 *   MONGODB_URL=mongodb://localhost:27017 npx tap
 * Every store gets its own random database, dropped when its subtest ends.
 */
import { randomBytes } from 'node:crypto'
import { queueGroups, type StoreLimit, storeConformance } from '@comp-manager/store-testkit'
import { MongoClient } from 'mongodb'
import t from 'tap'
import { createMongoStore } from '../src/index.js'

const url = process.env.MONGODB_URL

if (url === undefined || url === '') {
  t.comment('skipped: MONGODB_URL not set')
  t.plan(0, 'MONGODB_URL not set')
} else {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 10_000 })
  await client.connect()
  t.teardown(() => client.close())

  /** A store in a fresh random database, dropped after the store is closed. */
  const inRandomDatabase =
    (extra: { gridFsThresholdBytes?: number } = {}) =>
    async ({ clock, t: sub }: { clock: () => number; t: { teardown(fn: () => unknown): void } }) => {
      const dbName = `cm_test_${randomBytes(8).toString('hex')}`
      sub.teardown(() => client.db(dbName).dropDatabase())
      return createMongoStore({ client, dbName, clock, ...extra })
    }

  // What this server cannot show, declared rather than passed silently: a standalone server has no
  // transactions, change streams or majority write concern; the wire peer (no `gitVersion` in
  // buildInfo) also never enforces TTL and ignores non-unique indexes (see shared/mongo-peer/README.md).
  const hello = await client.db('admin').command({ hello: 1 })
  const buildInfo = await client.db('admin').command({ buildInfo: 1 })
  const limits: Partial<Record<StoreLimit, string>> = {}
  if (hello.setName === undefined) {
    const why = 'standalone server (no replica set)'
    Object.assign(limits, { transactions: why, changeStreams: why, writeConcernMajority: why })
  }
  if (buildInfo.gitVersion === undefined) {
    limits.ttlEnforced = 'the wire peer stores TTL indexes but never deletes'
    limits.nonUniqueIndexes = 'the wire peer ignores non-unique indexes (no index-use checks)'
  }

  await storeConformance(t, inRandomDatabase(), { name: 'MongoStore', limits })

  // The cache groups again with every non-empty value in GridFS.
  await storeConformance(t, inRandomDatabase({ gridFsThresholdBytes: 0 }), {
    name: 'MongoStore, values in GridFS',
    skip: {
      basics: 'computations: covered by the first run',
      'compare-and-set': 'computations: covered by the first run',
      'claim-races': 'computations: covered by the first run',
      'claim-semantics': 'computations: covered by the first run',
      leases: 'computations: covered by the first run',
      pagination: 'covered by the first run',
      namespaces: 'covered by the first run',
      'bad-input': 'covered by the first run',
      'ping-and-close': 'covered by the first run',
      ...Object.fromEntries(queueGroups.map((group) => [group, 'the queue: covered by the first run'])),
    },
  })
}
