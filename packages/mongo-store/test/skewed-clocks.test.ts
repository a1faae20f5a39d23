/**
 * Two app servers whose clocks differ by 10 s share one database. With `leaseClock: 'server'` (the
 * default without a `clock`) leases are stamped on the server's time line and expiry is decided by
 * the server (`$$NOW`): the fast clock never steals a live lease. With `'client'` it does (the
 * control case). Runs against MONGODB_URL.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { ClaimInput } from '@comp-manager/core'
import t, { type Test } from 'tap'
import { createMongoStore, type MongoStore } from '../src/index.js'
import { randomDb, withPeer } from './fixtures/peer.js'

const SKEW_MS = 10_000

const claimInput = (hash: string, owner: string, leaseMs: number): ClaimInput => ({
  namespace: 'ns',
  function: 'fib',
  functionFull: 'math/fib',
  args: { n: 1 },
  hash,
  hashAlgorithm: 'sha256',
  owner,
  pid: 1,
  host: owner,
  leaseMs,
})

await withPeer(t, async (client) => {
  async function pair(t: Test, leaseClock: 'server' | 'client'): Promise<[MongoStore, MongoStore]> {
    const dbName = randomDb(t, client)
    const slow = await createMongoStore({ client, dbName, clock: () => Date.now(), leaseClock })
    const fast = await createMongoStore({ client, dbName, clock: () => Date.now() + SKEW_MS, leaseClock })
    t.teardown(() => Promise.all([slow.close(), fast.close()]))
    return [slow, fast]
  }

  t.test('server clock: the fast clock neither claims over, expires nor sweeps a live lease', async (t) => {
    const [slow, fast] = await pair(t, 'server')
    t.ok(
      Math.abs(fast.clockOffsetMs + SKEW_MS) < 1_000,
      `the fast store measured its offset (${fast.clockOffsetMs} ms)`,
    )
    const held = await slow.computations.claim(claimInput('h', 'slow', 5_000))
    t.equal(held.won, true)

    const steal = await fast.computations.claim(claimInput('h', 'fast', 5_000))
    t.equal(steal.won, false, 'the live lease is not taken over')
    t.equal(steal.record.id, held.record.id)
    t.equal(await fast.computations.expire('ns', held.record.id), null, 'expire leaves it live')
    t.same(await fast.computations.findExpired(), [], 'the sweeper does not see it')

    // The holder's heartbeats (on its own clock) keep it live for the fast store too.
    await slow.computations.heartbeat('ns', held.record.id, { leaseUntil: Date.now() + 5_000 })
    t.equal((await fast.computations.claim(claimInput('h', 'fast', 5_000))).won, false)
  })

  t.test('server clock: a lease that really ran out is taken over by either store', async (t) => {
    const [slow, fast] = await pair(t, 'server')
    const held = await fast.computations.claim(claimInput('h', 'fast', 300))
    t.equal(held.won, true)
    await sleep(700)
    const next = await slow.computations.claim(claimInput('h', 'slow', 5_000))
    t.equal(next.won, true, 'the expired lease is taken over')
    t.equal(next.won && next.previous?.status, 'lost')
  })

  t.test('control: with client clocks the fast store steals the live lease', async (t) => {
    const [slow, fast] = await pair(t, 'client')
    const held = await slow.computations.claim(claimInput('h', 'slow', 5_000))
    const steal = await fast.computations.claim(claimInput('h', 'fast', 5_000))
    t.equal(held.won && steal.won, true, 'both won: why leaseClock defaults to server')
  })
})
