import t from 'tap'
import { createQueue, createWorker, type RunContext } from '../src/index.js'
import { codeOf, gate, recordingLogger, sleep, startWorker, storeKinds, until } from './fixtures/helpers.js'

/** Counts to n in 20 ms steps, checkpointing each step; honours its signal (pause, cancel, stop). */
const counter =
  (starts: { by: string; from: number }[], by: string) => async (n: number, ctx: RunContext) => {
    let i = (ctx.resumeState as { i: number } | undefined)?.i ?? 0
    starts.push({ by, from: i })
    for (; i < n; i++) {
      await sleep(20)
      await ctx.checkpoint({ i: i + 1 })
      if (ctx.signal.aborted) throw ctx.signal.reason
    }
    return { counted: n, by }
  }

for (const kind of storeKinds) {
  t.test(`${kind.name}: paused on worker A, resumed from its checkpoint on worker B`, async (t) => {
    const store = kind.open(t)
    const starts: { by: string; from: number }[] = []
    const a = await startWorker(t, store, {
      heartbeatMs: 50,
      leaseMs: 1000,
      functions: { count: counter(starts, 'A') },
    })
    const paused: string[] = []
    a.on('paused', ({ record }) => paused.push(record.id))
    const queue = createQueue({ store, namespace: 'w' })
    const job = await queue.submit('count', [30])
    await until(
      async () => (((await queue.get(job.id))?.checkpoint as { i?: number } | null)?.i ?? 0) >= 3,
      'some progress',
    )
    await queue.pause(job.id)
    await until(
      async () => (await queue.get(job.id))?.status === 'paused',
      'the pause to reach the function',
      5000,
    )
    // The record turns paused when the write lands, the worker's event follows the acknowledgement.
    await until(async () => paused.length > 0, "worker A's paused event", 5000)
    t.same(paused, [job.id], "worker A's paused event")
    await a.close()
    const checkpoint = ((await queue.get(job.id))?.checkpoint as { i: number } | undefined)?.i ?? -1
    t.ok(checkpoint >= 3 && checkpoint < 30, `paused part-way, at ${checkpoint}`)

    await startWorker(t, store, {
      heartbeatMs: 50,
      leaseMs: 1000,
      functions: { count: counter(starts, 'B') },
    })
    await sleep(100)
    t.equal((await queue.get(job.id))?.status, 'paused', 'a paused job is not claimed by itself')
    await queue.resume(job.id)
    t.same(await job.result({ timeoutMs: 10_000 }), { counted: 30, by: 'B' })
    t.same(
      starts,
      [
        { by: 'A', from: 0 },
        { by: 'B', from: checkpoint },
      ],
      'B went on from the checkpoint',
    )
    t.equal(await codeOf(queue.resume(job.id)), 'CM_ERR_CONFLICT', 'resume of a job that is not paused')
  })

  t.test(`${kind.name}: cancel of a queued job removes it from the queue`, async (t) => {
    const store = kind.open(t)
    let ran = false
    const queue = createQueue({ store, namespace: 'w' })
    const job = await queue.submit('never', [], { delay: 200 })
    const cancelled = await queue.cancel(job.id, 'not needed')
    t.match(cancelled, { status: 'failed', error: { code: 'CM_ERR_CANCELLED', message: 'not needed' } })
    await startWorker(t, store, { functions: { never: () => (ran = true) } })
    await sleep(400)
    t.equal(ran, false, 'never claimed')
    t.equal(await codeOf(job.result()), 'CM_ERR_CANCELLED')
  })

  t.test(`${kind.name}: cancel of a running job reaches its function within a heartbeat`, async (t) => {
    const store = kind.open(t)
    const started = gate()
    let reason: unknown
    const worker = await startWorker(t, store, {
      heartbeatMs: 50,
      leaseMs: 1000,
      functions: {
        wait: (ctx: RunContext) =>
          new Promise((_, reject) => {
            started.open()
            ctx.signal.addEventListener('abort', () => {
              reason = ctx.signal.reason
              reject(ctx.signal.reason)
            })
          }),
      },
    })
    const failed: unknown[] = []
    worker.on('failed', (e) => failed.push(e.error))
    const queue = createQueue({ store, namespace: 'w' })
    const job = await queue.submit('wait', [])
    await started.wait
    await queue.cancel(job.id)
    t.equal(await codeOf(job.result()), 'CM_ERR_CANCELLED')
    await until(() => reason !== undefined, 'the signal', 2000)
    t.match(reason, { code: 'CM_ERR_CANCELLED' })
    await until(() => worker.running.length === 0, 'the slot to be freed')
    t.match(failed, [{ code: 'CM_ERR_CANCELLED' }])
  })

  t.test(
    `${kind.name}: drain hands a job that outlives the timeout back to the queue, checkpoint kept`,
    async (t) => {
      const store = kind.open(t)
      const starts: { by: string; from: number }[] = []
      const a = createWorker({
        store,
        namespace: 'w',
        logger: recordingLogger(),
        functions: { count: counter(starts, 'A') },
      })
      await a.start()
      const queue = createQueue({ store, namespace: 'w' })
      const job = await queue.submit('count', [40])
      const quick = await queue.submit('count', [1])
      await until(() => starts.length >= 1, 'A to start')
      await sleep(120)
      const { ended, released } = await a.close({ timeoutMs: 50 })
      t.equal(ended, 0)
      t.same(
        released.map((r) => [r.id, r.status]),
        [[job.id, 'queued']],
        'handed back, queued again',
      )
      const back = await queue.get(job.id)
      t.ok(((back?.checkpoint as { i: number } | null)?.i ?? 0) > 0, 'with its checkpoint')
      await startWorker(t, store, { concurrency: 2, functions: { count: counter(starts, 'B') } })
      t.same(await job.result({ timeoutMs: 10_000 }), { counted: 40, by: 'B' })
      t.match(await quick.result({ timeoutMs: 10_000 }), { counted: 1 })
    },
  )
}
