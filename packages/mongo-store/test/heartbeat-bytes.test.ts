/**
 * Heartbeats and compare-and-set writes do not ship the document back: a run with 2 MiB of args
 * renews its lease with a few hundred bytes from the server. Measured on MONGODB_URL through a
 * byte-counting TCP proxy; the write shape (which driver calls, in which case the document is read)
 * on FakeDb.
 */
import type { ClaimInput } from '@comp-manager/core'
import t from 'tap'
import { createMongoStore, MongoStore } from '../src/index.js'
import { FakeDb } from './fixtures/fake-mongo.js'
import { peerUrl, randomDb, withPeer } from './fixtures/peer.js'
import { startProxy } from './fixtures/tcp-proxy.js'

const ARGS_BYTES = 2 * 1024 * 1024
const BEATS = 10

const claimInput = (args: unknown = { n: 1 }): ClaimInput => ({
  namespace: 'ns',
  function: 'fib',
  functionFull: 'math/fib',
  args,
  hash: 'h',
  hashAlgorithm: 'sha256',
  owner: 'me',
  pid: 1,
  host: 'here',
  leaseMs: 60_000,
})

t.test('on FakeDb: the write shape', async (t) => {
  const fake = new FakeDb()
  let now = Date.UTC(2100, 0, 1)
  const clock = () => now
  const store = new MongoStore({ db: fake.asDb(), clock })
  const other = new MongoStore({ db: fake.asDb(), clock })
  const calls = fake.collection('computations').calls
  const since = (mark: number) => calls.slice(mark).filter((c) => c !== 'find' && c !== 'findOne')

  const { record } = await store.computations.claim(claimInput())
  let mark = calls.length
  now += 1000
  const beat = await store.computations.heartbeat('ns', record.id, {
    leaseUntil: now + 60_000,
    progress: { fraction: 0.5, note: 'half' },
    message: 'working',
  })
  t.same(since(mark), ['updateOne'], 'a heartbeat after our own claim: one updateOne, nothing read')
  t.same(await store.computations.get('ns', record.id), beat, 'the record returned is the one stored')
  t.equal(beat.args, record.args, 'args are the claim’s (not read again)')

  mark = calls.length
  const patched = await store.computations.update('ns', record.id, 'started', { message: 'patched' })
  t.same(since(mark), ['updateOne'], 'a compare-and-set write: one updateOne')
  t.same(await store.computations.get('ns', record.id), patched, 'stored as returned')

  // Another store (another process) writes the run: our next heartbeat must not return our stale copy.
  await other.computations.update('ns', record.id, 'started', { message: 'from elsewhere' })
  mark = calls.length
  now += 1000
  const after = await store.computations.heartbeat('ns', record.id, { leaseUntil: now + 60_000 })
  t.same(
    since(mark),
    ['updateOne', 'findOneAndUpdate'],
    'the conditional write misses, the document is read back once',
  )
  t.equal(after.message, 'from elsewhere', 'the other writer’s change is in the answer')
  t.same(await store.computations.get('ns', record.id), after, 'stored as returned')
  mark = calls.length
  now += 1000
  await store.computations.heartbeat('ns', record.id, { leaseUntil: now + 60_000 })
  t.same(since(mark), ['updateOne'], 'and the beat after that is cheap again')

  await store.computations.update('ns', record.id, 'started', { status: 'finished' })
  await t.rejects(store.computations.heartbeat('ns', record.id, { leaseUntil: now + 60_000 }), {
    code: 'CM_ERR_CONFLICT',
  })
})

t.test(`on MongoDB: ${BEATS} heartbeats of a run with 2 MiB of args`, (t) =>
  withPeer(t, async (client) => {
    const proxy = await startProxy(peerUrl!)
    t.teardown(() => proxy.close())
    const store = await createMongoStore({ url: proxy.url, dbName: randomDb(t, client) })
    t.teardown(() => store.close())
    const { record } = await store.computations.claim(claimInput({ blob: 'x'.repeat(ARGS_BYTES) }))

    let mark = proxy.bytesFromServer
    let last = record
    for (let i = 0; i < BEATS; i++) {
      last = await store.computations.heartbeat('ns', record.id, {
        leaseUntil: Date.now() + 60_000,
        progress: { fraction: i / BEATS },
      })
    }
    const perBeat = (proxy.bytesFromServer - mark) / BEATS
    t.comment(`heartbeat: ${Math.round(perBeat)} bytes from the server per beat (args ${ARGS_BYTES})`)
    t.ok(perBeat < 2048, `a heartbeat moves under 2 KiB back (${Math.round(perBeat)} bytes)`)
    t.equal(last.progress?.fraction, (BEATS - 1) / BEATS)

    mark = proxy.bytesFromServer
    const patched = await store.computations.update('ns', record.id, 'started', { message: 'patched' })
    const patchBytes = proxy.bytesFromServer - mark
    t.comment(
      `update (compare-and-set): ${patchBytes} bytes from the server (one read of the record included)`,
    )
    t.ok(patchBytes < ARGS_BYTES * 1.5, 'a patch reads the record once and does not ship it back')

    mark = proxy.bytesFromServer
    const stored = await store.computations.get('ns', record.id)
    t.ok(proxy.bytesFromServer - mark > ARGS_BYTES, 'the counter sees a read of the record (control)')
    t.same(stored, patched, 'stored as returned')
  }),
)
