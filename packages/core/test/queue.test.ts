import t from 'tap'
import { MemoryStore, type NewJob } from '../src/index.js'
import { compareJobs, decideEnqueue, selectPrunable } from '../src/store/queue-records.js'
import { normalizePruneCriteria } from '../src/store/queue-validate.js'
import { buildComputation } from '../src/store/records.js'

// The queue port on the reference store, and its pure record logic. The full behaviour (ordering,
// leases, limits, races, retries, prune, schedules) is the store-testkit's queue groups, which every
// store runs; this file pins the core pieces they rest on.

const NOW = Date.UTC(2030, 0, 1)

function setup() {
  let now = NOW
  const clock = Object.assign(() => now, { advance: (ms: number) => (now += ms) })
  return { store: new MemoryStore({ clock }), clock }
}

let n = 0
const job = (overrides: Partial<NewJob> = {}): NewJob => ({
  namespace: 'ns',
  function: 'f',
  functionFull: 'mod/f',
  args: [1],
  hash: `h${++n}`,
  hashAlgorithm: 'sha256',
  ...overrides,
})

const claim = { namespaces: ['ns'], functions: ['f'], worker: 'w1', pid: 1, host: 'h', leaseMs: 1000 }

t.test('enqueue → claimNext → retry → recoverExpired on a MemoryStore', async (t) => {
  const { store, clock } = setup()
  const queue = store.queue
  const { record, created } = await queue.enqueue(job({ maxAttempts: 2, priority: 5 }))
  t.ok(created)
  t.hasStrict(record, {
    status: 'queued',
    priority: 5,
    maxAttempts: 2,
    runAt: null,
    worker: null,
    schemaVersion: 3,
  })
  t.equal((await queue.enqueue(job({ hash: record.hash }))).record.id, record.id, 'a queued call is joined')
  const claimed = await queue.claimNext(claim)
  t.hasStrict(claimed, {
    id: record.id,
    status: 'started',
    worker: 'w1',
    owner: 'w1',
    leaseUntil: NOW + 1000,
  })
  t.equal(await queue.claimNext(claim), null, 'nothing left')
  const { failed, next } = await queue.retry('ns', record.id, {
    error: { name: 'Error', message: 'boom' },
    runAt: NOW + 500,
  })
  t.hasStrict(failed, { status: 'failed', error: { message: 'boom' } })
  t.hasStrict(next, { status: 'queued', attempt: 2, runAt: NOW + 500, priority: 5, worker: null })
  t.equal(await queue.claimNext(claim), null, 'not before its runAt')
  clock.advance(500)
  const second = await queue.claimNext({ ...claim, maxLostRetries: 0 })
  t.equal(second?.id, next.id)
  clock.advance(1000)
  // The claim's lost retries (0) decide, not the recovering call's option.
  const [recovered] = await queue.recoverExpired({ maxLostRetries: 3 })
  t.hasStrict(
    recovered,
    { lost: { id: next.id, status: 'lost' }, next: null },
    'attempt 2 of 2: no attempt left',
  )
})

t.test('bad queue input is CM_ERR_INVALID_ARGUMENT and writes nothing', async (t) => {
  const { store } = setup()
  const bad: [string, () => Promise<unknown>][] = [
    ['priority out of range', () => store.queue.enqueue(job({ priority: 1001 }))],
    ['runAt over a year ahead', () => store.queue.enqueue(job({ runAt: NOW + 400 * 86_400_000 }))],
    ['maxAttempts 0', () => store.queue.enqueue(job({ maxAttempts: 0 }))],
    ['unknown field', () => store.queue.enqueue({ ...job(), $where: '1' } as NewJob)],
    ['no functions', () => store.queue.claimNext({ ...claim, functions: [] })],
    ['leaseMs 0', () => store.queue.claimNext({ ...claim, leaseMs: 0 })],
    ['$-key in limits', () => store.queue.claimNext({ ...claim, limits: { $gt: 1 } })],
    ['__proto__ in limits', () => store.queue.claimNext({ ...claim, limits: JSON.parse('{"__proto__":1}') })],
    ['limit 0', () => store.queue.claimNext({ ...claim, limits: { f: 0 } })],
    ['prune without a bound', () => store.queue.prune({ namespace: 'ns' })],
  ]
  for (const [what, action] of bad) await t.rejects(action(), { code: 'CM_ERR_INVALID_ARGUMENT' }, what)
  t.equal((await store.computations.list({ namespace: 'ns' })).total, 0, 'nothing written')
})

t.test('pure logic: enqueue decisions, claim order, prune selection', async (t) => {
  const rec = (over: object) => ({ ...buildComputation(job(), { id: `id${++n}`, now: NOW }), ...over })
  t.same(decideEnqueue(null, false), { action: 'insert', attempt: 1 })
  t.equal(decideEnqueue(rec({ status: 'finished' }), false).action, 'join')
  t.same(decideEnqueue(rec({ status: 'finished', attempt: 2 }), true), { action: 'insert', attempt: 3 })
  t.same(decideEnqueue(rec({ status: 'lost' }), false), { action: 'insert', attempt: 2 })
  const order = [
    rec({ id: 'd', priority: 0, createdAt: NOW + 2 }),
    rec({ id: 'c', priority: 0, runAt: NOW + 1 }),
    rec({ id: 'a', priority: 9, createdAt: NOW + 5 }),
    rec({ id: 'b', priority: 0 }),
  ]
  t.same(
    order.sort(compareJobs).map((r) => r.id),
    ['a', 'b', 'c', 'd'],
  )
  const ended = [1, 2, 3, 4].map((i) => rec({ id: `e${i}`, status: 'finished', finishedAt: NOW + i }))
  const keep2 = selectPrunable(ended, normalizePruneCriteria({ namespace: 'ns', keepLast: 2 }))
  t.same(keep2.map((r) => r.id).sort(), ['e1', 'e2'], 'keepLast keeps the newest')
  const before = selectPrunable(ended, normalizePruneCriteria({ namespace: 'ns', finishedBefore: NOW + 2 }))
  t.same(
    before.map((r) => r.id),
    ['e1'],
  )
})
