import type { EventQuery, Store } from '@comp-manager/core'
import type { Test } from 'tap'
import { cacheInput, claimInput, NS_A, NS_B, NS_C, times } from '../fixtures.js'
import { clockSkip, expectCode, type Harness } from '../harness.js'
import { eventsOf } from './events.js'

/** Reading the log (after, limit, filters, namespaces, tail), retention, bad input. */
export function eventsLog(t: Test, h: Harness): void {
  t.test('read: after and limit page through the log, filters narrow it', (t) => reads(t, h))
  t.test('namespaces: a reader sees only its namespaces; tail sees all', (t) => namespaces(t, h))
  t.test('concurrent changes get distinct sequences, none lost', (t) => concurrent(t, h))
  t.test('prune by count and by age, in batches; sequences are never reused', { skip: clockSkip(h) }, (t) =>
    prune(t, h),
  )
  t.test('bad queries and retentions: CM_ERR_INVALID_ARGUMENT', (t) => badInput(t, h))
}

/** Three runs of `fib` and one of `fact` in A, each started then finished. */
async function fill(store: Store): Promise<string[]> {
  const ids: string[] = []
  for (const fn of ['fib', 'fib', 'fact', 'fib']) {
    const { record } = await store.computations.claim(claimInput({ function: fn }))
    await store.computations.update(NS_A, record.id, 'started', { status: 'finished' })
    ids.push(record.id)
  }
  return ids
}

async function reads(t: Test, h: Harness): Promise<void> {
  const { store } = await h.open(t)
  const ids = await fill(store)
  const log = eventsOf(store)
  const all = await log.read({ namespace: NS_A })
  t.equal(all.length, 8)
  const first = await log.read({ namespace: NS_A, limit: 3 })
  const rest = await log.read({ namespace: NS_A, after: first.at(-1)!.sequence })
  t.same([...first, ...rest], all, 'pages after the last sequence seen: nothing lost, nothing repeated')
  t.same(await log.read({ namespace: NS_A, after: all.at(-1)!.sequence }), [], 'nothing after the newest')
  const fact = await log.read({ namespace: NS_A, function: 'fact' })
  t.same(
    fact.map((e) => e.computationId),
    [ids[2], ids[2]],
  )
  t.same((await log.read({ namespace: NS_A, types: ['finished'] })).length, 4)
  t.same(
    (await log.read({ namespace: NS_A, status: ['started'] })).map((e) => e.type),
    Array(4).fill('started'),
  )
  const one = await log.read({ namespace: NS_A, computationId: ids[1]!, types: ['started', 'finished'] })
  t.same(
    one.map((e) => e.type),
    ['started', 'finished'],
  )
  t.same(await log.read({ namespace: NS_A, function: 'fact', types: ['paused'] }), [], 'filters are ANDed')
}

async function namespaces(t: Test, h: Harness): Promise<void> {
  const { store } = await h.open(t)
  await store.computations.claim(claimInput({ namespace: NS_A }))
  await store.computations.claim(claimInput({ namespace: NS_B }))
  await store.cache.set(cacheInput({ namespace: NS_C, key: 'k-c' }))
  await store.cache.delete(NS_C, 'k-c')
  const log = eventsOf(store)
  t.same(
    (await log.read({ namespace: NS_B })).map((e) => e.namespace),
    [NS_B],
  )
  t.same(
    (await log.read({ namespace: [NS_A, NS_C] })).map((e) => e.namespace),
    [NS_A, NS_C],
  )
  const tail = await log.tail(0)
  t.same(
    tail.map((e) => e.namespace),
    [NS_A, NS_B, NS_C],
    'tail: every namespace, in order',
  )
  t.same(await log.tail(tail[0]!.sequence, { limit: 1 }), [tail[1]])
}

async function concurrent(t: Test, h: Harness): Promise<void> {
  const { store } = await h.open(t)
  const n = 24
  await Promise.all(Array.from({ length: n }, () => store.computations.claim(claimInput())))
  const log = await eventsOf(store).read({ namespace: NS_A, limit: 1000 })
  t.equal(log.length, n, 'one started event per claim')
  t.equal(new Set(log.map((e) => e.sequence)).size, n, 'distinct sequences')
  t.equal(new Set(log.map((e) => e.computationId)).size, n, 'one per record')
  t.same(
    log.map((e) => e.sequence),
    [...log.map((e) => e.sequence)].sort((a, b) => a - b),
    'read in sequence order',
  )
}

async function prune(t: Test, h: Harness): Promise<void> {
  const { store, clock } = await h.open(t)
  const log = eventsOf(store)
  await times(6, () => store.computations.claim(claimInput()))
  clock.advance(60_000)
  await times(4, () => store.computations.claim(claimInput()))
  const before = await log.read({ namespace: NS_A })
  t.equal(await log.prune({ maxAgeMs: 30_000, batchSize: 4 }), 6, 'the six older than 30 s, in batches of 4')
  t.same(await log.read({ namespace: NS_A }), before.slice(6))
  t.equal(await log.prune({ maxCount: 1, batchSize: 2 }), 3, 'all but the newest')
  t.same(await log.read({ namespace: NS_A }), before.slice(9))
  t.equal(await log.prune({ maxCount: 0 }), 1)
  t.equal(await log.lastSequence(), before.at(-1)!.sequence, 'an empty log keeps its last sequence')
  await store.computations.claim(claimInput())
  const [next] = await log.read({ namespace: NS_A })
  t.ok(next!.sequence > before.at(-1)!.sequence, 'a sequence is never reused after a prune')
  t.equal(await log.prune({ maxAgeMs: 3_600_000 }), 0, 'nothing that old')
}

async function badInput(t: Test, h: Harness): Promise<void> {
  const { store } = await h.open(t)
  const log = eventsOf(store)
  const bad: [string, unknown][] = [
    ['no namespace', {}],
    ['a bad namespace', { namespace: 'a b' }],
    ['an unknown type', { namespace: NS_A, types: ['computation.exploded'] }],
    ['a negative after', { namespace: NS_A, after: -1 }],
    ['a fractional after', { namespace: NS_A, after: 1.5 }],
    ['after as a string', { namespace: NS_A, after: '5' }],
    ['limit 0', { namespace: NS_A, limit: 0 }],
    ['limit 1001', { namespace: NS_A, limit: 1001 }],
    ['an unknown status', { namespace: NS_A, status: ['exploded'] }],
    ['a $-operator', { namespace: NS_A, function: { $ne: null } }],
    ['an unknown field', { namespace: NS_A, $where: '1' }],
    ['a __proto__ key', JSON.parse('{"namespace":"tenant-a","__proto__":{"after":0}}')],
  ]
  for (const [what, query] of bad)
    await expectCode(t, () => log.read(query as EventQuery), 'CM_ERR_INVALID_ARGUMENT', `read: ${what}`)
  await expectCode(t, () => log.tail(-1), 'CM_ERR_INVALID_ARGUMENT', 'tail: a negative after')
  await expectCode(t, () => log.tail(0, { limit: 0 }), 'CM_ERR_INVALID_ARGUMENT', 'tail: limit 0')
  await expectCode(t, () => log.prune({}), 'CM_ERR_INVALID_ARGUMENT', 'prune: no bound')
  await expectCode(t, () => log.prune({ maxCount: -1 }), 'CM_ERR_INVALID_ARGUMENT', 'prune: negative count')
  await expectCode(
    t,
    () => log.prune({ maxAgeMs: 1, batchSize: 0 }),
    'CM_ERR_INVALID_ARGUMENT',
    'prune: batch 0',
  )
}
