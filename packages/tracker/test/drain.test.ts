import t from 'tap'
import type { RunContext } from '../src/index.js'
import { createTracker } from '../src/index.js'
import { recordingLogger, storeKinds } from './fixtures/helpers.js'

for (const kind of storeKinds) {
  t.test(`${kind.name}: drain() lets this process's runs end, then gives the rest up`, async (t) => {
    const store = kind.open(t)
    const tracker = createTracker({ store, namespace: 'ns', logger: recordingLogger(), leaseMs: '30s' })
    let finishQuick!: () => void
    const quick = tracker.track(
      'quick',
      () => new Promise<string>((resolve) => (finishQuick = () => resolve('ok'))),
    )
    const stuck = tracker.track(
      'stuck',
      (ctx: RunContext) =>
        new Promise((_resolve, reject) =>
          ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)),
        ),
      { context: true },
    )
    const quickCall = quick()
    const stuckCall = stuck().catch((err: unknown) => err)
    while ((await tracker.list({ status: 'started' })).total < 2) await new Promise((r) => setTimeout(r, 5))
    // The store shows a run as started a few microtasks before the tracker has registered it as this
    // process's run (the claim returns first): let that happen before drain() looks.
    await new Promise((r) => setTimeout(r, 20))
    const lost: string[] = []
    tracker.on('lost', ({ record }) => lost.push(record.function))
    setTimeout(() => finishQuick(), 30)
    const result = await tracker.drain({ timeoutMs: 400 })
    t.equal(await quickCall, 'ok')
    t.equal(result.ended, 1, 'the run that ended in time')
    t.equal(result.lost.length, 1, 'the run still going')
    t.match(result.lost[0], {
      function: 'stuck',
      status: 'lost',
      message: /^abandoned: process \d+ on .+ shut down/,
    })
    t.match(await stuckCall, { code: 'CM_ERR_LOST' }, "the stuck function's caller rejects with CM_ERR_LOST")
    t.same(lost, ['stuck'])
    const [quickRun] = (await tracker.list({ function: 'quick' })).data
    t.equal(quickRun?.status, 'finished')
    t.same(await tracker.drain(), { ended: 0, lost: [] }, 'nothing left')
  })
}

t.test('once() and on() return an unsubscribe function; durations take strings', async (t) => {
  const store = storeKinds[0]!.open(t)
  const tracker = createTracker({
    store,
    namespace: 'ns',
    logger: recordingLogger(),
    leaseMs: '1m',
    heartbeatMs: '5s',
  })
  const f = tracker.track('f', async (n: number) => n * 2, { timeoutMs: '1s', resultTtlMs: '1h' })
  const seen: number[] = []
  const offOnce = tracker.once('finished', ({ value }) => seen.push(value as number))
  t.type(offOnce, 'function')
  await f(1)
  await f(2)
  t.same(seen, [2], 'once: the first call only')
  const off = tracker.on('finished', ({ value }) => seen.push(value as number))
  await f(3)
  off()
  await f(4)
  t.same(seen, [2, 6])
})
