/**
 * The inline/GridFS cut-off and the 16 MiB limit are about the whole document, args included: a
 * value under the threshold whose args make the entry too big goes to GridFS; an entry or a
 * computation too big even so is refused with CM_ERR_VALUE_TOO_LARGE before anything is sent (the
 * peer, like an overloaded link, would otherwise just drop the connection). Runs against MONGODB_URL.
 */
import t from 'tap'
import { peerStore, withPeer } from './fixtures/peer.js'

const MiB = 1024 * 1024
const text = (bytes: number) => 'x'.repeat(bytes)

await withPeer(t, async (client) => {
  t.test('a value under the threshold goes to GridFS when its args fill the document', async (t) => {
    const store = await peerStore(t, client, { gridFsThresholdBytes: 8 * MiB })
    const value = JSON.stringify(text(6 * MiB))
    await store.cache.set({
      namespace: 'ns',
      key: 'big-args',
      function: 'f',
      functionFull: 'm/f',
      algorithm: 'sha256',
      value,
      args: { blob: text(12 * MiB) },
    })
    t.equal((await store.cache.get('ns', 'big-args'))?.value.length, value.length, 'read back whole')
    const doc = await store.db.collection(store.names.cacheEntries).findOne({ key: 'big-args' })
    t.equal(doc?.storage, 'gridfs', 'stored in GridFS although under gridFsThresholdBytes')
  })

  t.test('args alone over the limit: CM_ERR_VALUE_TOO_LARGE, nothing written', async (t) => {
    const store = await peerStore(t, client)
    const huge = { blob: text(17 * MiB) }
    await t.rejects(
      store.cache.set({
        namespace: 'ns',
        key: 'k',
        function: 'f',
        functionFull: 'm/f',
        algorithm: 'sha256',
        value: '1',
        args: huge,
      }),
      { code: 'CM_ERR_VALUE_TOO_LARGE' },
    )
    await t.rejects(
      store.computations.claim({
        namespace: 'ns',
        function: 'f',
        functionFull: 'm/f',
        args: huge,
        hash: 'h',
        hashAlgorithm: 'sha256',
        owner: 'me',
        pid: 1,
        host: 'here',
        leaseMs: 1000,
      }),
      { code: 'CM_ERR_VALUE_TOO_LARGE' },
    )
    t.equal(await store.db.collection(store.names.cacheEntries).countDocuments({}), 0)
    t.equal(
      await store.db.collection(`${store.names.bucket}.files`).countDocuments({}),
      0,
      'no file uploaded',
    )
    t.equal(await store.db.collection(store.names.computations).countDocuments({}), 0)
    t.equal((await store.ping()).ok, true, 'the connection is still up')
  })
})
