import { MemoryStore } from '@comp-manager/core'
import t, { type Test } from 'tap'
import { createQueue, createWorker } from '../src/index.js'
import { codeOf, recordingLogger, startWorker } from './fixtures/helpers.js'

const fresh = (t: Test) => {
  const store = new MemoryStore()
  t.teardown(() => store.close())
  return store
}

const noWrites = async (t: Test, store: MemoryStore) => {
  const { total } = await store.computations.list({ namespace: 'w' })
  t.equal(total, 0, 'nothing written')
  t.same(await store.queue?.listSchedules('w'), [], 'no schedule written')
}

t.test('createWorker refuses bad options, naming each', async (t) => {
  const store = fresh(t)
  const fn = () => 1
  const base = { store, namespace: 'w', functions: { fn }, logger: recordingLogger() }
  const cases: [string, Record<string, unknown>, string][] = [
    ['no store', { ...base, store: undefined }, 'store'],
    [
      'a store without a queue port',
      { ...base, store: { computations: store.computations, cache: store.cache } },
      'store',
    ],
    ['no namespace', { ...base, namespace: undefined }, 'namespace'],
    ['both namespace and namespaces', { ...base, namespaces: ['a'] }, 'namespaces'],
    ['a bad namespace', { ...base, namespace: '$where' }, 'namespace'],
    ['no functions', { ...base, functions: {} }, 'functions'],
    ['a function that is a string', { ...base, functions: { fn: 'console.log' } }, 'functions.fn'],
    ['a reserved function name', { ...base, functions: JSON.parse('{"__proto__": 1}') }, 'functions'],
    ['concurrency 0', { ...base, concurrency: 0 }, 'concurrency'],
    ['concurrency huge', { ...base, concurrency: 1e9 }, 'concurrency'],
    ['a negative limit', { ...base, limits: { fn: -1 } }, 'limits'],
    ['a limit of an unknown function', { ...base, limits: { other: 1 } }, 'limits.other'],
    ['a fleet limit of an unknown function', { ...base, fleetLimits: { other: 1 } }, 'fleetLimits.other'],
    ['a tiny lease', { ...base, leaseMs: 1 }, 'leaseMs'],
    ['heartbeat ≥ lease', { ...base, leaseMs: 1000, heartbeatMs: 1000 }, 'heartbeatMs'],
    ['a bad backoff', { ...base, retry: { backoff: { jitter: 2 } } }, 'retry.backoff.jitter'],
    ['a bad timeout', { ...base, functions: { fn: { run: fn, timeoutMs: -5 } } }, 'timeoutMs'],
    ['an unknown function option', { ...base, functions: { fn: { run: fn, retries: 3 } } }, 'retries'],
    ['retention without criteria', { ...base, retention: { intervalMs: 1000 } }, 'retention'],
    ['poll max below min', { ...base, poll: { minMs: 100, maxMs: 10 } }, 'poll.maxMs'],
    ['an unknown option', { ...base, concurency: 2 }, 'concurency'],
    ['a polluted option', JSON.parse('{"__proto__": {"polluted": true}}'), '__proto__'],
  ]
  for (const [what, options, option] of cases) {
    const error = await codeOf(() => createWorker(options as never))
    t.equal(error, 'CM_ERR_INVALID_ARGUMENT', what)
    try {
      createWorker(options as never)
    } catch (err) {
      t.match((err as { details?: { option?: string } }).details?.option, option, `${what}: names ${option}`)
    }
  }
  t.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype was polluted')
})

t.test('submit refuses bad input with clear codes, writing nothing', async (t) => {
  const store = fresh(t)
  const queue = createQueue({ store, namespace: 'w' })
  const cases: [string, () => Promise<unknown>, string][] = [
    ['a non-string function', () => queue.submit(42 as never, []), 'CM_ERR_INVALID_ARGUMENT'],
    ['an empty function name', () => queue.submit('  ', []), 'CM_ERR_INVALID_ARGUMENT'],
    ['args that are not a list', () => queue.submit('f', { a: 1 } as never), 'CM_ERR_INVALID_ARGUMENT'],
    ['args that do not encode (a function)', () => queue.submit('f', [() => 1]), 'CM_ERR_UNSUPPORTED_TYPE'],
    ['args that do not encode (a symbol)', () => queue.submit('f', [Symbol('s')]), 'CM_ERR_UNSUPPORTED_TYPE'],
    ['a fractional priority', () => queue.submit('f', [], { priority: 1.5 }), 'CM_ERR_INVALID_ARGUMENT'],
    ['a huge priority', () => queue.submit('f', [], { priority: 5000 }), 'CM_ERR_INVALID_ARGUMENT'],
    ['a negative delay', () => queue.submit('f', [], { delay: -1 }), 'CM_ERR_INVALID_ARGUMENT'],
    ['a delay over a year', () => queue.submit('f', [], { delay: '400d' }), 'CM_ERR_INVALID_ARGUMENT'],
    [
      'a runAt over a year ahead',
      () => queue.submit('f', [], { runAt: Date.now() + 400 * 86_400_000 }),
      'CM_ERR_INVALID_ARGUMENT',
    ],
    ['an invalid Date', () => queue.submit('f', [], { runAt: new Date('nope') }), 'CM_ERR_INVALID_ARGUMENT'],
    [
      'delay and runAt',
      () => queue.submit('f', [], { delay: 10, runAt: Date.now() }),
      'CM_ERR_INVALID_ARGUMENT',
    ],
    ['attempts 0', () => queue.submit('f', [], { attempts: 0 }), 'CM_ERR_INVALID_ARGUMENT'],
    ['attempts 101', () => queue.submit('f', [], { attempts: 101 }), 'CM_ERR_INVALID_ARGUMENT'],
    ['an unknown option', () => queue.submit('f', [], { retries: 2 } as never), 'CM_ERR_INVALID_ARGUMENT'],
    [
      'an operator as an option',
      () => queue.submit('f', [], JSON.parse('{"$set": {"status": "finished"}}')),
      'CM_ERR_INVALID_ARGUMENT',
    ],
    [
      'a polluted option',
      () => queue.submit('f', [], JSON.parse('{"__proto__": {"priority": 5}}')),
      'CM_ERR_INVALID_ARGUMENT',
    ],
  ]
  for (const [what, call, code] of cases) t.equal(await codeOf(call), code, what)
  await noWrites(t, store)
})

t.test('schedule refuses invalid schedules, writing nothing', async (t) => {
  const store = fresh(t)
  const queue = createQueue({ store, namespace: 'w' })
  const cases: [string, () => Promise<unknown>][] = [
    ['an invalid cron', () => queue.schedule('s', 'f', [], { cron: '61 * * * *' })],
    ['a cron that is not one', () => queue.schedule('s', 'f', [], { cron: 'every tuesday' })],
    ['neither cron nor every', () => queue.schedule('s', 'f', [], {})],
    ['both cron and every', () => queue.schedule('s', 'f', [], { cron: '* * * * *', every: '1m' })],
    ['every below 1 s', () => queue.schedule('s', 'f', [], { every: 10 })],
    ['every negative', () => queue.schedule('s', 'f', [], { every: -1000 })],
    ['no name', () => queue.schedule('', 'f', [], { every: '1m' })],
    ['args that are not a list', () => queue.schedule('s', 'f', 'x' as never, { every: '1m' })],
    ['an unknown time zone', () => queue.schedule('s', 'f', [], { cron: '0 3 * * *', tz: 'Mars/Olympus' })],
    [
      'a time zone that is not a string',
      () => queue.schedule('s', 'f', [], { cron: '0 3 * * *', tz: 2 as never }),
    ],
    ['an empty time zone', () => queue.schedule('s', 'f', [], { cron: '0 3 * * *', tz: '' })],
    ['a time zone with every', () => queue.schedule('s', 'f', [], { every: '1m', tz: 'Europe/Paris' })],
  ]
  for (const [what, call] of cases) t.equal(await codeOf(call), 'CM_ERR_INVALID_ARGUMENT', what)
  t.equal(await codeOf(() => queue.schedule('s', 'f', [() => 1], { every: '1m' })), 'CM_ERR_UNSUPPORTED_TYPE')
  await noWrites(t, store)
})

t.test('an unknown function is refused at submit when the fleet is known', async (t) => {
  const store = fresh(t)
  const listed = createQueue({ store, namespace: 'w', functions: ['known'] })
  t.equal(await codeOf(listed.submit('unknown', [])), 'CM_ERR_UNKNOWN_FUNCTION')
  t.equal(await codeOf(listed.schedule('s', 'unknown', [], { every: '1m' })), 'CM_ERR_UNKNOWN_FUNCTION')
  const registered = createQueue({ store, namespace: 'w', functions: 'registered' })
  t.equal(await codeOf(registered.submit('known', [])), 'CM_ERR_UNKNOWN_FUNCTION', 'no worker registered yet')
  await noWrites(t, store)
  await startWorker(t, store, { functions: { known: () => 'ok' } })
  const job = await registered.submit('known', [])
  t.equal(await job.result(), 'ok', 'accepted once a worker registers it')
  t.equal(await codeOf(registered.submit('unknown', [])), 'CM_ERR_UNKNOWN_FUNCTION')
})

t.test('createQueue and worker methods refuse bad arguments', async (t) => {
  const store = fresh(t)
  t.equal(await codeOf(() => createQueue({ store, namespace: 'w', attempts: 0 })), 'CM_ERR_INVALID_ARGUMENT')
  t.equal(await codeOf(() => createQueue({ store: {} as never, namespace: 'w' })), 'CM_ERR_INVALID_ARGUMENT')
  t.equal(
    await codeOf(() => createQueue({ store, namespace: 'w', functions: 'all' as never })),
    'CM_ERR_INVALID_ARGUMENT',
  )
  const worker = createWorker({ store, namespace: 'w', functions: { f: () => 1 }, logger: recordingLogger() })
  t.equal(await codeOf(() => worker.on('started', 'x' as never)), 'CM_ERR_INVALID_ARGUMENT')
  t.equal(await codeOf(worker.drain({ timeoutMs: -1 })), 'CM_ERR_INVALID_ARGUMENT')
  await worker.start()
  t.equal(await codeOf(worker.start()), 'CM_ERR_INVALID_TRANSITION', 'start() twice')
  await worker.close()
})
