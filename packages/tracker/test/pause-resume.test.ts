import type { Computation, Progress, RunContext } from '@comp-manager/core'
import t from 'tap'
import { createTracker, type Tracker } from '../src/index.js'
import {
  codeOf,
  gate,
  recordingLogger,
  settle,
  storeKinds,
  type TestLike,
  until,
} from './fixtures/helpers.js'

/** Cooperative pause → checkpoint → resume, cancel, and progress; on both stores. */

const NS = 'pr'
const N = 2000

interface SumState {
  i: number
  sum: number
}

/**
 * Sums 0..n-1, checking its signal every 50 steps. On a pause it saves where it is and stops;
 * resumed, it starts from the saved index. `visited` counts the iterations executed, across runs.
 * `holdAt(i)` lets a test stop the first run at a known index (it resolves when the test is done).
 */
function summation(tracker: Tracker, name = 'sum', holdAt?: (i: number) => Promise<void> | undefined) {
  const stats = { visited: 0, startedAt: [] as number[] }
  const fn = tracker.track(
    name,
    async (n: number, ctx: RunContext) => {
      const saved = ctx.resumeState as SumState | undefined
      let { i, sum } = saved ?? { i: 0, sum: 0 }
      stats.startedAt.push(i)
      for (; i < n; i++) {
        if (i % 50 === 0) {
          await (holdAt?.(i) ?? new Promise((resolve) => setImmediate(resolve)))
          if (ctx.signal.aborted) {
            await ctx.checkpoint({ i, sum } satisfies SumState)
            ctx.signal.throwIfAborted()
          }
          ctx.progress(i / n)
        }
        sum += i
        stats.visited++
      }
      return sum
    },
    { context: true },
  )
  return { fn, stats }
}

/** Loops until its signal fires; saves the loop count when paused and goes on from it. */
function untilStopped(tracker: Tracker, name: string, options: { onDuplicate?: 'wait' } = {}) {
  return tracker.track(
    name,
    async (limit: number, ctx: RunContext) => {
      const from = (ctx.resumeState as number | undefined) ?? 0
      for (let i = from; i < limit; i++) {
        await new Promise((resolve) => setTimeout(resolve, 2))
        if (ctx.signal.aborted) {
          await ctx.checkpoint(i)
          ctx.signal.throwIfAborted()
        }
      }
      return `counted to ${limit} from ${from}`
    },
    { context: true, ...options },
  )
}

for (const kind of storeKinds) {
  t.test(kind.name, async (t) => {
    const open = (t: TestLike, over: { heartbeatMs?: number } = {}) => {
      const store = kind.open(t)
      const make = () =>
        createTracker({ store, namespace: NS, leaseMs: 600, pollMs: 5, logger: recordingLogger(), ...over })
      return { store, tracker: make(), other: make() }
    }

    t.test('pause → checkpoint → resume continues from the saved state', async (t) => {
      const { tracker } = open(t)
      const reached = gate()
      const proceed = gate()
      const { fn, stats } = summation(tracker, 'sum', (i) => {
        if (i !== 500 || stats.startedAt.length > 1) return undefined
        reached.open()
        return proceed.wait
      })
      const paused: Computation[] = []
      const resumed: Computation[] = []
      tracker.on('paused', (e) => paused.push(e.record))
      tracker.on('resumed', (e) => resumed.push(e.record))
      const started = new Promise<string>((resolve) => tracker.on('started', (e) => resolve(e.record.id)))
      const call = settle(fn(N))
      const id = await started
      await reached.wait
      // The function is held at the gate and cannot stop yet: the pause is requested, not done.
      const pausedRecord = await tracker.pause(id)
      t.equal(pausedRecord.status, 'started', 'still running: the function has not stopped')
      t.type(pausedRecord.pauseRequestedAt, 'number', 'the pause is requested')
      proceed.open()
      const first = await call
      t.match(
        first,
        { ok: false, error: { code: 'CM_ERR_PAUSED', details: { id } } },
        'the call rejects with CM_ERR_PAUSED',
      )

      const record = (await tracker.get(id))!
      t.equal(record.status, 'paused')
      t.equal(record.pauseRequestedAt, null, 'the request is honoured')
      t.equal(paused.length, 1, "one 'paused' event, when the function stopped")
      t.equal(record.leaseUntil, null, 'a stopped paused run holds no lease')
      t.type(record.pausedAt, 'number')
      t.not(record.checkpoint, null, 'the checkpoint is stored')
      t.same(await tracker.pause(id), record, 'pausing a paused run returns it')

      const total = await tracker.resume<number>(id)
      t.equal(total, (N * (N - 1)) / 2, 'the right total')
      t.equal(stats.startedAt.length, 2)
      t.equal(stats.startedAt[0], 0)
      t.equal(stats.startedAt[1], 500, 'resumed at the saved index')
      t.equal(stats.visited, N, 'every index visited exactly once across both runs')
      const done = (await tracker.get(id))!
      t.match(done, { status: 'finished', attempt: 1, id })
      t.equal((await tracker.list()).total, 1, 'the same record, not a new attempt')
      t.same(
        paused.map((r) => r.id),
        [id],
      )
      t.same(
        resumed.map((r) => r.id),
        [id],
      )
    })

    t.test('pause from another process: the run notices at its next heartbeat', async (t) => {
      const { tracker, other } = open(t, { heartbeatMs: 50 })
      const fn = untilStopped(tracker, 'remote-pause')
      const started = new Promise<string>((resolve) => tracker.on('started', (e) => resolve(e.record.id)))
      const call = settle(fn(1_000_000))
      const id = await started
      await other.pause(id)
      t.match(await call, { ok: false, error: { code: 'CM_ERR_PAUSED' } })
      t.equal((await tracker.get(id))?.status, 'paused')
      t.equal(
        await codeOf(other.resume(id)),
        'CM_ERR_NOT_FOUND',
        'a tracker that does not track the function cannot resume',
      )
      t.equal(await codeOf(tracker.cancel(id)), 'resolved')
      t.equal(await codeOf(tracker.resume(id)), 'CM_ERR_INVALID_TRANSITION', 'a cancelled run cannot resume')
    })

    t.test('a finished function ignoring a pause is recorded finished', async (t) => {
      const { tracker } = open(t)
      const release = gate()
      const fn = tracker.track('stubborn', async () => {
        await release.wait
        return 'done anyway'
      })
      const started = new Promise<string>((resolve) => tracker.on('started', (e) => resolve(e.record.id)))
      const call = fn()
      const id = await started
      await tracker.pause(id)
      release.open()
      t.equal(await call, 'done anyway')
      t.equal((await tracker.get(id))?.status, 'finished')
    })

    t.test("a 'wait' caller joined to a paused call keeps waiting and gets the resumed result", async (t) => {
      const { tracker } = open(t)
      const fn = untilStopped(tracker, 'joined', { onDuplicate: 'wait' })
      const started = new Promise<string>((resolve) => tracker.on('started', (e) => resolve(e.record.id)))
      const first = settle(fn(40))
      const joiner = settle(fn(40))
      const id = await started
      await tracker.pause(id)
      t.match(await first, { ok: false, error: { code: 'CM_ERR_PAUSED' } })
      const resumed = await tracker.resume<string>(id)
      t.match(resumed, /^counted to 40 from \d+$/)
      t.same(await joiner, { ok: true, value: resumed }, 'the joiner got the result of the resumed run')
    })

    t.test("a 'wait' caller joined to a paused call sees a cancel", async (t) => {
      const { tracker } = open(t)
      const fn = untilStopped(tracker, 'joined-cancel', { onDuplicate: 'wait' })
      const started = new Promise<string>((resolve) => tracker.on('started', (e) => resolve(e.record.id)))
      const first = settle(fn(1_000_000))
      const joiner = settle(fn(1_000_000))
      const id = await started
      await tracker.pause(id)
      t.match(await first, { ok: false, error: { code: 'CM_ERR_PAUSED' } })
      await tracker.cancel(id, 'changed my mind')
      t.match(await joiner, { ok: false, error: { code: 'CM_ERR_CANCELLED' } })
    })

    t.test('resume and pause refuse what the state machine refuses', async (t) => {
      const { tracker } = open(t)
      const fn = tracker.track('quick', async () => 1)
      await fn()
      const id = (await tracker.list()).data[0]!.id
      t.equal(await codeOf(tracker.pause(id)), 'CM_ERR_INVALID_TRANSITION')
      t.equal(await codeOf(tracker.resume(id)), 'CM_ERR_INVALID_TRANSITION')
      t.equal(await codeOf(tracker.cancel(id)), 'CM_ERR_INVALID_TRANSITION')
      t.equal(await codeOf(tracker.pause('no-such-id')), 'CM_ERR_NOT_FOUND')
      t.equal(await codeOf(tracker.resume('no-such-id')), 'CM_ERR_NOT_FOUND')
      t.equal(await codeOf(tracker.cancel('no-such-id')), 'CM_ERR_NOT_FOUND')
      const release = gate()
      const blocked = tracker.track('blocked', async () => release.wait)
      const started = new Promise<string>((resolve) => tracker.on('started', (e) => resolve(e.record.id)))
      const call = blocked()
      const running = await started
      t.equal(
        await codeOf(tracker.resume(running)),
        'CM_ERR_ALREADY_RUNNING',
        'a started run cannot be resumed',
      )
      release.open()
      await call
    })

    t.test('cancel a running call: it rejects with CM_ERR_CANCELLED, the record is failed', async (t) => {
      const { tracker } = open(t)
      const failed: unknown[] = []
      tracker.on('failed', (e) => failed.push(e.error))
      let sawAbort: unknown
      const fn = tracker.track(
        'cancellable',
        async (ctx: RunContext) => {
          await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()))
          sawAbort = ctx.signal.reason
          ctx.signal.throwIfAborted()
        },
        { context: true },
      )
      const started = new Promise<string>((resolve) => tracker.on('started', (e) => resolve(e.record.id)))
      const call = settle(fn())
      const id = await started
      const cancelled = await tracker.cancel(id, 'no longer needed')
      t.match(cancelled, {
        status: 'failed',
        error: { name: 'CancelledError', code: 'CM_ERR_CANCELLED', message: 'no longer needed' },
      })
      t.match(await call, { ok: false, error: { code: 'CM_ERR_CANCELLED', details: { id } } })
      t.match(sawAbort, { code: 'CM_ERR_CANCELLED' }, 'the signal fired with the reason')
      t.match((await tracker.get(id))?.error, { name: 'CancelledError', code: 'CM_ERR_CANCELLED' })
      t.match(failed, [{ code: 'CM_ERR_CANCELLED' }], 'one failed event, from cancel')
    })

    t.test('cancel from another process: noticed at the next heartbeat', async (t) => {
      const { tracker, other } = open(t, { heartbeatMs: 50 })
      const fn = tracker.track(
        'remote-cancel',
        async (ctx: RunContext) => {
          for (;;) {
            await new Promise((resolve) => setTimeout(resolve, 5))
            ctx.signal.throwIfAborted()
          }
        },
        { context: true },
      )
      const started = new Promise<string>((resolve) => tracker.on('started', (e) => resolve(e.record.id)))
      const call = settle(fn())
      const id = await started
      await other.cancel(id)
      t.match(await call, { ok: false, error: { code: 'CM_ERR_CANCELLED' } })
      t.equal((await tracker.get(id))?.status, 'failed')
    })

    t.test('cancel a paused run', async (t) => {
      const { tracker } = open(t)
      const fn = untilStopped(tracker, 'pause-then-cancel')
      const started = new Promise<string>((resolve) => tracker.on('started', (e) => resolve(e.record.id)))
      const call = settle(fn(1_000_000))
      const id = await started
      await tracker.pause(id)
      await call
      t.match(await tracker.cancel(id), { status: 'failed', error: { code: 'CM_ERR_CANCELLED' } })
    })

    t.test('progress and messages: stored, and emitted as progress events', async (t) => {
      const { tracker } = open(t, { heartbeatMs: 50 })
      const seen: { progress: Progress | null; message: string | null }[] = []
      tracker.on('progress', (e) => seen.push({ progress: e.progress, message: e.message }))
      const fn = tracker.track(
        'reporting',
        async (ctx: RunContext) => {
          ctx.progress(0.25)
          ctx.message('loading')
          await until(() => seen.length > 0, 'a first progress event')
          ctx.progress(1, 'done')
          ctx.message('finished loading')
          return 'ok'
        },
        { context: true },
      )
      t.equal(await fn(), 'ok')
      const record = (await tracker.list()).data[0]!
      t.same(record.progress, { fraction: 1, note: 'done' }, 'the last progress is stored')
      t.equal(record.message, 'finished loading')
      t.same(seen[0], { progress: { fraction: 0.25 }, message: 'loading' })
      t.same(seen.at(-1), { progress: { fraction: 1, note: 'done' }, message: 'finished loading' })
      const bad = tracker.track('bad-progress', async (ctx: RunContext) => ctx.progress(2), { context: true })
      t.equal(await codeOf(bad()), 'CM_ERR_INVALID_ARGUMENT', 'progress outside 0..1 is an error')
    })
  })
}
