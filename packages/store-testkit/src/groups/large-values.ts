import type { Store } from '@comp-manager/core'
import type { Test } from 'tap'
import { cacheInput, computationInput, NS_A, utf8Bytes } from '../fixtures.js'
import { expectCode, type Harness } from '../harness.js'

/**
 * A JSON string literal of exactly `bytes` UTF-8 bytes: ASCII with a 2-byte and a 4-byte character
 * at the end, so a store that measured `.length` instead of bytes would be caught.
 */
export function valueOfBytes(bytes: number): string {
  const tail = 'é😀' // 2 + 4 bytes
  if (bytes < 8) return 'x'.repeat(bytes)
  return `"${'x'.repeat(bytes - 8)}${tail}"`
}

/** Large values round-trip; values over the store's `maxValueBytes` are refused. */
export function largeValues(t: Test, h: Harness): void {
  const { largeValueBytes } = h.caps

  t.test(`a value of ${largeValueBytes} bytes round-trips`, (t) => largeValueRoundTrips(t, h))
  t.test('large args and checkpoint round-trip', (t) => largeArgsAndCheckpoint(t, h))
  t.test('values at and over maxValueBytes', (t) => atAndOverLimit(t, h))
}

async function largeValueRoundTrips(t: Test, h: Harness): Promise<void> {
  const { largeValueBytes } = h.caps
  const { store } = await h.open(t)
  if (largeValueBytes > store.capabilities.maxValueBytes) {
    t.fail(
      `largeValueBytes (${largeValueBytes}) is over the store's maxValueBytes (${store.capabilities.maxValueBytes})`,
    )
    return
  }
  const value = valueOfBytes(largeValueBytes)
  t.equal(utf8Bytes(value), largeValueBytes, 'fixture has the intended size')
  const input = cacheInput({ value })
  const meta = await store.cache.set(input)
  t.equal(meta.size, largeValueBytes, 'size in UTF-8 bytes')
  const entry = await store.cache.get(NS_A, input.key)
  t.equal(entry?.value.length, value.length, 'same length')
  t.ok(entry?.value === value, 'same value (compared without printing it)')
  t.same(await store.cache.stats(NS_A), { entries: 1, bytes: largeValueBytes }, 'stats count the bytes')
}

async function largeArgsAndCheckpoint(t: Test, h: Harness): Promise<void> {
  const { store } = await h.open(t)
  const args = {
    rows: Array.from({ length: 20_000 }, (_, i) => ({ i, label: `row ${i}`, ok: i % 2 === 0 })),
  }
  const record = await store.computations.create(computationInput({ args }))
  const stored = await store.computations.get(NS_A, record.id)
  t.ok(JSON.stringify(stored?.args) === JSON.stringify(args), 'args of ~600 kB round-trip')
  const checkpoint = { buffer: 'z'.repeat(1024 * 1024) }
  await store.computations.update(NS_A, record.id, 'queued', { checkpoint })
  const after = await store.computations.get(NS_A, record.id)
  t.ok(
    (after?.checkpoint as { buffer?: string } | null)?.buffer === checkpoint.buffer,
    'a 1 MiB checkpoint round-trips',
  )
}

async function atAndOverLimit(t: Test, h: Harness): Promise<void> {
  const { maxValueTestBytes } = h.caps
  const { store } = await h.open(t)
  const limit = store.capabilities.maxValueBytes
  t.ok(Number.isSafeInteger(limit) && limit > 0, 'capabilities.maxValueBytes is a positive integer')
  const skip =
    limit > maxValueTestBytes
      ? `maxValueBytes (${limit}) is over maxValueTestBytes (${maxValueTestBytes})`
      : false
  await t.test('one byte over → CM_ERR_VALUE_TOO_LARGE', { skip }, (t) => oneByteOver(t, store, limit))
  await t.test('exactly maxValueBytes is accepted', { skip }, (t) => exactlyAtLimit(t, store, limit))
}

async function oneByteOver(t: Test, store: Store, limit: number): Promise<void> {
  // '€' is one UTF-16 unit but three UTF-8 bytes: `.length` stays far below the limit.
  const over = '€'.repeat(Math.floor(limit / 3) + 1)
  t.ok(
    over.length < limit && utf8Bytes(over) > limit,
    'fixture: under the limit in characters, over it in bytes',
  )
  const input = cacheInput({ value: over })
  await expectCode(t, () => store.cache.set(input), 'CM_ERR_VALUE_TOO_LARGE', 'over the limit in UTF-8 bytes')
  t.equal(await store.cache.get(NS_A, input.key), null, 'nothing stored')
}

async function exactlyAtLimit(t: Test, store: Store, limit: number): Promise<void> {
  const meta = await store.cache.set(cacheInput({ value: valueOfBytes(limit) }))
  t.equal(meta.size, limit, 'size = maxValueBytes')
}
