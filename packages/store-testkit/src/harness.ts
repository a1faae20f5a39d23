import { CacheEntryMetaSchema, ComputationSchema, type Store } from '@comp-manager/core'
import type { Test } from 'tap'
import { createManualClock, type ManualClock } from './clock.js'
import type { MakeStore, ResolvedCapabilities } from './options.js'

/** What every group receives: the capabilities and a way to open a fresh store per subtest. */
export interface Harness {
  readonly caps: ResolvedCapabilities
  /** A fresh store (and its clock) for subtest `t`, closed in `t`'s teardown. */
  open(t: Test): Promise<Opened>
}

export interface Opened {
  store: Store
  clock: ManualClock
}

export function createHarness(makeStore: MakeStore, caps: ResolvedCapabilities): Harness {
  return {
    caps,
    async open(t) {
      const clock = createManualClock()
      const store = await makeStore({ clock, t })
      t.teardown(() => store.close())
      return { store, clock }
    },
  }
}

/**
 * Asserts that `action()` returns a promise that rejects with an error whose `code` is `code`.
 * A synchronous throw fails too: every Store method must reject, never throw.
 */
export async function expectCode(
  t: Test,
  action: () => unknown,
  code: string,
  message: string,
): Promise<void> {
  let pending: unknown
  try {
    pending = action()
  } catch (err) {
    t.fail(`${message}: threw synchronously (${describe(err)}) instead of rejecting with ${code}`)
    return
  }
  if (!(pending instanceof Promise)) {
    t.fail(`${message}: did not return a promise`)
    return
  }
  try {
    await pending
    t.fail(`${message}: resolved, expected a rejection with ${code}`)
  } catch (err) {
    t.equal((err as { code?: unknown } | null)?.code, code, message, { error: describe(err) })
  }
}

function describe(err: unknown): string {
  if (err instanceof Error) return `${err.name}${'code' in err ? ` ${String(err.code)}` : ''}: ${err.message}`
  return String(err)
}

/** The `skip` option of a subtest that moves time: a reason when the store ignores the injected clock. */
export const clockSkip = (h: Harness): string | false =>
  h.caps.supportsInjectedClock ? false : 'needs a store that reads the injected clock'

/**
 * A timestamp the store wrote: exactly `expected` when the store reads the injected clock,
 * otherwise any finite number ≥ 0 (the store uses its own time).
 */
export function expectTime(t: Test, h: Harness, actual: unknown, expected: number, message: string): void {
  if (h.caps.supportsInjectedClock) t.equal(actual, expected, message)
  else t.ok(typeof actual === 'number' && Number.isFinite(actual) && actual >= 0, message)
}

/** JSON text with object keys sorted: compares data trees exactly, own `__proto__` keys included. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, node: unknown) => {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return node
    const sorted: Record<string, unknown> = Object.create(null)
    for (const key of Object.keys(node).sort()) sorted[key] = (node as Record<string, unknown>)[key]
    return sorted
  })
}

/** Asserts two JSON trees are equal whatever the key order of their objects. */
export function sameJson(t: Test, actual: unknown, expected: unknown, message: string): void {
  t.equal(canonicalJson(actual), canonicalJson(expected), message)
}

const computationFields = Object.keys(ComputationSchema.properties).sort()
const cacheMetaFields = Object.keys(CacheEntryMetaSchema.properties).sort()

/** Asserts a computation has exactly the fields of `ComputationSchema` (no `_id`, no extras). */
export function hasComputationFields(
  t: Test,
  record: object,
  message = 'exactly the fields of a computation',
): void {
  t.same(Object.keys(record).sort(), computationFields, message)
}

/** Asserts a cache entry has exactly the meta fields, plus `value` when `withValue`. */
export function hasCacheFields(t: Test, entry: object, withValue: boolean, message?: string): void {
  const expected = withValue ? [...cacheMetaFields, 'value'].sort() : cacheMetaFields
  t.same(
    Object.keys(entry).sort(),
    expected,
    message ?? `exactly the fields of a cache entry${withValue ? '' : ' meta'}`,
  )
}
