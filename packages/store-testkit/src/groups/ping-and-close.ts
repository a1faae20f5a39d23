import type { Store } from '@comp-manager/core'
import type { Test } from 'tap'
import { cacheInput, claimInput, computationInput, NS_A } from '../fixtures.js'
import { expectCode, type Harness } from '../harness.js'

/** Every method of a store, called with valid arguments. */
function everyMethod(store: Store): Array<[string, () => unknown]> {
  const c = store.computations
  const cache = store.cache
  const calls: Array<[string, () => unknown]> = [
    ['computations.create', () => c.create(computationInput())],
    ['computations.get', () => c.get(NS_A, 'some-id')],
    ['computations.getByHash', () => c.getByHash(NS_A, 'some-hash')],
    ['computations.claim', () => c.claim(claimInput())],
    ['computations.update', () => c.update(NS_A, 'some-id', 'queued', { message: 'x' })],
    ['computations.heartbeat', () => c.heartbeat(NS_A, 'some-id', { leaseUntil: 1 })],
    ['computations.expire', () => c.expire(NS_A, 'some-id')],
    ['computations.findExpired', () => c.findExpired()],
    ['computations.list', () => c.list({ namespace: NS_A })],
    ['computations.delete', () => c.delete(NS_A, 'some-id')],
    ['cache.get', () => cache.get(NS_A, 'some-key')],
    ['cache.set', () => cache.set(cacheInput())],
    ['cache.delete', () => cache.delete(NS_A, 'some-key')],
    ['cache.invalidate', () => cache.invalidate(NS_A, { all: true })],
    ['cache.list', () => cache.list({ namespace: NS_A })],
    ['cache.stats', () => cache.stats(NS_A)],
    ['cache.purgeExpired', () => cache.purgeExpired()],
  ]
  const flush = cache.flush?.bind(cache)
  if (flush !== undefined) calls.push(['cache.flush', () => flush()])
  return calls
}

/** `kind`, `capabilities`, `ping()`; `close()` is idempotent and every method rejects afterwards. */
export function pingAndClose(t: Test, h: Harness): void {
  t.test('kind and capabilities', (t) => kindAndCapabilities(t, h))
  t.test('ping of an open store: ok, with a latency', (t) => pingOpen(t, h))
  t.test('close is idempotent; ping then reports the store down without throwing', (t) =>
    closeIdempotent(t, h),
  )
  t.test('after close every method rejects with CM_ERR_STORE_UNAVAILABLE', (t) => rejectsAfterClose(t, h))
}

async function kindAndCapabilities(t: Test, h: Harness): Promise<void> {
  const { store } = await h.open(t)
  t.type(store.kind, 'string')
  t.ok(store.kind.length > 0, 'kind is not empty')
  t.type(store.capabilities.multiProcess, 'boolean')
  t.type(store.capabilities.multiMachine, 'boolean')
  t.ok(
    !store.capabilities.multiMachine || store.capabilities.multiProcess,
    'multiMachine implies multiProcess',
  )
  t.ok(
    Number.isSafeInteger(store.capabilities.maxValueBytes) && store.capabilities.maxValueBytes > 0,
    'maxValueBytes is a positive integer',
  )
}

async function pingOpen(t: Test, h: Harness): Promise<void> {
  const { store } = await h.open(t)
  const result = await store.ping()
  t.equal(result.ok, true, 'ok')
  t.ok(Number.isFinite(result.latencyMs) && result.latencyMs >= 0, 'latencyMs is a number ≥ 0')
  t.equal(result.error, undefined, 'no error')
}

async function closeIdempotent(t: Test, h: Harness): Promise<void> {
  const { store } = await h.open(t)
  await store.close()
  await store.close()
  t.pass('closed twice')
  const result = await store.ping()
  t.equal(result.ok, false, 'ok: false after close')
  t.ok(Number.isFinite(result.latencyMs), 'latencyMs is still a number')
}

async function rejectsAfterClose(t: Test, h: Harness): Promise<void> {
  const { store } = await h.open(t)
  const record = await store.computations.create(computationInput())
  await store.cache.set(cacheInput({ key: 'some-key' }))
  await store.close()
  for (const [name, call] of everyMethod(store)) {
    await expectCode(t, call, 'CM_ERR_STORE_UNAVAILABLE', name)
  }
  await expectCode(
    t,
    () => store.computations.get(NS_A, record.id),
    'CM_ERR_STORE_UNAVAILABLE',
    'get of a stored id',
  )
}
