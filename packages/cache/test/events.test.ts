import t from 'tap'
import { codeOf, setup } from './fixtures/helpers.js'

/** The event API, the same shape as the tracker's: `on` and `once` return an unsubscribe function. */

t.test('on() returns a function that removes the listener', async (t) => {
  const { cache } = setup(t, 'memory')
  const seen: string[] = []
  const f = cache.wrap('f', async (x: number) => x)
  const stop = cache.on('miss', (e) => seen.push(`a:${e.name}`))
  cache.on('miss', (e) => seen.push(`b:${e.name}`))
  t.type(stop, 'function')
  await f(1)
  stop()
  stop()
  await f(2)
  t.same(seen, ['a:f', 'b:f', 'b:f'], 'only the unsubscribed listener stopped, and a second call is harmless')
})

t.test('once() fires once, and its unsubscribe function cancels it before it fires', async (t) => {
  const { cache } = setup(t, 'memory')
  const seen: string[] = []
  const f = cache.wrap('f', async (x: number) => x)
  cache.once('miss', () => seen.push('once'))
  const cancel = cache.once('miss', () => seen.push('cancelled'))
  t.type(cancel, 'function')
  cancel()
  await f(1)
  await f(2)
  t.same(seen, ['once'])
})

t.test('off() still removes a listener, and returns the cache', async (t) => {
  const { cache } = setup(t, 'memory')
  const seen: string[] = []
  const listener = () => seen.push('hit')
  cache.on('hit', listener)
  t.equal(cache.off('hit', listener), cache)
  await cache.set('k', 1)
  await cache.get('k')
  t.same(seen, [])
})

t.test('a listener must be a function', async (t) => {
  const { cache } = setup(t, 'memory')
  t.equal(await codeOf(() => cache.on('hit', 'nope' as never)), 'CM_ERR_INVALID_ARGUMENT')
  t.equal(await codeOf(() => cache.once('hit', null as never)), 'CM_ERR_INVALID_ARGUMENT')
})
