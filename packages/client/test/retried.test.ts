// handle.result() follows retried attempts: a flaky function whose first attempts fail (and are queued
// again) resolves with the last attempt's result — through the client against the real server, for HTTP
// and in-process workers alike, and through the in-process queue's handle for a job run over HTTP.
import { createQueue, createWorker } from '@comp-manager/worker'
import t from 'tap'
import { createClient, createHttpWorker, isApiError } from '../src/index.js'
import { type Api, startApi } from './fixtures/server.js'

/** A function failing its first `failures` calls (a different message each), then returning `n + 1`. */
function flaky(failures: number) {
  const state = { calls: 0 }
  const fn = (n: number) => {
    state.calls++
    if (state.calls <= failures) throw new Error(`boom ${state.calls}`)
    return n + 1
  }
  return { fn, state }
}

/** Every attempt of the call `hash`, oldest first: `[attempt, status, error message]`. */
async function attempts(api: Api, hash: string) {
  const cm = createClient({ baseUrl: api.url, token: api.tokens.viewer })
  const page = await cm.computations.list({ hash, sort: 'createdAt' })
  return page.data.map((r) => [r.attempt, r.status, r.error?.message ?? null])
}

t.test('client handle, HTTP worker: the third attempt succeeds → result() is its value', async (t) => {
  const api = await startApi(t)
  const { fn, state } = flaky(2)
  const worker = createHttpWorker({
    baseUrl: api.url,
    token: api.tokens.operator,
    waitMs: 2000,
    functions: { flakyHttp: fn },
  }).start()
  t.teardown(() => worker.stop({ timeoutMs: 1000 }))
  const cm = createClient({ baseUrl: api.url, token: api.tokens.operator })
  const handle = await cm.computations.submit<number>('flakyHttp', [41], { attempts: 3 })
  t.equal(await handle.result(), 42, 'the last attempt’s result, not the first attempt’s 409')
  t.equal(state.calls, 3)
  t.same(await attempts(api, handle.record.hash), [
    [1, 'failed', 'boom 1'],
    [2, 'failed', 'boom 2'],
    [3, 'finished', null],
  ])
  // The first attempt itself still answers its own failure: only the handle follows.
  const first = await cm.computations.result(handle.id).catch((e: unknown) => e)
  t.ok(isApiError(first, 'CM_ERR_CONFLICT'), 'GET /result of attempt 1 is still 409')
})

t.test('client handle, in-process worker on the server’s store: follows the retry', async (t) => {
  const api = await startApi(t)
  const { fn, state } = flaky(1)
  const worker = createWorker({
    store: api.app.compStore,
    namespace: 'default',
    functions: { flakyLocal: { run: fn, retry: { backoff: { type: 'fixed', delayMs: 50, jitter: 0 } } } },
  })
  t.teardown(() => worker.close())
  worker.start()
  const cm = createClient({ baseUrl: api.url, token: api.tokens.operator })
  const handle = await cm.computations.submit<number>('flakyLocal', [1], { attempts: 2 })
  t.equal(await handle.result(), 2)
  t.equal(state.calls, 2)
})

t.test('every attempt fails: result() rejects with the LAST attempt’s error', async (t) => {
  const api = await startApi(t)
  const { fn, state } = flaky(Number.POSITIVE_INFINITY)
  const worker = createHttpWorker({
    baseUrl: api.url,
    token: api.tokens.operator,
    waitMs: 2000,
    functions: { alwaysBroken: fn },
  }).start()
  t.teardown(() => worker.stop({ timeoutMs: 1000 }))
  const cm = createClient({ baseUrl: api.url, token: api.tokens.operator })
  const handle = await cm.computations.submit('alwaysBroken', [0], { attempts: 2 })
  const err = await handle.result().catch((e: unknown) => e)
  t.ok(isApiError(err, 'CM_ERR_CONFLICT'), String(err))
  t.match((err as { details: unknown }).details, { status: 'failed', error: { message: 'boom 2' } })
  t.equal(state.calls, 2)
})

t.test('a non-retryable failure is not followed (no later attempt exists)', async (t) => {
  const api = await startApi(t)
  const { fn, state } = flaky(1)
  const worker = createHttpWorker({
    baseUrl: api.url,
    token: api.tokens.operator,
    waitMs: 2000,
    retryable: () => false,
    functions: { permanent: fn },
  }).start()
  t.teardown(() => worker.stop({ timeoutMs: 1000 }))
  const cm = createClient({ baseUrl: api.url, token: api.tokens.operator })
  const handle = await cm.computations.submit('permanent', [0], { attempts: 3 })
  const err = await handle.result().catch((e: unknown) => e)
  t.ok(isApiError(err, 'CM_ERR_CONFLICT'), String(err))
  t.match((err as { details: unknown }).details, { error: { message: 'boom 1' } })
  t.equal(state.calls, 1)
})

t.test('a lost attempt (its worker never came back) is followed to the attempt that finished', async (t) => {
  const api = await startApi(t)
  const cm = createClient({ baseUrl: api.url, token: api.tokens.operator })
  const handle = await cm.computations.submit<number>('orphaned', [5])
  // A worker claims it with a short lease, then vanishes (never heartbeats, never completes).
  const [claimed] = await cm.workers.claim({ workerId: 'vanished', functions: ['orphaned'], leaseMs: 1000 })
  t.equal(claimed?.id, handle.id)
  const result = handle.result()
  // The server's recovery declares it lost and queues attempt 2, which a live worker runs.
  const worker = createHttpWorker({
    baseUrl: api.url,
    token: api.tokens.operator,
    waitMs: 2000,
    functions: { orphaned: (n: number) => n * 2 },
  }).start()
  t.teardown(() => worker.stop({ timeoutMs: 1000 }))
  t.equal(await result, 10)
  t.same(
    (await attempts(api, handle.record.hash)).map(([attempt, status]) => [attempt, status]),
    [
      [1, 'lost'],
      [2, 'finished'],
    ],
  )
})

t.test('in-process queue handle: a job run (and retried) by an HTTP worker resolves', async (t) => {
  const api = await startApi(t)
  const { fn, state } = flaky(1)
  const worker = createHttpWorker({
    baseUrl: api.url,
    token: api.tokens.operator,
    waitMs: 2000,
    functions: { flakyRemote: fn },
  }).start()
  t.teardown(() => worker.stop({ timeoutMs: 1000 }))
  const queue = createQueue({ store: api.app.compStore, namespace: 'default' })
  const job = await queue.submit<number>('flakyRemote', [9], { attempts: 2 })
  t.equal(await job.result({ timeoutMs: 60_000 }), 10)
  t.equal(state.calls, 2)
})
