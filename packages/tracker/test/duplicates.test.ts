import type { Store } from '@comp-manager/core'
import t from 'tap'
import { createTracker, type OnDuplicate, type Tracker } from '../src/index.js'
import {
  codeOf,
  foreignRun,
  gate,
  recordingLogger,
  settle,
  storeKinds,
  type TestLike,
} from './fixtures/helpers.js'

/**
 * Every cell of the onDuplicate table, on both stores. "Another process" is a second tracker on the
 * same store (trackers share nothing but the store), or a run claimed directly in the store that
 * nobody heartbeats (a dead process).
 *
 * | latest run of the hash | 'throw'                 | 'wait'                        | 'rerun'            | 'return'            |
 * | none, failed, lost     | run                     | run                           | run (new attempt)  | run                 |
 * | live                   | CM_ERR_ALREADY_RUNNING  | wait → result / error / LOST  | ALREADY_RUNNING    | ALREADY_RUNNING     |
 * | finished               | CM_ERR_ALREADY_FINISHED | stored result (rerun if none) | run (new attempt)  | stored result (…)   |
 */

const policies: OnDuplicate[] = ['throw', 'wait', 'rerun', 'return']
const NS = 'dup'

for (const kind of storeKinds) {
  t.test(kind.name, async (t) => {
    const open = (t: TestLike) => {
      const store = kind.open(t)
      const make = () =>
        createTracker({ store, namespace: NS, leaseMs: 1000, pollMs: 5, logger: recordingLogger() })
      return { store, tracker: make(), other: make() }
    }

    /** A tracked function that counts its executions (and can be made to fail or block). */
    const counted = (
      tracker: Tracker,
      onDuplicate: OnDuplicate,
      behaviour: { fail?: unknown; block?: Promise<void> } = {},
    ) => {
      const state = { runs: 0 }
      const fn = tracker.track(
        'job',
        async (n: number) => {
          state.runs++
          if (behaviour.block) await behaviour.block
          if (behaviour.fail !== undefined) throw behaviour.fail
          return { n, square: n * n }
        },
        { onDuplicate },
      )
      return { fn, state }
    }

    const attempts = async (store: Store) =>
      (await store.computations.list({ namespace: NS, sort: 'createdAt' })).data.map((r) => [
        r.attempt,
        r.status,
      ])

    t.test('none → every policy runs', async (t) => {
      for (const policy of policies) {
        const { tracker, store } = open(t)
        const { fn, state } = counted(tracker, policy)
        t.same(await fn(3), { n: 3, square: 9 }, policy)
        t.equal(state.runs, 1)
        t.same(await attempts(store), [[1, 'finished']])
      }
    })

    t.test('failed → every policy runs a new attempt', async (t) => {
      for (const policy of policies) {
        const { tracker, store } = open(t)
        const failing = counted(tracker, policy, { fail: new Error('first try fails') })
        t.equal(await codeOf(failing.fn(3)), 'uncoded: Error: first try fails')
        const { fn, state } = counted(tracker, policy)
        t.same(await fn(3), { n: 3, square: 9 }, policy)
        t.equal(state.runs, 1)
        t.same(await attempts(store), [
          [1, 'failed'],
          [2, 'finished'],
        ])
      }
    })

    t.test('lost → every policy runs a new attempt', async (t) => {
      for (const policy of policies) {
        const { tracker, store } = open(t)
        const { fn, state } = counted(tracker, policy)
        const dead = await foreignRun(store, { namespace: NS, functionFull: 'job', hash: fn.hashOf(3) })
        await store.computations.update(NS, dead.id, 'started', { status: 'lost' })
        t.same(await fn(3), { n: 3, square: 9 }, policy)
        t.equal(state.runs, 1)
        t.same(await attempts(store), [
          [1, 'lost'],
          [2, 'finished'],
        ])
      }
    })

    t.test('an expired lease counts as lost: the claim replaces it', async (t) => {
      const { tracker, store } = open(t)
      const { fn } = counted(tracker, 'throw')
      await foreignRun(store, { namespace: NS, functionFull: 'job', hash: fn.hashOf(3), leaseMs: 1 })
      await new Promise((resolve) => setTimeout(resolve, 5))
      t.same(await fn(3), { n: 3, square: 9 })
      t.same(await attempts(store), [
        [1, 'lost'],
        [2, 'finished'],
      ])
    })

    t.test("live (another process) → ALREADY_RUNNING for 'throw', 'rerun', 'return'", async (t) => {
      for (const status of ['started', 'paused'] as const) {
        const { tracker, store } = open(t)
        const live = await foreignRun(store, {
          namespace: NS,
          functionFull: 'job',
          hash: counted(tracker, 'throw').fn.hashOf(3),
        })
        if (status === 'paused') await store.computations.update(NS, live.id, 'started', { status: 'paused' })
        for (const policy of ['throw', 'rerun', 'return'] as const) {
          const { fn, state } = counted(tracker, policy)
          const result = await settle(fn(3))
          t.match(
            result,
            { ok: false, error: { code: 'CM_ERR_ALREADY_RUNNING', details: { id: live.id } } },
            `${status}/${policy}`,
          )
          t.equal(state.runs, 0)
        }
      }
    })

    t.test("live → 'wait' gets the result of the other process's run", async (t) => {
      const { tracker, other, store } = open(t)
      const release = gate()
      const running = counted(other, 'wait', { block: release.wait })
      const first = running.fn(4)
      const id = (await new Promise<string>((resolve) =>
        other.on('started', (e) => resolve(e.record.id)),
      )) as string
      const waiting = counted(tracker, 'wait')
      const second = waiting.fn(4)
      await new Promise((resolve) => setTimeout(resolve, 30))
      release.open()
      t.same(await first, { n: 4, square: 16 })
      t.same(await second, { n: 4, square: 16 }, 'the waiter got the stored result')
      t.equal(running.state.runs + waiting.state.runs, 1, 'one execution')
      t.same(await attempts(store), [[1, 'finished']])
      t.equal((await store.computations.get(NS, id))?.result?.cacheKey, running.fn.hashOf(4))
    })

    t.test("live → 'wait' gets the other run's error rethrown", async (t) => {
      const { tracker, other } = open(t)
      const release = gate()
      class Domain extends Error {
        override name = 'DomainError'
        code = 'E_DOMAIN'
      }
      const running = counted(other, 'wait', { block: release.wait, fail: new Domain('bad input') })
      const first = settle(running.fn(5))
      await new Promise<void>((resolve) => other.on('started', () => resolve()))
      const second = settle(counted(tracker, 'wait').fn(5))
      await new Promise((resolve) => setTimeout(resolve, 30))
      release.open()
      const [a, b] = await Promise.all([first, second])
      t.match(a, { ok: false, error: { name: 'DomainError', message: 'bad input' } })
      t.match(
        b,
        { ok: false, error: { name: 'DomainError', message: 'bad input', code: 'E_DOMAIN' } },
        'rebuilt from the record',
      )
    })

    t.test(
      "live but dead (lease runs out) → 'wait' gets CM_ERR_LOST; the next call runs again",
      async (t) => {
        const { tracker, store } = open(t)
        const { fn, state } = counted(tracker, 'wait')
        const dead = await foreignRun(store, {
          namespace: NS,
          functionFull: 'job',
          hash: fn.hashOf(6),
          leaseMs: 150,
        })
        const lostEvents: string[] = []
        tracker.on('lost', (e) => lostEvents.push(e.record.id))
        const result = await settle(fn(6))
        t.match(result, { ok: false, error: { code: 'CM_ERR_LOST', details: { id: dead.id } } })
        t.equal(state.runs, 0)
        t.equal((await store.computations.get(NS, dead.id))?.status, 'lost', 'the waiter marked it lost')
        t.same(lostEvents, [dead.id])
        t.same(await fn(6), { n: 6, square: 36 })
        t.same(await attempts(store), [
          [1, 'lost'],
          [2, 'finished'],
        ])
      },
    )

    t.test("live → 'wait' with timeoutMs gives CM_ERR_TIMEOUT", async (t) => {
      const { tracker, store } = open(t)
      const fn = tracker.track('job', async (n: number) => n, { onDuplicate: 'wait', timeoutMs: 60 })
      await foreignRun(store, { namespace: NS, functionFull: 'job', hash: fn.hashOf(1) })
      t.equal(await codeOf(fn(1)), 'CM_ERR_TIMEOUT')
    })

    t.test("finished → 'throw' gives ALREADY_FINISHED", async (t) => {
      const { tracker } = open(t)
      const { fn, state } = counted(tracker, 'throw')
      await fn(2)
      const result = await settle(fn(2))
      t.match(result, { ok: false, error: { code: 'CM_ERR_ALREADY_FINISHED' } })
      t.equal(state.runs, 1)
    })

    t.test("finished → 'wait' and 'return' give the stored result without running", async (t) => {
      for (const policy of ['wait', 'return'] as const) {
        const { tracker, other, store } = open(t)
        const first = counted(other, policy)
        await first.fn(7)
        const { fn, state } = counted(tracker, policy)
        t.same(await fn(7), { n: 7, square: 49 }, policy)
        t.equal(state.runs, 0, `${policy}: not run again`)
        t.same(await attempts(store), [[1, 'finished']])
      }
    })

    t.test("finished without a stored result → 'wait' and 'return' run again", async (t) => {
      for (const policy of ['wait', 'return'] as const) {
        const { tracker, store } = open(t)
        const first = counted(tracker, policy)
        await first.fn(8)
        t.ok(
          await store.cache.delete(NS, first.fn.hashOf(8)),
          'the stored result is gone (evicted, invalidated)',
        )
        t.same(await first.fn(8), { n: 8, square: 64 }, policy)
        t.equal(first.state.runs, 2)
        t.same(await attempts(store), [
          [1, 'finished'],
          [2, 'finished'],
        ])
        const noStore = tracker.track('plain', async () => 'v', { onDuplicate: policy, storeResult: false })
        await noStore()
        await noStore()
        t.equal((await tracker.list({ function: 'plain' })).total, 2, `${policy}, storeResult false: reruns`)
      }
    })

    t.test("finished → 'rerun' runs a new attempt; history is kept", async (t) => {
      const { tracker, store } = open(t)
      const { fn, state } = counted(tracker, 'rerun')
      await fn(9)
      await fn(9)
      await fn(9)
      t.equal(state.runs, 3)
      t.same(await attempts(store), [
        [1, 'finished'],
        [2, 'finished'],
        [3, 'finished'],
      ])
    })

    t.test('the default is rerun', async (t) => {
      const { tracker } = open(t)
      const fn = tracker.track('default', async () => 1)
      await fn()
      await fn()
      t.equal((await tracker.list()).total, 2)
    })

    t.test("in one process, identical 'wait' calls share one in-flight call", async (t) => {
      const { tracker, store } = open(t)
      const release = gate()
      const { fn, state } = counted(tracker, 'wait', { block: release.wait })
      const calls = [fn(10), fn(10), fn(10)]
      release.open()
      const results = await Promise.all(calls)
      t.equal(state.runs, 1)
      t.equal(results[0], results[1], 'the very same result object')
      t.equal(results[1], results[2])
      t.same(await attempts(store), [[1, 'finished']])

      const failure = new Error('shared failure')
      const failing = counted(tracker, 'wait', { fail: failure })
      const outcomes = await Promise.all([settle(failing.fn(11)), settle(failing.fn(11))])
      t.equal(failing.state.runs, 1)
      t.equal(outcomes[0].ok ? 0 : outcomes[0].error, failure)
      t.equal(outcomes[1].ok ? 1 : outcomes[1].error, failure, 'the very same error object')
    })

    t.test(
      "in one process, an identical call while one runs: ALREADY_RUNNING for 'throw', 'rerun', 'return'",
      async (t) => {
        for (const policy of ['throw', 'rerun', 'return'] as const) {
          const { tracker } = open(t)
          const release = gate()
          const { fn, state } = counted(tracker, policy, { block: release.wait })
          const first = fn(12)
          t.equal(await codeOf(fn(12)), 'CM_ERR_ALREADY_RUNNING', policy)
          release.open()
          await first
          t.equal(state.runs, 1)
        }
      },
    )
  })
}
