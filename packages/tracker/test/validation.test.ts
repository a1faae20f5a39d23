import { Codec, MemoryStore } from '@comp-manager/core'
import t from 'tap'
import { createTracker } from '../src/index.js'
import { recordingLogger } from './fixtures/helpers.js'

/** Bad input fails at once, with CM_ERR_INVALID_ARGUMENT naming the option: at creation and at track(). */

const store = new MemoryStore()
t.teardown(() => store.close())
const logger = recordingLogger()

interface Asserts {
  fail(message: string): unknown
  match(found: unknown, wanted: unknown, message: string): unknown
}

const fails = (t: Asserts, fn: () => unknown, option: string, message: RegExp, label?: string) => {
  try {
    fn()
    t.fail(`${label ?? option}: did not throw`)
  } catch (err) {
    t.match(err, { code: 'CM_ERR_INVALID_ARGUMENT', details: { option }, message }, label ?? option)
  }
}

t.test('createTracker', async (t) => {
  const ok = { store, namespace: 'ns', logger }
  t.ok(createTracker(ok), 'minimal options')
  try {
    createTracker(undefined as never)
    t.fail('no options')
  } catch (err) {
    t.match(err, { code: 'CM_ERR_INVALID_ARGUMENT', message: /options must be an object/ })
  }
  fails(t, () => createTracker({ namespace: 'ns' } as never), 'store', /`store` is required/)
  fails(t, () => createTracker({ ...ok, store: {} as never }), 'store', /lacks computations.claim\(\)/)
  const noCache = { computations: store.computations } as never
  fails(t, () => createTracker({ ...ok, store: noCache }), 'store', /lacks cache.get\(\)/)
  fails(t, () => createTracker({ store, logger } as never), 'namespace', /`namespace` is required/)
  fails(t, () => createTracker({ ...ok, namespace: 'has space' }), 'namespace', /namespace/)
  fails(t, () => createTracker({ ...ok, owner: 42 as never }), 'owner', /string/)
  fails(t, () => createTracker({ ...ok, clock: 'now' as never }), 'clock', /function/)
  fails(t, () => createTracker({ ...ok, leaseMs: 0 }), 'leaseMs', /integer number of milliseconds from 10/)
  fails(t, () => createTracker({ ...ok, leaseMs: 1.5 }), 'leaseMs', /integer/, 'leaseMs fractional')
  fails(t, () => createTracker({ ...ok, leaseMs: Number.NaN }), 'leaseMs', /NaN/, 'leaseMs NaN')
  fails(
    t,
    () => createTracker({ ...ok, leaseMs: 1000, heartbeatMs: 1000 }),
    'heartbeatMs',
    /below leaseMs \(1000\)/,
  )
  fails(
    t,
    () => createTracker({ ...ok, heartbeatMs: 40_000 }),
    'heartbeatMs',
    /below leaseMs \(30000\)/,
    'default lease',
  )
  fails(t, () => createTracker({ ...ok, pollMs: -1 }), 'pollMs', /milliseconds/)
  fails(t, () => createTracker({ ...ok, codec: {} as never }), 'codec', /Codec/)
  fails(
    t,
    () => createTracker({ ...ok, logger: { error() {} } as never }),
    'logger',
    /error\(\) and warn\(\)/,
  )
  fails(t, () => createTracker({ ...ok, sweepIntervalMs: 0 }), 'sweepIntervalMs', /milliseconds/)
  fails(t, () => createTracker({ ...ok, retry: 3 as never }), 'retry', /object/)
  fails(
    t,
    () => createTracker({ ...ok, lease: 100 } as never),
    'lease',
    /is not an option \(expected one of store, namespace/,
  )
  t.ok(
    createTracker({ ...ok, codec: new Codec(), owner: null, leaseMs: 10, heartbeatMs: 3 }),
    'boundaries accepted',
  )
})

t.test('track', async (t) => {
  const tracker = createTracker({ store, namespace: 'ns', logger, leaseMs: 900 })
  const fn = async () => 1
  const badTrack = (name: unknown, f: unknown, options?: unknown) => () =>
    tracker.track(name as string, f as () => unknown, options as never)

  fails(t, badTrack('x', 42), 'fn', /fn must be a function \(got number\)/, 'non-function')
  fails(t, badTrack('x', undefined), 'fn', /fn must be a function/, 'missing function')
  fails(t, badTrack('', fn), 'name', /name must be a non-empty string/, 'empty name')
  fails(t, badTrack('   ', fn), 'name', /non-empty/, 'blank name')
  fails(t, badTrack(undefined, fn), 'name', /non-empty/, 'no name')
  fails(t, badTrack('x'.repeat(513), fn), 'name', /at most 512/, 'long name')
  fails(t, badTrack('x', fn, 'wait'), 'options', /options must be an object, got "wait"/)
  fails(
    t,
    badTrack('x', fn, { onDuplicate: 'ignore' }),
    'onDuplicate',
    /one of throw, wait, rerun, return \(got "ignore"\)/,
  )
  fails(t, badTrack('x', fn, { functionFull: '' }), 'functionFull', /non-empty/)
  fails(t, badTrack('x', fn, { version: {} }), 'version', /string .* or a finite number/)
  fails(t, badTrack('x', fn, { version: Number.POSITIVE_INFINITY }), 'version', /finite/, 'version Infinity')
  fails(t, badTrack('x', fn, { leaseMs: -5 }), 'leaseMs', /milliseconds/)
  fails(t, badTrack('x', fn, { leaseMs: 600, heartbeatMs: 600 }), 'heartbeatMs', /below leaseMs \(600\)/)
  fails(t, badTrack('x', fn, { storeResult: 'yes' }), 'storeResult', /boolean/)
  fails(t, badTrack('x', fn, { resultTtlMs: 0 }), 'resultTtlMs', /milliseconds/)
  fails(t, badTrack('x', fn, { timeoutMs: '1 s' }), 'timeoutMs', /milliseconds/)
  fails(t, badTrack('x', fn, { context: 1 }), 'context', /boolean/)
  fails(t, badTrack('x', fn, { onDuplcate: 'wait' }), 'onDuplcate', /is not an option/, 'a typo')
  t.ok(tracker.track('x', fn, { version: 2, resultTtlMs: null, leaseMs: 60 }), 'valid options')
})

t.test('pause/resume/cancel/on arguments', async (t) => {
  const tracker = createTracker({ store, namespace: 'ns', logger })
  fails(t, () => tracker.on('finished', 'nope' as never), 'listener', /function/)
  await t.rejects(tracker.cancel('id', 42 as never), { code: 'CM_ERR_INVALID_ARGUMENT' })
})
