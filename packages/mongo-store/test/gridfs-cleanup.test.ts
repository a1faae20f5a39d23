/**
 * Deleting the GridFS file of a replaced or deleted value happens after the operation completed:
 * its failure must not fail that operation, and the orphan it leaves is removed by
 * `sweepOrphanFiles`. Runs against MONGODB_URL; the failure is injected into the driver's
 * `GridFSBucket.delete` (a real server cannot be told to fail one delete).
 */
import { GridFSBucket, MongoNetworkError } from 'mongodb'
import t from 'tap'
import { peerStore, withPeer } from './fixtures/peer.js'

const entry = (value: string) => ({
  namespace: 'ns',
  key: 'k',
  function: 'f',
  functionFull: 'm/f',
  algorithm: 'sha256',
  value,
})

await withPeer(t, async (client) => {
  t.test('a failed file cleanup neither fails set/delete nor leaves an orphan for ever', async (t) => {
    const store = await peerStore(t, client, { gridFsThresholdBytes: 0 })
    const files = store.db.collection(`${store.names.bucket}.files`)
    const original = GridFSBucket.prototype.delete
    let failures = 0
    GridFSBucket.prototype.delete = async function (...args: Parameters<typeof original>) {
      if (failures > 0) {
        failures--
        throw new MongoNetworkError('connection reset during cleanup')
      }
      return original.apply(this, args)
    }
    t.teardown(() => {
      GridFSBucket.prototype.delete = original
    })

    await store.cache.set(entry('"first"'))
    failures = 1
    const replaced = await store.cache.set(entry('"second"'))
    t.equal(replaced.key, 'k', 'the set that replaced the value succeeds')
    t.equal((await store.cache.get('ns', 'k'))?.value, '"second"')
    failures = 1
    t.equal(await store.cache.delete('ns', 'k'), true, 'the delete succeeds')
    t.equal(await files.countDocuments({}), 2, 'two orphan files were left by the failed cleanups')

    await store.cache.set({ ...entry('"kept"'), key: 'other' })
    t.equal(await store.sweepOrphanFiles({ graceMs: 3_600_000 }), 0, 'files younger than the grace are kept')
    t.equal(await store.sweepOrphanFiles({ graceMs: 0 }), 2, 'the sweeper deletes both orphans')
    t.equal(await files.countDocuments({}), 1, 'the referenced file stays')
    t.equal((await store.cache.get('ns', 'other'))?.value, '"kept"')
    await t.rejects(store.sweepOrphanFiles({ graceMs: -1 }), { code: 'CM_ERR_INVALID_ARGUMENT' })
  })
})
