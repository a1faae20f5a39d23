import t from 'tap'
import { MemoryStore } from '../src/index.js'
import {
  CAS_ATTEMPTS,
  callHash,
  cancelRun,
  compareAndSet,
  createRun,
  endRun,
  LocalRuns,
  loseRun,
  noteRun,
  patchLiveRun,
  pauseRun,
  releasePausedRun,
  resumeRun,
  transitionRun,
} from '../src/runs/index.js'
import type { ComputationStore } from '../src/store/ports.js'

const NS = 'ns'
const runner = { owner: 'me', pid: 1, host: 'h' }

async function started(store: MemoryStore, name = 'f') {
  const queued = await createRun(store.computations, {
    namespace: NS,
    function: name,
    functionFull: name,
    args: [1n],
  })
  return transitionRun(store.computations, NS, queued.id, 'started')
}

t.test('createRun hashes the call as track() does and encodes the arguments', async (t) => {
  const store = new MemoryStore()
  t.teardown(() => store.close())
  const record = await createRun(store.computations, {
    namespace: NS,
    function: 'fib',
    functionFull: 'math/fib',
    version: 2,
    args: [10n, new Map([['a', 1]])],
    owner: 'alice',
  })
  t.equal(record.status, 'queued')
  t.equal(
    record.hash,
    callHash({ functionFull: 'math/fib', version: 2, args: [10n, new Map([['a', 1]])] }).key,
  )
  t.same(record.args, [
    { __type__: 'bigint', value: '10' },
    { __type__: 'Map', entries: [['a', 1]] },
  ])
  t.equal(record.owner, 'alice')
  await t.rejects(
    createRun(store.computations, {
      namespace: NS,
      function: 'fib',
      functionFull: 'math/fib',
      version: 2,
      args: [10n, new Map([['a', 1]])],
    }),
    { code: 'CM_ERR_DUPLICATE' },
  )
  await t.rejects(
    createRun(store.computations, { namespace: 'bad ns', function: 'f', functionFull: 'f', args: [] }),
    {
      code: 'CM_ERR_INVALID_ARGUMENT',
    },
  )
})

t.test('pause, resume, cancel through the state machine', async (t) => {
  const store = new MemoryStore()
  t.teardown(() => store.close())
  const run = await started(store)
  const paused = await pauseRun(store.computations, NS, run.id)
  t.equal(paused.status, 'paused')
  t.equal(
    (await pauseRun(store.computations, NS, run.id)).updatedAt,
    paused.updatedAt,
    'pausing a paused run changes nothing',
  )
  const released = await releasePausedRun(store.computations, NS, run.id)
  t.equal(released.leaseUntil, null)
  const resumed = await resumeRun(store.computations, NS, run.id, {
    runner,
    leaseMs: 1000,
    clock: () => 5000,
  })
  t.match(resumed, { status: 'started', owner: 'me', pid: 1, host: 'h', leaseUntil: 6000, heartbeatAt: 5000 })
  await t.rejects(releasePausedRun(store.computations, NS, run.id), { code: 'CM_ERR_CONFLICT' })
  const cancelled = await cancelRun(store.computations, NS, run.id, {
    reason: 'no longer needed',
    message: 'bye',
  })
  t.match(cancelled, {
    status: 'failed',
    message: 'bye',
    error: { name: 'CancelledError', message: 'no longer needed', code: 'CM_ERR_CANCELLED' },
  })
  await t.rejects(pauseRun(store.computations, NS, run.id), { code: 'CM_ERR_INVALID_TRANSITION' })
  await t.rejects(cancelRun(store.computations, NS, run.id), { code: 'CM_ERR_INVALID_TRANSITION' })
  await t.rejects(
    pauseRun(store.computations, 'other', run.id),
    { code: 'CM_ERR_NOT_FOUND' },
    'namespace checked',
  )
  await t.rejects(pauseRun(store.computations, NS, 'nope'), { code: 'CM_ERR_NOT_FOUND' })
})

t.test('transitionRun, noteRun, patchLiveRun, loseRun', async (t) => {
  const store = new MemoryStore()
  t.teardown(() => store.close())
  const run = await started(store)
  t.equal((await transitionRun(store.computations, NS, run.id, 'started')).status, 'started', 'no-op edge')
  t.match(await noteRun(store.computations, NS, run.id, { message: 'half', progress: { fraction: 0.5 } }), {
    message: 'half',
    progress: { fraction: 0.5 },
  })
  t.same((await patchLiveRun(store.computations, NS, run.id, { checkpoint: { at: 3 } })).checkpoint, {
    at: 3,
  })
  const lost = await loseRun(store.computations, NS, run.id, 'given up')
  t.match(lost, { status: 'lost', message: 'given up', leaseUntil: null })
  t.equal(await loseRun(store.computations, NS, run.id, 'again'), null, 'only a started run is lost')
  await t.rejects(patchLiveRun(store.computations, NS, run.id, { checkpoint: 1 }), {
    code: 'CM_ERR_CONFLICT',
  })
  await t.rejects(transitionRun(store.computations, NS, run.id, 'finished'), {
    code: 'CM_ERR_INVALID_TRANSITION',
  })
})

t.test('endRun resumes a run paused meanwhile, then ends it; refuses one ended elsewhere', async (t) => {
  const store = new MemoryStore()
  t.teardown(() => store.close())
  const a = await started(store, 'a')
  await pauseRun(store.computations, NS, a.id)
  const finished = await endRun(
    store.computations,
    NS,
    a.id,
    { status: 'finished', result: null },
    { current: a },
  )
  t.equal(finished.status, 'finished', 'paused → started → finished')
  const b = await started(store, 'b')
  await cancelRun(store.computations, NS, b.id)
  await t.rejects(
    endRun(
      store.computations,
      NS,
      b.id,
      { status: 'failed', error: { name: 'E', message: 'x' } },
      { current: b },
    ),
    { code: 'CM_ERR_INVALID_TRANSITION' },
  )
})

t.test('compareAndSet retries a lost race, at most CAS_ATTEMPTS times', async (t) => {
  const store = new MemoryStore()
  t.teardown(() => store.close())
  const run = await started(store)
  let updates = 0
  // A store whose every update loses the race: it changes the record just before each write.
  const racing: ComputationStore = {
    ...store.computations,
    get: (ns, id) => store.computations.get(ns, id),
    update: async (ns, id, expected, patch) => {
      updates++
      await store.computations.update(ns, id, 'started', { message: `other writer ${updates}` })
      return store.computations.update(ns, id, expected === 'started' ? 'paused' : expected, patch)
    },
  }
  await t.rejects(
    compareAndSet(racing, NS, run.id, () => ({ message: 'mine' })),
    { code: 'CM_ERR_CONFLICT' },
  )
  t.equal(updates, CAS_ATTEMPTS, `${CAS_ATTEMPTS} attempts in all`)
  let tries = 0
  const flaky: ComputationStore = {
    ...store.computations,
    get: (ns, id) => store.computations.get(ns, id),
    update: async (ns, id, expected, patch) => {
      if (++tries === 1) throw Object.assign(new Error('lost'), { code: 'CM_ERR_CONFLICT' })
      return store.computations.update(ns, id, expected, patch)
    },
  }
  // A non-CompManagerError conflict is not a race: it is thrown at once.
  await t.rejects(
    compareAndSet(flaky, NS, run.id, () => ({ message: 'x' })),
    { message: 'lost' },
  )
  t.equal(tries, 1)
  const decided: string[] = []
  const result = await compareAndSet(store.computations, NS, run.id, (current) => {
    decided.push(current.status)
    return null
  })
  t.same(decided, ['started'])
  t.equal(result.id, run.id, 'no change: the record as it is')
})

t.test('LocalRuns.drain waits for running runs, then gives the rest up', async (t) => {
  const store = new MemoryStore()
  t.teardown(() => store.close())
  const runs = new LocalRuns(store.computations)
  t.same(await runs.drain({ timeoutMs: 10 }), { ended: 0, lost: [] }, 'nothing running')
  const quick = await started(store, 'quick')
  const stuck = await started(store, 'stuck')
  const q = runs.start(NS, quick.id)
  const s = runs.start(NS, stuck.id)
  t.equal(runs.size, 2)
  t.equal(runs.get(stuck.id), s.run)
  setTimeout(() => {
    void transitionRun(store.computations, NS, quick.id, 'finished').then(() => q.end())
  }, 20)
  const result = await runs.drain({ timeoutMs: 200 })
  t.equal(result.ended, 1)
  t.equal(result.lost.length, 1)
  t.match(result.lost[0], {
    id: stuck.id,
    status: 'lost',
    message: /^abandoned: process \d+ on .+ shut down before the run ended$/,
  })
  t.ok(s.run.controller.signal.aborted, 'the given-up run is told to stop')
  t.match(s.run.controller.signal.reason, { code: 'CM_ERR_LOST' })
  t.equal((await store.computations.get(NS, quick.id))?.status, 'finished')
  s.end()
  t.equal(runs.size, 0)
})
