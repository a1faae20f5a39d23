import t from 'tap'
import { MemoryStore } from '../src/index.js'
import { declaringClassName, Emitter } from '../src/runs/index.js'
import {
  type CacheBackend,
  GuardedCacheStore,
  guardStore,
  type HitCount,
  HitCounter,
  type StoreBackend,
} from '../src/store-kit.js'

function recordingBackend() {
  const store = new MemoryStore()
  const written: HitCount[][] = []
  const calls: string[] = []
  let failNext = false
  const cache = (store as unknown as { cache: GuardedCacheStore }).cache
  const backend: CacheBackend = {
    get: async (ns, key) => {
      calls.push('get')
      return cache.get(ns, key, { touch: false })
    },
    set: async (input) => {
      calls.push('set')
      return cache.set(input)
    },
    delete: async (ns, key) => cache.delete(ns, key),
    invalidate: async (ns, c) => cache.invalidate(ns, c),
    list: async () => ({ rows: [], total: 0 }),
    stats: async (ns) => cache.stats(ns),
    purgeExpired: async () => 0,
    addHits: async (hits) => {
      if (failNext) {
        failNext = false
        throw new Error('disk full')
      }
      written.push(hits.map((h) => ({ ...h })))
    },
  }
  return { store, backend, written, calls, failOnce: () => (failNext = true) }
}

const entry = { namespace: 'ns', key: 'k', function: 'f', functionFull: 'f', algorithm: 'sha256', value: '1' }

t.test('the guard validates before the backend sees anything', async (t) => {
  const { store, backend, calls } = recordingBackend()
  t.teardown(() => store.close())
  const guarded = new GuardedCacheStore(backend, { clock: () => 1000, maxValueBytes: 4, hitFlushMs: 60_000 })
  await t.rejects(guarded.get('bad ns', 'k'), { code: 'CM_ERR_INVALID_ARGUMENT' })
  await t.rejects(guarded.get('ns', 'k', { touch: 'yes' } as never), { code: 'CM_ERR_INVALID_ARGUMENT' })
  await t.rejects(guarded.set({ ...entry, value: '12345' }), { code: 'CM_ERR_VALUE_TOO_LARGE' })
  await t.rejects(guarded.set({ ...entry, $where: 'x' } as never), { code: 'CM_ERR_INVALID_ARGUMENT' })
  await t.rejects(guarded.invalidate('ns', {}), { code: 'CM_ERR_INVALID_ARGUMENT' })
  await t.rejects(guarded.list({ namespace: 'ns', perPage: 1000 }), { code: 'CM_ERR_INVALID_ARGUMENT' })
  t.same(calls, [], 'the backend was never called')
})

t.test('hits are counted by the guard, batched, and handed to addHits', async (t) => {
  const { store, backend, written } = recordingBackend()
  t.teardown(() => store.close())
  let now = 1000
  const guarded = new GuardedCacheStore(backend, {
    clock: () => now,
    maxValueBytes: 1024,
    hitFlushMs: 60_000,
  })
  const meta = await guarded.set(entry)
  now = 2000
  await guarded.get('ns', 'k')
  now = 3000
  const second = await guarded.get('ns', 'k')
  t.match(second, { hits: 2, lastHitAt: 3000 }, 'the entry returned counts the pending hits')
  await guarded.get('ns', 'k', { touch: false })
  t.equal(guarded.pendingHits, 2, 'touch: false counts nothing')
  await guarded.flush()
  t.same(written, [[{ namespace: 'ns', key: 'k', createdAt: meta.createdAt, count: 2, lastHitAt: 3000 }]])
  await guarded.get('ns', 'k')
  await guarded.set(entry)
  t.equal(guarded.pendingHits, 0, 'a replaced entry forgets its pending hits')
  await guarded.close()
})

t.test('a failed flush keeps its hits for the next one', async (t) => {
  const { store, backend, written, failOnce } = recordingBackend()
  t.teardown(() => store.close())
  const counter = new HitCounter(backend, 60_000)
  counter.record('ns', 'k', 1, 10)
  failOnce()
  await t.rejects(counter.flush(), { message: 'disk full' })
  counter.record('ns', 'k', 1, 20)
  await counter.flush()
  t.same(written.at(-1), [{ namespace: 'ns', key: 'k', createdAt: 1, count: 2, lastHitAt: 20 }])
  counter.record('ns', 'k', 1, 30)
  failOnce()
  await counter.close()
  t.pass('close swallows a failed last flush (hit counts are advisory)')
})

t.test('guardStore: a Store from a backend; close flushes hits then closes the backend, once', async (t) => {
  const { store, backend, written } = recordingBackend()
  const order: string[] = []
  const full: StoreBackend = {
    kind: 'recording',
    capabilities: { multiProcess: false, multiMachine: false, maxValueBytes: 100 },
    clock: () => 5,
    computations: store.computations as unknown as StoreBackend['computations'],
    cache: {
      ...backend,
      addHits: async (hits) => {
        order.push('hits')
        return backend.addHits(hits)
      },
    },
    ping: async () => ({ ok: true, latencyMs: 0 }),
    close: async () => {
      order.push('close')
      await store.close()
    },
  }
  const guarded = guardStore(full)
  t.equal(guarded.kind, 'recording')
  t.equal(guarded.capabilities.maxValueBytes, 100)
  await guarded.cache.set(entry)
  await guarded.cache.get('ns', 'k')
  await Promise.all([guarded.close(), guarded.close()])
  t.same(order, ['hits', 'close'])
  t.equal(written.length, 1)
})

t.test('Emitter: on/once return an unsubscribe function; a throwing listener is reported', async (t) => {
  const reported: unknown[] = []
  const events = new Emitter<{ a: number; b: string }>((err, event) =>
    reported.push([event, (err as Error).message]),
  )
  const seen: number[] = []
  const off = events.on('a', (n) => seen.push(n))
  events.once('a', (n) => seen.push(n * 10))
  events.on('b', () => {
    throw new Error('boom')
  })
  t.ok(events.has('a'))
  events.emit('a', 1)
  events.emit('a', 2)
  off()
  events.emit('a', 3)
  events.emit('b', 'x')
  t.same(seen, [1, 10, 2])
  t.same(reported, [['b', 'boom']])
  t.notOk(events.has('a'))
})

t.test('declaringClassName names the class that declares the method', async (t) => {
  class Base {
    run() {}
    static make() {}
  }
  class Child extends Base {}
  const method = Base.prototype.run
  t.equal(declaringClassName(new Child(), { name: 'run', static: false, private: false }, method), 'Base')
  t.equal(declaringClassName(Child, { name: 'make', static: true, private: false }, Base.make), 'Base')
  t.equal(
    declaringClassName(new Child(), { name: '#p', static: false, private: true }, () => {}),
    'Child',
  )
  t.equal(
    declaringClassName(undefined, { name: 'x', static: false, private: false }, () => {}),
    'anonymous',
  )
})
