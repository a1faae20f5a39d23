// MemoryStore specifics. The behaviour every Store shares is tested by the conformance suite, which
// runs against MemoryStore in packages/store-testkit/test/memory-store.test.ts (core cannot depend on
// the testkit: that would be a cycle).
import t from 'tap'
import {
  type ClaimInput,
  createMemoryStore,
  DEFAULT_MEMORY_MAX_VALUE_BYTES,
  MemoryStore,
  type MemoryStoreOptions,
  type NewCacheEntry,
  type NewComputation,
} from '../src/store/index.js'

const manualClock = (start = 1_000_000) => {
  let now = start
  const clock = () => now
  clock.advance = (ms: number) => (now += ms)
  return clock
}

let counter = 0
const computation = (overrides: Partial<NewComputation> = {}): NewComputation => ({
  namespace: 'ns',
  function: 'f',
  functionFull: 'm/f',
  args: { n: 1 },
  hash: `h-${++counter}`,
  hashAlgorithm: 'sha256',
  ...overrides,
})
const claim = (overrides: Partial<ClaimInput> = {}): ClaimInput => ({
  namespace: 'ns',
  function: 'f',
  functionFull: 'm/f',
  args: { n: 1 },
  hash: `h-${++counter}`,
  hashAlgorithm: 'sha256',
  owner: 'w',
  pid: 1,
  host: 'h',
  leaseMs: 1000,
  ...overrides,
})
const entry = (overrides: Partial<NewCacheEntry> = {}): NewCacheEntry => ({
  namespace: 'ns',
  key: `k-${++counter}`,
  function: 'f',
  functionFull: 'm/f',
  algorithm: 'sha256',
  value: '"v"',
  ...overrides,
})

const codeOf = (fn: () => unknown): unknown => {
  try {
    fn()
    return undefined
  } catch (err) {
    return (err as { code?: unknown }).code
  }
}

t.test('defaults: kind, capabilities, system clock', async (t) => {
  const store = new MemoryStore()
  t.teardown(() => store.close())
  t.equal(store.kind, 'memory')
  t.same(store.capabilities, { multiProcess: false, multiMachine: false, maxValueBytes: 64 * 1024 * 1024 })
  t.equal(DEFAULT_MEMORY_MAX_VALUE_BYTES, 64 * 1024 * 1024)
  t.ok(Object.isFrozen(store.capabilities), 'capabilities cannot be changed')
  const before = Date.now()
  const record = await store.computations.create(computation())
  t.ok(record.createdAt >= before && record.createdAt <= Date.now(), 'timestamps from Date.now()')
})

t.test('createMemoryStore is the factory form', async (t) => {
  const clock = manualClock(42)
  const store = createMemoryStore({ clock, maxValueBytes: 10 })
  t.teardown(() => store.close())
  t.ok(store instanceof MemoryStore)
  t.equal(store.capabilities.maxValueBytes, 10)
  t.equal((await store.computations.create(computation())).createdAt, 42, 'uses the given clock')
})

t.test('bad options → CM_ERR_INVALID_ARGUMENT at construction', async (t) => {
  const bad: Array<[string, unknown]> = [
    ['options null', null],
    ['clock not a function', { clock: 5 }],
    ['maxValueBytes 0', { maxValueBytes: 0 }],
    ['maxValueBytes 1.5', { maxValueBytes: 1.5 }],
    ['maxValueBytes a string', { maxValueBytes: '10' }],
  ]
  for (const [why, options] of bad) {
    t.equal(
      codeOf(() => new MemoryStore(options as MemoryStoreOptions)),
      'CM_ERR_INVALID_ARGUMENT',
      why,
    )
  }
})

t.test('maxValueBytes counts UTF-8 bytes', async (t) => {
  const store = new MemoryStore({ maxValueBytes: 10 })
  t.teardown(() => store.close())
  t.equal((await store.cache.set(entry({ value: '"1234567"8' }))).size, 10, '10 bytes fit')
  await t.rejects(
    store.cache.set(entry({ value: '"€€€"' })),
    { code: 'CM_ERR_VALUE_TOO_LARGE' },
    '5 chars, 11 bytes',
  )
})

t.test('hits are counted at once: flush has nothing to apply', async (t) => {
  const store = new MemoryStore()
  t.teardown(() => store.close())
  const input = entry()
  await store.cache.set(input)
  await store.cache.get('ns', input.key)
  const [meta] = (await store.cache.list({ namespace: 'ns' })).data
  t.equal(meta?.hits, 1, 'visible without flush')
  t.equal((await store.cache.get('ns', input.key))?.hits, 2, 'the returned entry includes its own hit')
  t.equal(await store.cache.flush?.(), undefined)
})

t.test('expired entries stay until purgeExpired, even when read', async (t) => {
  const clock = manualClock()
  const store = new MemoryStore({ clock })
  t.teardown(() => store.close())
  const input = entry({ ttlMs: 10 })
  await store.cache.set(input)
  clock.advance(10)
  t.equal(await store.cache.get('ns', input.key), null)
  t.equal(await store.cache.delete('ns', input.key), false)
  t.equal(await store.cache.purgeExpired(), 1, 'reads and deletes did not remove it: purge counts it')
})

t.test('records made in one millisecond list newest first by default', async (t) => {
  const store = new MemoryStore({ clock: manualClock() })
  t.teardown(() => store.close())
  const ids: string[] = []
  for (let i = 0; i < 30; i++) ids.push((await store.computations.create(computation())).id)
  const page = await store.computations.list({ namespace: 'ns', perPage: 100 })
  t.same(
    page.data.map((r) => r.id),
    [...ids].reverse(),
    'ids are monotonic within a millisecond, so the id tie-break follows creation order',
  )
})

t.test('deleting the latest attempt: getByHash falls back, the next claim reuses its number', async (t) => {
  const clock = manualClock()
  const store = new MemoryStore({ clock })
  t.teardown(() => store.close())
  const input = claim({ onTerminal: 'rerun' })
  const first = await store.computations.claim(input)
  await store.computations.update('ns', first.record.id, 'started', { status: 'finished' })
  const second = await store.computations.claim(input)
  t.equal(second.record.attempt, 2)
  t.equal(await store.computations.delete('ns', second.record.id), true)
  t.equal(
    (await store.computations.getByHash('ns', input.hash))?.id,
    first.record.id,
    'attempt 1 is the latest again',
  )
  const third = await store.computations.claim(input)
  t.equal(third.won && third.record.attempt, 2, 'attempt numbers stay unique')
  t.equal(await store.computations.delete('ns', first.record.id), true, 'an older attempt can be deleted too')
  t.equal((await store.computations.getByHash('ns', input.hash))?.id, third.record.id)
})

t.test('a claim and a conflicting update started together: one consistent outcome', async (t) => {
  const clock = manualClock()
  const store = new MemoryStore({ clock })
  t.teardown(() => store.close())
  const queued = await store.computations.create(computation())
  const [claimed, cancelled] = await Promise.allSettled([
    store.computations.claim(claim({ hash: queued.hash })),
    store.computations.update('ns', queued.id, 'queued', { status: 'failed' }),
  ])
  t.equal(claimed.status, 'fulfilled', 'the claim, called first, takes the queued record')
  t.equal(cancelled.status === 'rejected' && (cancelled.reason as { code?: unknown }).code, 'CM_ERR_CONFLICT')
  t.equal((await store.computations.get('ns', queued.id))?.status, 'started')
})

t.test('close drops the data; a new store starts empty', async (t) => {
  const store = new MemoryStore()
  await store.computations.create(computation())
  await store.close()
  await t.rejects(store.computations.list({ namespace: 'ns' }), { code: 'CM_ERR_STORE_UNAVAILABLE' })
  await t.rejects(store.cache.flush?.() ?? Promise.resolve(), { code: 'CM_ERR_STORE_UNAVAILABLE' })
  t.same(await store.ping(), { ok: false, latencyMs: 0, error: 'the memory store is closed' })
  const fresh = new MemoryStore()
  t.teardown(() => fresh.close())
  t.equal((await fresh.computations.list({ namespace: 'ns' })).total, 0, 'stores share nothing')
})

t.test('validation errors are rejections, never synchronous throws', async (t) => {
  const store = new MemoryStore()
  t.teardown(() => store.close())
  let pending: Promise<unknown> | undefined
  t.doesNotThrow(() => {
    pending = store.computations.get(42 as unknown as string, 'id')
  })
  await t.rejects(pending as Promise<unknown>, { code: 'CM_ERR_INVALID_ARGUMENT' })
})
