import { MemoryStore } from '@comp-manager/core'
import t, { type Test } from 'tap'
import { createQueue, type RunContext } from '../src/index.js'
import { gate, startWorker, storeKinds, until } from './fixtures/helpers.js'

const memory = (t: Test) => {
  const store = new MemoryStore()
  t.teardown(() => store.close())
  return store
}

for (const kind of storeKinds) {
  t.test(`${kind.name}: a submitted job runs on the worker and its decoded result comes back`, async (t) => {
    const store = kind.open(t)
    const seen: unknown[][] = []
    const worker = await startWorker(t, store, {
      functions: {
        add: async (a: bigint, b: bigint, ctx: RunContext) => {
          seen.push([a, b, typeof ctx.signal.aborted])
          ctx.progress(0.5, 'half')
          return { sum: a + b, when: new Date(0) }
        },
      },
    })
    const events: string[] = []
    for (const e of ['started', 'finished', 'failed'] as const) worker.on(e, () => events.push(e))
    const queue = createQueue({ store, namespace: 'w' })
    const job = await queue.submit('add', [2n ** 64n, 1n])
    t.equal(job.created, true)
    t.same(await job.result({ timeoutMs: 10_000 }), { sum: 2n ** 64n + 1n, when: new Date(0) })
    t.same(seen, [[2n ** 64n, 1n, 'boolean']], 'ran once with the decoded arguments and a context')
    await until(() => events.includes('finished'), 'the finished event')
    t.same(events, ['started', 'finished'])
    const record = await queue.get(job.id)
    t.equal(record?.status, 'finished')
    t.equal(record?.worker, worker.id, 'the record names the worker that ran it')
  })

  t.test(
    `${kind.name}: duplicates join by hash; a finished call returns its stored result unless rerun`,
    async (t) => {
      const store = kind.open(t)
      const open = gate()
      let runs = 0
      await startWorker(t, store, {
        functions: {
          slow: async (n: number) => {
            runs++
            await open.wait
            return n * 10
          },
        },
      })
      const queue = createQueue({ store, namespace: 'w' })
      const first = await queue.submit('slow', [4])
      const joined = await queue.submit('slow', [4])
      t.equal(joined.id, first.id, 'a queued or running call is joined')
      t.equal(joined.created, false)
      open.open()
      t.equal(await first.result(), 40)
      const again = await queue.submit('slow', [4])
      t.equal(again.id, first.id, 'a finished call is returned')
      t.equal(await again.result(), 40, 'with its stored result')
      t.equal(runs, 1, 'and not run again')
      const rerun = await queue.submit('slow', [4], { rerun: true })
      t.not(rerun.id, first.id, 'rerun: a new attempt')
      t.equal(await rerun.result(), 40)
      t.equal(runs, 2)
      const other = await queue.submit('slow', [5])
      t.not(other.id, first.id, 'other arguments: another job')
      t.equal(await other.result(), 50)
    },
  )

  t.test(`${kind.name}: priority first, then FIFO`, async (t) => {
    const store = kind.open(t)
    const queue = createQueue({ store, namespace: 'w' })
    const order: string[] = []
    const jobs = [
      await queue.submit('note', ['low-1'], { priority: -5 }),
      await queue.submit('note', ['mid-1']),
      await queue.submit('note', ['high-1'], { priority: 10 }),
      await queue.submit('note', ['mid-2']),
      await queue.submit('note', ['high-2'], { priority: 10 }),
    ]
    await startWorker(t, store, { functions: { note: async (s: string) => void order.push(s) } })
    await Promise.all(jobs.map((job) => job.result()))
    t.same(order, ['high-1', 'high-2', 'mid-1', 'mid-2', 'low-1'])
  })

  t.test(`${kind.name}: concurrency per worker and per function`, async (t) => {
    const store = kind.open(t)
    const running = { a: 0, b: 0, all: 0 }
    const peak = { a: 0, b: 0, all: 0 }
    const body = (fn: 'a' | 'b') => async () => {
      running[fn]++
      running.all++
      peak[fn] = Math.max(peak[fn], running[fn])
      peak.all = Math.max(peak.all, running.all)
      await new Promise((resolve) => setTimeout(resolve, 30))
      running[fn]--
      running.all--
    }
    await startWorker(t, store, {
      concurrency: 3,
      limits: { a: 1 },
      functions: { a: body('a'), b: body('b') },
    })
    const queue = createQueue({ store, namespace: 'w' })
    const jobs = []
    for (let i = 0; i < 6; i++) jobs.push(await queue.submit('a', [i]), await queue.submit('b', [i]))
    await Promise.all(jobs.map((job) => job.result()))
    t.equal(peak.a, 1, 'limits.a = 1 held')
    t.equal(peak.all, 3, 'concurrency 3 reached and held')
    t.ok(peak.b >= 2, 'b used the other slots')
  })

  t.test(`${kind.name}: a fleet-wide limit holds across workers`, async (t) => {
    const store = kind.open(t)
    let running = 0
    let peak = 0
    const render = async () => {
      peak = Math.max(peak, ++running)
      await new Promise((resolve) => setTimeout(resolve, 25))
      running--
    }
    for (let i = 0; i < 3; i++) {
      await startWorker(t, store, { concurrency: 3, fleetLimits: { render: 2 }, functions: { render } })
    }
    const queue = createQueue({ store, namespace: 'w' })
    const jobs = []
    for (let i = 0; i < 12; i++) jobs.push(await queue.submit('render', [i]))
    await Promise.all(jobs.map((job) => job.result()))
    t.equal(peak, 2, '3 workers × 3 slots, yet never more than 2 renders at once')
  })

  t.test(`${kind.name}: the registry lists the worker while it runs`, async (t) => {
    const store = kind.open(t)
    const worker = await startWorker(t, store, { concurrency: 2, version: 'v9', functions: { f: () => 1 } })
    const [info, ...others] = await createQueue({ store, namespace: 'w' }).listWorkers()
    t.same(others, [])
    t.match(info, {
      id: worker.id,
      pid: process.pid,
      functions: ['f'],
      concurrency: 2,
      namespaces: ['w'],
      version: 'v9',
    })
    t.same(await worker.listWorkers('elsewhere'), [], 'not listed for a namespace it does not serve')
    await worker.close()
    t.same(await worker.listWorkers(), [], 'close() removes the entry')
  })
}

t.test(
  'an in-process submit wakes an idle worker at once instead of waiting for its next poll',
  async (t) => {
    const store = memory(t)
    const worker = await startWorker(t, store, {
      poll: { minMs: 60_000, maxMs: 60_000 },
      functions: { f: () => 'ran' },
    })
    await new Promise((resolve) => setTimeout(resolve, 50)) // the worker is now in its 60 s idle wait
    t.equal(worker.running.length, 0)
    const job = await createQueue({ store, namespace: 'w' }).submit('f', [])
    t.equal(
      await job.result({ timeoutMs: 10_000 }),
      'ran',
      'ran long before the 60 s poll would have found it',
    )
  },
)

t.test('progress events carry the stored progress and message', async (t) => {
  const store = memory(t)
  const worker = await startWorker(t, store, {
    heartbeatMs: 30,
    leaseMs: 1000,
    functions: {
      steps: async (ctx: RunContext) => {
        ctx.progress(0.25, 'a quarter')
        ctx.message('working')
        await new Promise((resolve) => setTimeout(resolve, 400))
        return 'done'
      },
    },
  })
  const seen: unknown[] = []
  worker.on('progress', ({ progress, message }) => seen.push({ progress, message }))
  const started: boolean[] = []
  worker.on('started', ({ resumed }) => started.push(resumed))
  const job = await createQueue({ store, namespace: 'w' }).submit('steps', [])
  t.equal(await job.result(), 'done')
  t.same(started, [false], 'started, not resumed')
  t.match(seen, [{ progress: { fraction: 0.25, note: 'a quarter' }, message: 'working' }])
})
