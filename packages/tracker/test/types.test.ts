import { MemoryStore, type RunContext } from '@comp-manager/core'
import t from 'tap'
import { createTracker, type TrackedFunction, type TrackerEvents } from '../src/index.js'

/**
 * Type tests: checked by `tsc -p tsconfig.json` (the package's typecheck, which includes test/), where
 * every `@ts-expect-error` must be an error. At run time they only need to load.
 */

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false
const expectType = <T extends true>(_ok: T) => {}

const store = new MemoryStore()
const tracker = createTracker({ store, namespace: 'types' })

// Same parameters, always async, same (awaited) result.
const add = tracker.track('add', (a: number, b: number) => a + b)
expectType<Equal<typeof add, TrackedFunction<[number, number], number, unknown>>>(true)
expectType<Equal<ReturnType<typeof add>, Promise<number>>>(true)
expectType<Equal<Parameters<typeof add>, [a: number, b: number]>>(true)
// @ts-expect-error a string is not a number
void (() => add(1, '2'))
// @ts-expect-error too few arguments
void (() => add(1))

const asyncFn = tracker.track('async', async (s: string, opt?: { deep: boolean }) => ({ s, opt }))
expectType<Equal<ReturnType<typeof asyncFn>, Promise<{ s: string; opt: { deep: boolean } | undefined }>>>(
  true,
)
void (() => asyncFn('x'))

// With { context: true } the context is the last parameter of fn, and callers do not pass it.
const withCtx = tracker.track('ctx', async (n: bigint, ctx: RunContext) => ctx.id + n, { context: true })
expectType<Equal<Parameters<typeof withCtx>, [n: bigint]>>(true)
expectType<Equal<ReturnType<typeof withCtx>, Promise<string>>>(true)
// @ts-expect-error the context is not passed by callers
void (() => withCtx(1n, {} as RunContext))
const onlyCtx = tracker.track('only-ctx', (ctx: RunContext) => ctx.resumeState, { context: true })
expectType<Equal<Parameters<typeof onlyCtx>, []>>(true)

// `this` is kept.
const method = tracker.track('method', function (this: { k: number }, n: number) {
  return this.k * n
})
const holder = { k: 2, method }
void (() => holder.method(3))
// @ts-expect-error wrong `this`
void (() => method(3))

// hashOf takes the call's arguments.
expectType<Equal<Parameters<typeof add.hashOf>, [number, number]>>(true)

// Events are typed.
tracker.on('finished', (e) => {
  expectType<Equal<typeof e, TrackerEvents['finished']>>(true)
  void e.record.status
})
// @ts-expect-error unknown event
tracker.on('done', () => {})
// @ts-expect-error wrong payload
tracker.on('lost', (e: { value: number }) => e)

// Options are typed.
// @ts-expect-error not a policy
void (() => tracker.track('x', () => 1, { onDuplicate: 'ignore' }))

// The decorator only fits methods returning promises (a tracked call is always async).
class Service {
  @tracker.tracked()
  async ok(n: number): Promise<number> {
    return n
  }
  // @ts-expect-error a synchronous method cannot be tracked: its callers would get a promise
  @tracker.tracked()
  sync(n: number): number {
    return n
  }
}
void Service

t.pass('the type tests compile')
store.close()
