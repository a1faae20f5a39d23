import { hostname } from 'node:os'
import { type Computation, decode, hashKey, type RunContext } from '@comp-manager/core'
import t from 'tap'
import { createTracker, currentRun, type TrackerEvents } from '../src/index.js'
import { recordingLogger, settle, storeKinds } from './fixtures/helpers.js'

/** Lifecycle of single calls: statuses, what a record holds, errors passed through unchanged. */

for (const kind of storeKinds) {
  t.test(kind.name, async (t) => {
    const setup = (t: Parameters<typeof kind.open>[0]) => {
      const store = kind.open(t)
      const logger = recordingLogger()
      const tracker = createTracker({ store, namespace: 'tests', owner: 'ada', leaseMs: 1000, logger })
      t.teardown(() => tracker.close())
      const events: { name: keyof TrackerEvents; record?: Computation }[] = []
      for (const name of ['started', 'finished', 'failed'] as const) {
        tracker.on(name, (payload) => events.push({ name, record: payload.record }))
      }
      return { store, tracker, logger, events }
    }

    t.test('a call that returns is recorded started → finished', async (t) => {
      const { tracker, logger, events } = setup(t)
      const add = tracker.track('add', async (a: number, b: number) => a + b, { functionFull: 'math/add' })
      t.equal(await add(2, 3), 5)
      const { data } = await tracker.list({ function: 'math/add' })
      t.equal(data.length, 1)
      const record = data[0]!
      t.match(record, {
        namespace: 'tests',
        name: 'add',
        function: 'add',
        functionFull: 'math/add',
        status: 'finished',
        attempt: 1,
        pid: process.pid,
        host: hostname(),
        owner: 'ada',
        error: null,
        result: null,
        leaseUntil: null,
        hash: hashKey({ fn: 'math/add', args: [2, 3] }).key,
        hashAlgorithm: 'sha256',
      })
      t.same(record.args, [2, 3])
      t.type(record.startedAt, 'number')
      t.ok(record.finishedAt! >= record.startedAt!, 'finishedAt after startedAt')
      t.equal(add.hashOf(2, 3), record.hash, 'hashOf gives the record hash')
      t.equal(add.functionFull, 'math/add')
      t.same(
        events.map((e) => [e.name, e.record?.id]),
        [
          ['started', record.id],
          ['finished', record.id],
        ],
      )
      t.same(logger.errors, [])
    })

    t.test('a call that throws is recorded failed; the caller gets the very same error', async (t) => {
      const { tracker, events } = setup(t)
      class Overflow extends Error {
        code = 'E_OVERFLOW'
      }
      const thrown = new Overflow('too big')
      const boom = tracker.track('boom', async (_n: number) => {
        throw thrown
      })
      const result = await settle(boom(1))
      t.equal(result.ok ? undefined : result.error, thrown, 'the same object')
      const record = (await tracker.list()).data[0]!
      t.equal(record.status, 'failed')
      t.match(record.error, { name: 'Error', message: 'too big', code: 'E_OVERFLOW' })
      t.match(record.error?.stack, /too big/)
      t.same(
        events.map((e) => e.name),
        ['started', 'failed'],
      )
    })

    t.test('throwing non-Error values: recorded as NonError, rethrown unchanged', async (t) => {
      const { tracker } = setup(t)
      const payload = { reason: 'nope', n: 1n }
      const cases: [string, unknown, string][] = [
        ['a string', 'plain string', 'plain string'],
        ['an object', payload, '{"reason":"nope","n":"1n"}'],
        ['undefined', undefined, 'undefined'],
        ['null', null, 'null'],
        ['a number', 42, '42'],
      ]
      for (const [label, value, message] of cases) {
        const fn = tracker.track(`throws ${label}`, async () => {
          throw value
        })
        const result = await settle(fn())
        t.notOk(result.ok, `${label}: rejects`)
        t.equal(result.ok ? 'resolved' : result.error, value, `${label}: the very same value`)
        const record = (await tracker.list({ function: `throws ${label}` })).data[0]!
        t.equal(record.status, 'failed', `${label}: failed`)
        t.same(record.error, { name: 'NonError', message }, `${label}: recorded`)
      }
    })

    t.test('a synchronous function: always async, same statuses', async (t) => {
      const { tracker } = setup(t)
      const double = tracker.track('double', (n: number) => n * 2)
      const pending = double(21)
      t.type(pending, Promise)
      t.equal(await pending, 42)
      const err = new RangeError('negative')
      const strict = tracker.track('strict', (n: number) => {
        if (n < 0) throw err
        return n
      })
      const result = await settle(strict(-1))
      t.equal(result.ok ? undefined : result.error, err, 'a synchronous throw rejects with the same error')
      t.same(
        (await tracker.list()).data.map((r) => [r.function, r.status]),
        [
          ['strict', 'failed'],
          ['double', 'finished'],
        ],
      )
    })

    t.test('arguments with BigInt, Map, Date are recorded (codec-encoded) and decode back', async (t) => {
      const { tracker } = setup(t)
      const when = new Date('2024-02-29T12:00:00.000Z')
      const table = new Map<string, bigint>([
        ['a', 2n ** 70n],
        ['b', -1n],
      ])
      const seen: unknown[] = []
      const fn = tracker.track(
        'rich',
        async (n: bigint, m: Map<string, bigint>, d: Date, opt?: { deep: Set<number> }) => {
          seen.push(n, m, d, opt)
          return n
        },
      )
      t.equal(await fn(10n ** 30n, table, when, { deep: new Set([3, 1]) }), 10n ** 30n)
      const record = (await tracker.list()).data[0]!
      const args = decode(record.args) as unknown[]
      t.same(
        args,
        [10n ** 30n, table, when, { deep: new Set([3, 1]) }],
        'decoded args equal the call arguments',
      )
      t.type(args[1], Map)
      t.type(args[2], Date)
      t.equal((args[2] as Date).getTime(), when.getTime())
      t.equal(typeof args[0], 'bigint')
      t.equal(seen[1], table, 'the function got the caller’s own objects')
      t.equal(
        record.hash,
        fn.hashOf(10n ** 30n, table, when, { deep: new Set([1, 3]) }),
        'Set order does not matter',
      )
    })

    t.test('an argument the codec cannot encode: rejected before anything is recorded', async (t) => {
      const { tracker } = setup(t)
      let ran = false
      const fn = tracker.track('takes-fn', async (_f: () => void) => {
        ran = true
      })
      const result = await settle(fn(() => {}))
      t.match(result, { ok: false, error: { code: 'CM_ERR_UNSUPPORTED_TYPE' } })
      t.notOk(ran)
      t.equal((await tracker.list()).total, 0)
    })

    t.test('`this` is passed through; the context as the last parameter and via current()', async (t) => {
      const { tracker } = setup(t)
      const counter = {
        factor: 3,
        times: tracker.track('times', function (this: { factor: number }, n: number) {
          return this.factor * n
        }),
      }
      t.equal(await counter.times(5), 15)

      let seenCtx: RunContext | undefined
      let seenCurrent: RunContext | undefined
      const withCtx = tracker.track(
        'with-ctx',
        async (n: number, ctx: RunContext) => {
          seenCtx = ctx
          await Promise.resolve()
          seenCurrent = tracker.current()
          return `${n}:${ctx.id}`
        },
        { context: true },
      )
      const out = await withCtx(7)
      const record = (await tracker.list({ function: 'with-ctx' })).data[0]!
      t.equal(out, `7:${record.id}`)
      t.equal(seenCurrent, seenCtx, 'tracker.current() is the same context')
      t.same(record.args, [7], 'the context is not an argument of the record')
      t.equal(record.hash, withCtx.hashOf(7))
      t.equal(tracker.current(), undefined, 'no context outside a run')
      t.equal(currentRun(), undefined)

      // Nested tracked calls: each sees its own context.
      const inner = tracker.track('inner', async () => tracker.current()!.id)
      const outer = tracker.track('outer', async () => {
        const mine = tracker.current()!.id
        const theirs = await inner()
        return { mine, theirs, after: tracker.current()!.id }
      })
      const ids = await outer()
      t.not(ids.mine, ids.theirs)
      t.equal(ids.after, ids.mine)
    })

    t.test('storeResult keeps the value in the cache under the run hash', async (t) => {
      const { tracker, store } = setup(t)
      const fn = tracker.track('kept', async (n: number) => ({ n, big: BigInt(n) }), {
        storeResult: true,
        version: 3,
      })
      await fn(4)
      const record = (await tracker.list()).data[0]!
      t.equal(record.hash, hashKey({ fn: 'kept', version: 3, args: [4] }).key, 'version is part of the hash')
      t.match(record.result, { cacheKey: record.hash, namespace: 'tests' })
      const entry = await store.cache.get('tests', record.hash)
      t.match(entry, { function: 'kept', functionFull: 'kept', version: '3' })
      t.same(decode(JSON.parse(entry!.value)), { n: 4, big: 4n })
    })

    t.test('get and list are scoped to the tracker namespace', async (t) => {
      const { store, tracker } = setup(t)
      const other = createTracker({ store, namespace: 'other', logger: recordingLogger() })
      const a = tracker.track('same', async () => 1)
      const b = other.track('same', async () => 2)
      await a()
      await b()
      const mine = await tracker.list({ namespace: 'other' } as never)
      t.equal(mine.total, 1, 'namespace forced to the tracker’s')
      t.equal(mine.data[0]!.namespace, 'tests')
      t.equal(
        await tracker.get((await other.list()).data[0]!.id),
        null,
        'a record of another namespace is not found',
      )
      t.equal((await tracker.get(mine.data[0]!.id))?.status, 'finished')
    })

    t.test('an event listener that throws is logged and does not break the call', async (t) => {
      const { tracker, logger } = setup(t)
      tracker.on('finished', () => {
        throw new Error('listener bug')
      })
      const off = tracker.on('started', () => {})
      off()
      const fn = tracker.track('ok', async () => 'fine')
      t.equal(await fn(), 'fine')
      t.match(logger.errors, [/listener of 'finished' threw/])
    })
  })
}
