// submit → an HTTP worker (createHttpWorker) runs it → handle.result(), against the real server.
import t from 'tap'
import { createClient, createHttpWorker, type HttpJobContext, isApiError } from '../src/index.js'
import { startApi } from './fixtures/server.js'

const until = async <T>(check: () => Promise<T> | T, timeoutMs = 15_000): Promise<NonNullable<T>> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value) return value as NonNullable<T>
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

t.test('submit → HTTP worker → result(): exact BigInt and Map; the fleet lists the worker', async (t) => {
  const api = await startApi(t)
  const worker = createHttpWorker({
    baseUrl: api.url,
    token: api.tokens.operator,
    workerId: 'node-http-1',
    waitMs: 2000,
    functions: {
      powers: (base: bigint, ctx: HttpJobContext) => {
        ctx.progress(1, 'done')
        return new Map<string, bigint>([
          ['square', base * base],
          ['cube', base ** 3n],
        ])
      },
    },
  }).start()
  t.teardown(() => worker.stop({ timeoutMs: 1000 }))
  const cm = createClient({ baseUrl: api.url, token: api.tokens.operator })
  const handle = await cm.computations.submit<Map<string, bigint>>('powers', [2n ** 64n])
  t.equal(handle.created, true)
  t.same(
    await handle.result(),
    new Map([
      ['square', 2n ** 128n],
      ['cube', 2n ** 192n],
    ]),
  )
  const again = await cm.computations.submit('powers', [2n ** 64n])
  t.equal(again.created, false, 'the finished call is joined')
  t.equal(again.id, handle.id)
  const fleet = await cm.workers.list()
  t.ok(
    fleet.data.some((w) => w.id === 'node-http-1'),
    'listed',
  )
})

t.test('a failing function: result() rejects with the recorded error (409)', async (t) => {
  const api = await startApi(t)
  const worker = createHttpWorker({
    baseUrl: api.url,
    token: api.tokens.operator,
    waitMs: 2000,
    functions: {
      broken: () => {
        throw new RangeError('n out of range')
      },
    },
  }).start()
  t.teardown(() => worker.stop({ timeoutMs: 1000 }))
  const cm = createClient({ baseUrl: api.url, token: api.tokens.operator })
  const handle = await cm.computations.submit('broken', [])
  const err = await handle.result().catch((e: unknown) => e)
  t.ok(isApiError(err, 'CM_ERR_CONFLICT'), String(err))
  t.match((err as { details: unknown }).details, {
    status: 'failed',
    error: { name: 'RangeError', message: 'n out of range' },
  })
})

t.test(
  'cancel and pause reach the HTTP worker through its heartbeats; resume continues from the checkpoint',
  async (t) => {
    const api = await startApi(t)
    const seen: unknown[] = []
    const worker = createHttpWorker({
      baseUrl: api.url,
      token: api.tokens.operator,
      waitMs: 2000,
      leaseMs: 1500,
      functions: {
        steps: async (n: number, ctx: HttpJobContext) => {
          seen.push(ctx.resumeState ?? null)
          let i = (ctx.resumeState as { i: number } | undefined)?.i ?? 0
          while (i < n) {
            if (ctx.signal.aborted) throw ctx.signal.reason
            i++
            ctx.checkpoint({ i })
            await new Promise((resolve) => setTimeout(resolve, 50))
          }
          return i
        },
      },
    }).start()
    t.teardown(() => worker.stop({ timeoutMs: 1000 }))
    const cm = createClient({ baseUrl: api.url, token: api.tokens.operator })
    const cancelled = await cm.computations.submit('steps', [1_000_000])
    await until(async () => (await cm.computations.get(cancelled.id)).status === 'started')
    await cancelled.cancel('not needed')
    await until(() => worker.running === 0)
    t.match(await cm.computations.get(cancelled.id), {
      status: 'failed',
      error: { code: 'CM_ERR_CANCELLED' },
    })

    const paused = await cm.computations.submit('steps', [40])
    await until(async () => (await cm.computations.get(paused.id)).status === 'started')
    await new Promise((resolve) => setTimeout(resolve, 200))
    const asked = await cm.computations.pause(paused.id)
    t.equal(asked.outcome, 'pause_requested', 'the worker has not stopped yet: requested, not paused')
    await until(async () => (await cm.computations.get(paused.id)).status === 'paused')
    const record = await cm.computations.get(paused.id)
    t.ok(record.checkpoint !== null, 'a checkpoint was saved')
    await cm.computations.resume(paused.id)
    t.equal(await paused.result(), 40)
    t.equal(seen.length, 3, 'three runs: cancelled, paused, resumed')
    t.ok((seen[2] as { i: number }).i > 0, 'the resumed run started from the checkpoint')
  },
)

t.test('stop() gives a running job back to the queue', async (t) => {
  const api = await startApi(t)
  const worker = createHttpWorker({
    baseUrl: api.url,
    token: api.tokens.operator,
    waitMs: 2000,
    functions: {
      forever: (ctx: HttpJobContext) =>
        new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))),
    },
  }).start()
  const cm = createClient({ baseUrl: api.url, token: api.tokens.operator })
  const handle = await cm.computations.submit('forever', [])
  await until(async () => (await cm.computations.get(handle.id)).status === 'started')
  await worker.stop({ timeoutMs: 100 })
  t.equal((await cm.computations.get(handle.id)).status, 'queued', 'released for another worker')
})
