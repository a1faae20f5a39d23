import { MemoryStore } from '@comp-manager/core'
import t from 'tap'
import { createCache, estimateHeapBytes, L1_ENTRY_OVERHEAD } from '../src/index.js'

t.test('estimateHeapBytes grows with the value and counts shared objects once', async (t) => {
  const small = estimateHeapBytes({ a: 1 })
  const rows = estimateHeapBytes(Array.from({ length: 100 }, (_, i) => ({ i, label: `row ${i}` })))
  t.ok(small > 0 && rows > 50 * small, `100 rows (${rows} B) ≫ one small object (${small} B)`)
  t.ok(
    estimateHeapBytes('é'.repeat(1000)) >= 1000 && estimateHeapBytes('€'.repeat(1000)) >= 2000,
    '1 or 2 bytes a char',
  )
  const shared = { big: 'x'.repeat(10_000) }
  const twice = estimateHeapBytes([shared, shared])
  t.ok(twice < 2 * estimateHeapBytes(shared), 'a shared object is counted once')
  const cyclic: Record<string, unknown> = { n: 1 }
  cyclic.self = cyclic
  t.ok(Number.isFinite(estimateHeapBytes(cyclic)), 'a cycle ends')
  t.ok(estimateHeapBytes(new Float64Array(1000)) >= 8000, 'typed arrays count their bytes')
  t.ok(estimateHeapBytes(new Map([[1, 'a'.repeat(500)]])) >= 500, 'Map values are walked')
})

t.test('L1 maxBytes bounds the decoded values, not their codec text', async (t) => {
  const store = new MemoryStore()
  t.teardown(() => store.close())
  // One value: 1000 doubles. Codec text ≈ 19 KB, decoded ≈ 24 KB of heap + the entry overhead.
  const make = (seed: number) => Array.from({ length: 1000 }, (_, k) => k * 0.37 + seed)
  const one = L1_ENTRY_OVERHEAD + estimateHeapBytes(make(0.5))
  const cache = createCache({ store, namespace: 'l1', l1: { max: 1000, maxBytes: one * 4, ttl: null } })
  t.teardown(() => cache.close())
  const f = cache.wrap('doubles', async (seed: number) => make(seed))
  for (let i = 0; i < 10; i++) await f(i + 0.5)
  const stats = await cache.stats()
  t.ok(stats.l1, 'L1 stats')
  t.ok(stats.l1!.entries <= 4, `at most 4 entries of ${one} B fit in ${one * 4} B (${stats.l1!.entries})`)
  t.ok(stats.l1!.entries >= 3, 'and the bound is not far below what fits')
  t.ok(stats.l1!.bytes <= one * 4, `counted bytes ${stats.l1!.bytes} within maxBytes`)
})
