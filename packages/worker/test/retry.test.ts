import t from 'tap'
import { createQueue, type RunContext } from '../src/index.js'
import type { JobRecord } from '../src/types.js'
import { codeOf, startWorker, storeKinds, until } from './fixtures/helpers.js'

const fast = { backoff: { type: 'fixed' as const, delayMs: 30, jitter: 0 } }

for (const kind of storeKinds) {
  t.test(`${kind.name}: a failing job is retried with backoff; every attempt is recorded`, async (t) => {
    const store = kind.open(t)
    let calls = 0
    const worker = await startWorker(t, store, {
      retry: fast,
      functions: {
        flaky: async (n: number) => {
          if (++calls < 3) throw new Error(`boom ${calls}`)
          return n + 1
        },
      },
    })
    const retrying: { record: JobRecord; next: JobRecord; delayMs: number }[] = []
    worker.on('retrying', (e) => retrying.push(e))
    const queue = createQueue({ store, namespace: 'w' })
    const job = await queue.submit('flaky', [41], { attempts: 3 })
    t.equal(await job.result({ timeoutMs: 10_000 }), 42, 'the third attempt succeeded')
    t.equal(calls, 3)
    const { data } = await store.computations.list({
      namespace: 'w',
      hash: job.record.hash,
      sort: 'createdAt',
    })
    t.same(
      data.map((r) => [r.attempt, r.status, r.error?.message ?? null]),
      [
        [1, 'failed', 'boom 1'],
        [2, 'failed', 'boom 2'],
        [3, 'finished', null],
      ],
    )
    t.match(data[0]?.message, /attempt 1 of 3 failed; attempt 2 at/, 'the record says attempt n of m')
    t.equal(retrying.length, 2)
    for (const e of retrying) {
      t.equal(e.delayMs, 30, 'the backoff delay')
      // The store stamps finishedAt when its write lands (later on a networked store); the delay is
      // counted from the failure the worker saw, which is after the attempt started.
      t.ok((e.next.runAt ?? 0) >= (e.record.startedAt ?? 0) + 30, 'run-at is the backoff after the failure')
      const next = data.find((r) => r.attempt === e.next.attempt)
      t.ok(
        (next?.startedAt ?? 0) >= (e.next.runAt ?? Number.POSITIVE_INFINITY),
        'the next attempt starts after its run-at',
      )
      t.equal(e.next.maxAttempts, 3)
    }
  })

  t.test(`${kind.name}: the last attempt's failure is permanent and reaches result()`, async (t) => {
    const store = kind.open(t)
    const worker = await startWorker(t, store, {
      retry: fast,
      functions: {
        broken: async () => {
          throw Object.assign(new RangeError('always'), { code: 'E_ALWAYS' })
        },
      },
    })
    const failed: unknown[] = []
    worker.on('failed', (e) => failed.push(e.error))
    const queue = createQueue({ store, namespace: 'w' })
    const job = await queue.submit('broken', [], { attempts: 2 })
    t.equal(await codeOf(job.result()), 'E_ALWAYS', 'the error of the last attempt, with its code')
    const latest = (await store.computations.getByHash('w', job.record.hash)) as JobRecord
    t.match(latest, { attempt: 2, status: 'failed', error: { name: 'RangeError', message: 'always' } })
    await until(() => failed.length === 1, 'one failed event')
  })

  t.test(`${kind.name}: a non-retryable error fails at once`, async (t) => {
    const store = kind.open(t)
    let calls = 0
    await startWorker(t, store, {
      retry: { ...fast, retryable: (error) => !(error instanceof TypeError) },
      functions: {
        typed: async () => {
          calls++
          throw new TypeError('bad input')
        },
      },
    })
    const job = await createQueue({ store, namespace: 'w' }).submit('typed', [], { attempts: 5 })
    t.match(await job.result().catch((e) => e), { name: 'TypeError', message: 'bad input' })
    t.equal(calls, 1, 'not retried')
  })

  t.test(
    `${kind.name}: a timeout fails the run with CM_ERR_TIMEOUT, frees the slot, and is retried`,
    async (t) => {
      const store = kind.open(t)
      let calls = 0
      let sawAbort: unknown
      await startWorker(t, store, {
        concurrency: 1,
        retry: fast,
        functions: {
          hang: {
            timeoutMs: 100,
            run: (ctx: RunContext) =>
              new Promise((resolve) => {
                calls++
                ctx.signal.addEventListener('abort', () => (sawAbort = ctx.signal.reason))
                if (calls === 2) resolve('second attempt in time')
              }),
          },
          quick: () => 'ran',
        },
      })
      const queue = createQueue({ store, namespace: 'w' })
      const hanging = await queue.submit('hang', [], { attempts: 2 })
      await until(() => calls === 1, 'the first attempt to start')
      const quick = await queue.submit('quick', [])
      t.equal(await quick.result({ timeoutMs: 10_000 }), 'ran', 'the one slot was freed by the timeout')
      t.equal(
        await hanging.result({ timeoutMs: 10_000 }),
        'second attempt in time',
        'retried after the timeout',
      )
      t.match(sawAbort, { code: 'CM_ERR_TIMEOUT' }, "the function's signal aborted with the timeout")
      const first = (
        await store.computations.list({ namespace: 'w', hash: hanging.record.hash, sort: 'createdAt' })
      ).data[0]
      t.match(first, { status: 'failed', error: { code: 'CM_ERR_TIMEOUT' } })
    },
  )
}
