import type { Test } from 'tap'
import { NS_A, NS_B } from '../fixtures.js'
import { clockSkip, expectCode, type Harness } from '../harness.js'
import { claimNextInput, jobInput, queueOf } from '../queue-fixtures.js'

/** `queue.complete`: values stored and claimed jobs ended `finished` together; stale ones left alone. */
export function queueComplete(t: Test, h: Harness): void {
  const skip = clockSkip(h)

  t.test(
    'complete: each value stored under its job hash, each record finished pointing to it',
    { skip },
    (t) => completeStoresAndFinishes(t, h),
  )

  t.test(
    'complete: a job no longer started by that worker gets null, nothing written for it',
    { skip },
    (t) => completeSkipsStale(t, h),
  )

  t.test('complete: bad input is refused, nothing written', (t) => completeBadInput(t, h))
}

async function completeStoresAndFinishes(t: Test, h: Harness): Promise<void> {
  const { store, clock } = await h.open(t)
  const queue = queueOf(store)
  const a = (await queue.enqueue(jobInput())).record
  const b = (await queue.enqueue(jobInput({ namespace: NS_B }))).record
  await queue.claimBatch(claimNextInput({ namespaces: [NS_A, NS_B], max: 2 }))
  clock.advance(50)
  const done = await queue.complete([
    { namespace: NS_A, id: a.id, worker: 'w1', value: '{"ok":1}', ttlMs: 60_000 },
    { namespace: NS_B, id: b.id, worker: 'w1', value: null },
  ])
  t.hasStrict(done[0], {
    id: a.id,
    status: 'finished',
    finishedAt: clock(),
    result: { cacheKey: a.hash, namespace: NS_A, size: 8 },
  })
  t.hasStrict(done[1], { id: b.id, status: 'finished', result: null }, 'null value: nothing stored')
  t.hasStrict(await store.computations.get(NS_A, a.id), { status: 'finished', leaseUntil: null })
  const entry = await store.cache.get(NS_A, a.hash, { touch: false })
  t.hasStrict(entry, {
    value: '{"ok":1}',
    function: 'resize',
    functionFull: 'images/resize',
    algorithm: 'sha256',
    expiresAt: clock() + 60_000,
  })
  t.equal(await store.cache.get(NS_B, b.hash, { touch: false }), null, 'no entry for the null value')
}

async function completeSkipsStale(t: Test, h: Harness): Promise<void> {
  const { store, clock } = await h.open(t)
  const queue = queueOf(store)
  const mine = (await queue.enqueue(jobInput())).record
  const other = (await queue.enqueue(jobInput())).record
  const queued = (await queue.enqueue(jobInput({ priority: -1 }))).record
  const lost = (await queue.enqueue(jobInput({ priority: -2 }))).record
  await queue.claimNext(claimNextInput())
  await queue.claimNext(claimNextInput({ worker: 'w2' }))
  await queue.enqueue(jobInput({ priority: -3 }))
  clock.advance(1)
  t.hasStrict(await queue.claimNext(claimNextInput({ leaseMs: 100, functions: ['resize'] })), {
    id: queued.id,
  })
  clock.advance(100)
  await store.computations.expire(NS_A, queued.id)
  const result = await queue.complete([
    { namespace: NS_A, id: mine.id, worker: 'w1', value: '1' },
    { namespace: NS_A, id: other.id, worker: 'w1', value: '2' },
    { namespace: NS_A, id: queued.id, worker: 'w1', value: '3' },
    { namespace: NS_A, id: lost.id, worker: 'w1', value: '4' },
    { namespace: NS_A, id: 'no-such-id', worker: 'w1', value: '5' },
    { namespace: NS_A, id: mine.id, worker: 'w1', value: '6' },
  ])
  t.same(
    result.map((r) => r?.status ?? null),
    ['finished', null, null, null, null, null],
    'only the started job of w1 (once); claimed by w2, lost, still queued, unknown: null',
  )
  t.hasStrict(await store.computations.get(NS_A, other.id), { status: 'started', worker: 'w2' })
  t.hasStrict(await store.computations.get(NS_A, lost.id), { status: 'queued' })
  t.equal(await store.cache.get(NS_A, other.hash, { touch: false }), null, 'no value stored for w2 job')
  t.equal((await store.cache.get(NS_A, mine.hash, { touch: false }))?.value, '1')
}

async function completeBadInput(t: Test, h: Harness): Promise<void> {
  const { store } = await h.open(t)
  const queue = queueOf(store)
  const job = { namespace: NS_A, id: 'some-id', worker: 'w1', value: '1' }
  const any = (v: unknown) => v as never
  const cases: [string, unknown][] = [
    ['not an array', job],
    ['empty', []],
    ['over 100 jobs', Array.from({ length: 101 }, () => job)],
    ['bad namespace', [{ ...job, namespace: '' }]],
    ['empty id', [{ ...job, id: '' }]],
    ['no worker', [{ ...job, worker: undefined }]],
    ['value not a string', [{ ...job, value: 42 }]],
    ['ttlMs 0', [{ ...job, ttlMs: 0 }]],
    ['$-operator field', [{ ...job, $set: { status: 'finished' } }]],
    ['__proto__ field', [JSON.parse('{"namespace":"a","id":"x","worker":"w","value":"1","__proto__":{}}')]],
    ['lone surrogate', [{ ...job, value: '\ud800' }]],
  ]
  for (const [label, input] of cases) {
    await expectCode(t, () => queue.complete(any(input)), 'CM_ERR_INVALID_ARGUMENT', label)
  }
  const limit = store.capabilities.maxValueBytes
  if (limit <= h.caps.maxValueTestBytes) {
    const big = 'x'.repeat(limit + 1)
    await expectCode(t, () => queue.complete([{ ...job, value: big }]), 'CM_ERR_VALUE_TOO_LARGE', 'oversize')
  }
  t.equal((await store.computations.list({ namespace: NS_A })).total, 0, 'nothing written')
}
