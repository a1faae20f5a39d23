/**
 * A hung server (connection open, nothing answered) must not hold a request for ever: every store
 * operation fails with CM_ERR_TIMEOUT after `operationTimeoutMs`. Runs against MONGODB_URL through
 * a TCP proxy that stops forwarding.
 */
import { isCompManagerError } from '@comp-manager/core'
import t from 'tap'
import { createMongoStore } from '../src/index.js'
import { peerUrl, randomDb, withPeer } from './fixtures/peer.js'
import { startProxy } from './fixtures/tcp-proxy.js'

/** The outcome of `op`, or 'still waiting' when it has not settled within `ms` (never a pass). */
const settledWithin = <T>(op: Promise<T>, ms: number) =>
  Promise.race([
    op.then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    ),
    new Promise<'still waiting'>((resolve) => setTimeout(() => resolve('still waiting'), ms).unref()),
  ])

await withPeer(t, async (client) => {
  t.test('a hung server: operations fail with CM_ERR_TIMEOUT instead of hanging', async (t) => {
    const proxy = await startProxy(peerUrl!)
    t.teardown(() => proxy.close())
    const dbName = randomDb(t, client)
    const store = await createMongoStore({ url: proxy.url, dbName, operationTimeoutMs: 300 })
    t.teardown(() => {
      proxy.resume()
      return store.close()
    })
    await store.cache.set({
      namespace: 'ns',
      key: 'k',
      function: 'f',
      functionFull: 'm/f',
      algorithm: 'sha256',
      value: '1',
    })

    proxy.hang()
    for (const [name, op] of [
      ['cache.get', () => store.cache.get('ns', 'k')],
      ['computations.list', () => store.computations.list({ namespace: 'ns' })],
    ] as const) {
      const outcome = await settledWithin(op() as Promise<unknown>, 5_000)
      t.not(outcome, 'still waiting', `${name} settles`)
      const error = typeof outcome === 'object' && 'error' in outcome ? outcome.error : undefined
      t.ok(isCompManagerError(error, 'CM_ERR_TIMEOUT'), `${name} fails with CM_ERR_TIMEOUT`)
      t.match((error as Error).message, /no answer from MongoDB within 300 ms/)
    }
  })

  t.test('operationTimeoutMs is validated; 0 turns the limit off', async (t) => {
    await t.rejects(createMongoStore({ client, dbName: 'x', operationTimeoutMs: -1 }), {
      code: 'CM_ERR_INVALID_ARGUMENT',
    })
    const store = await createMongoStore({ client, dbName: randomDb(t, client), operationTimeoutMs: 0 })
    t.equal(await store.cache.get('ns', 'absent'), null)
    await store.close()
  })
})
