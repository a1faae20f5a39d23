import { join } from 'node:path'
import { isCompManagerError, MemoryStore } from '@comp-manager/core'
import { SqliteStore } from '@comp-manager/sqlite-store'
import t from 'tap'
import { createCache } from '../src/index.js'

/** `singleFlight: 'process'`: misses deduplicated in this process, no fill run recorded. */

t.test("'process': one computation per key in this process, no fill run, the entry stored", async (t) => {
  const store = new MemoryStore()
  const cache = createCache({ store, namespace: 'p', singleFlight: 'process' })
  t.teardown(() => cache.close())
  let calls = 0
  const slow = cache.wrap('slow', async (x: number) => {
    calls++
    await new Promise((resolve) => setTimeout(resolve, 20))
    return { x, big: 10n ** 30n }
  })

  const values = await Promise.all(Array.from({ length: 10 }, () => slow(7)))
  t.equal(calls, 1, 'ten concurrent callers, one computation')
  for (const value of values) t.same(value, { x: 7, big: 10n ** 30n })
  t.equal((await cache.stats()).dedupes, 9, 'the nine joiners are dedupes')

  const runs = await store.computations.list({ namespace: 'p' })
  t.equal(runs.total, 0, 'no fill run is recorded')
  const key = cache.explain('slow', [7]).key
  const entry = await store.cache.get('p', key, { touch: false })
  t.ok(entry, 'the entry is in the store')
  t.same(entry?.args, undefined, 'no arguments kept without storeArgs')

  t.same(await slow(7), { x: 7, big: 10n ** 30n })
  t.equal(calls, 1, 'the next call is a hit')
  const fleet = await cache.fleetStats()
  t.equal(fleet?.functions.slow?.fills, 1, 'the fill is counted in the fleet stats')
  t.equal(fleet?.functions.slow?.misses, 10, 'as are the misses')
})

t.test("'store' (the default) records the fill run that 'process' skips", async (t) => {
  const store = new MemoryStore()
  const cache = createCache({ store, namespace: 's' })
  t.teardown(() => cache.close())
  const double = cache.wrap('double', async (x: number) => x * 2)
  t.equal(await double(4), 8)
  const runs = await store.computations.list({ namespace: 's' })
  t.equal(runs.total, 1, 'one fill run')
  t.equal(runs.data[0]?.status, 'finished')
})

t.test(
  "'process': errors are not cached, storeArgs keeps the arguments, shouldCache is honoured",
  async (t) => {
    const store = new MemoryStore()
    const cache = createCache({ store, namespace: 'e', singleFlight: 'process' })
    t.teardown(() => cache.close())
    let fail = true
    const flaky = cache.wrap('flaky', async (x: number) => {
      if (fail) throw new Error('boom')
      return x + 1
    })
    await t.rejects(flaky(1), { message: 'boom' })
    fail = false
    t.equal(await flaky(1), 2, 'computed again after the failure')

    const kept = cache.wrap('kept', async (x: number) => x, { storeArgs: true })
    t.equal(await kept(5), 5)
    const entry = await store.cache.get('e', cache.explain('kept', [5]).key, { touch: false })
    t.same(entry?.args, [5], 'storeArgs: the encoded arguments are on the entry')

    let computed = 0
    const never = cache.wrap(
      'never',
      async () => {
        computed++
        return -1
      },
      { shouldCache: (v) => v !== -1 },
    )
    t.equal(await never(), -1)
    t.equal(await never(), -1)
    t.equal(computed, 2, 'a value shouldCache rejects is not stored')
  },
)

t.test(
  "'process' on a shared SQLite file: caches do not coordinate (the documented trade-off)",
  async (t) => {
    const path = join(t.testdir(), 'shared.db')
    const a = new SqliteStore({ path })
    const b = new SqliteStore({ path })
    t.teardown(async () => {
      await a.close()
      await b.close()
    })
    const ca = createCache({ store: a, namespace: 'x', singleFlight: 'process' })
    const cb = createCache({ store: b, namespace: 'x', singleFlight: 'process' })
    t.teardown(async () => {
      await ca.close()
      await cb.close()
    })
    let calls = 0
    const fn = async (x: number) => {
      calls++
      await new Promise((resolve) => setTimeout(resolve, 30))
      return x
    }
    const fa = ca.wrap('f', fn)
    const fb = cb.wrap('f', fn)
    t.same(await Promise.all([fa(1), fb(1)]), [1, 1])
    t.equal(calls, 2, 'each instance computed the key')
    t.equal(await fb(1), 1)
    t.equal(calls, 2, 'but the stored entry serves both afterwards')
    t.equal((await a.computations.list({ namespace: 'x' })).total, 0, 'and no run was recorded')
  },
)

t.test('singleFlight: anything else is refused, naming the option', async (t) => {
  const store = new MemoryStore()
  for (const bad of ['fleet', '', 1, null, true, { store: 1 }]) {
    let caught: unknown
    try {
      createCache({ store, namespace: 'v', singleFlight: bad as never })
    } catch (err) {
      caught = err
    }
    t.ok(
      isCompManagerError(caught, 'CM_ERR_INVALID_ARGUMENT'),
      `singleFlight: ${JSON.stringify(bad)} is refused`,
    )
    t.equal(
      (caught as { details?: { option?: string } }).details?.option,
      'singleFlight',
      'the error names it',
    )
  }
})
