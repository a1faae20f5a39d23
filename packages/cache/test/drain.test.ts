import t from 'tap'
import { createCache } from '../src/index.js'
import { codeOf, counted, deferred, errorOf, setup, storeKinds, tick } from './fixtures/helpers.js'

/** `cache.drain()`: the fills this process runs, waited for, then given up (`lost`) at the timeout. */
for (const kind of storeKinds) {
  t.test(`${kind}: a fill that ends within the timeout is finished`, async (t) => {
    const { cache, store } = setup(t, kind)
    const gate = deferred()
    const started = deferred()
    const slow = cache.wrap('slow', async (x: number) => {
      started.resolve()
      await gate.promise
      return x * 2
    })
    const call = slow(21)
    await started.promise
    const draining = cache.drain({ timeoutMs: '10s' })
    await tick(20)
    gate.resolve()
    t.same(await draining, { ended: 1, lost: [] }, 'waited for the fill')
    t.equal(await call, 42)
    const runs = await store.computations.list({ namespace: 'test' })
    t.match(runs.data, [{ status: 'finished', message: 'cache fill' }])
    t.same(await cache.drain(), { ended: 0, lost: [] }, 'nothing runs any more')
    t.equal(await slow(21), 42, 'the cache stays usable')
  })

  t.test(`${kind}: a stuck fill is lost; its waiters in the same store claim again`, async (t) => {
    const { cache, store, clock } = setup(t, kind)
    const other = createCache({ store, namespace: 'test', clock, pollMs: 5, maxPollMs: 10 })
    t.teardown(() => other.close())
    const started = deferred()
    const stuck = counted(async () => {
      started.resolve()
      return new Promise<string>(() => {})
    })
    const first = errorOf(cache.wrap('stuck', stuck)())
    const joined = errorOf(cache.wrap('stuck', stuck)())
    await started.promise
    const waiterFn = counted(async () => 'computed by the waiter')
    const waiting = other.wrap('stuck', waiterFn)()
    await tick(30)
    t.equal(waiterFn.calls.length, 0, 'the other cache waits for the stuck run (its lease is valid)')

    const { ended, lost } = await cache.drain({ timeoutMs: 20 })
    t.equal(ended, 0)
    t.equal(lost.length, 1, 'the stuck run is given up')
    t.match(lost[0], {
      status: 'lost',
      function: 'stuck',
      message: /^abandoned: process \d+ on .+ shut down before the run ended$/,
    })
    t.match(await first, { code: 'CM_ERR_LOST' }, 'its caller here stops waiting')
    t.match(await joined, { code: 'CM_ERR_LOST' }, 'and so does a caller that joined it')
    t.equal(await waiting, 'computed by the waiter', 'the waiter saw `lost`, claimed again and computed')
    t.equal(stuck.calls.length, 1)
    const runs = await store.computations.list({ namespace: 'test' })
    t.same(runs.data.map((r) => [r.attempt, r.status]).sort(), [
      [1, 'lost'],
      [2, 'finished'],
    ])
    t.equal(await cache.wrap('stuck', stuck)(), 'computed by the waiter', 'served from the entry now')
  })
}

t.test('drain options', async (t) => {
  const { cache } = setup(t, 'memory')
  t.same(await cache.drain(), { ended: 0, lost: [] }, 'nothing to drain: at once')
  const err = await errorOf(cache.drain({ timeoutMs: 'soon' as never }))
  t.equal(err.code, 'CM_ERR_INVALID_ARGUMENT')
  t.equal(err.details?.option, 'timeoutMs')
  t.match(err.message, /^@comp-manager\/cache drain\(\): `timeoutMs` must be/)
  t.equal(await codeOf(cache.drain({ timeout: 5 } as never)), 'CM_ERR_INVALID_ARGUMENT', 'unknown option')
})
