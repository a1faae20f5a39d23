import type { Computation, Store } from '@comp-manager/core'
import type { Test } from 'tap'
import { cacheInput, claimInput, NS_A, NS_B, uniqueHash } from '../fixtures.js'
import { clockSkip, type Harness } from '../harness.js'
import { claimNextInput, finishedJob, jobInput, queueOf } from '../queue-fixtures.js'

/** `queue.prune`: by age, by count per function, in batches, with the cache entries results point to. */
export function queuePrune(t: Test, h: Harness): void {
  const skip = clockSkip(h)

  t.test('prune by age: old terminal records and their results go, live ones and newer stay', { skip }, (t) =>
    pruneByAge(t, h),
  )

  t.test('prune keepLast: the newest n terminal records per function stay', { skip }, (t) =>
    pruneKeepLast(t, h),
  )

  t.test(
    'prune in small batches deletes everything selected; filters by function and status',
    { skip },
    (t) => pruneInBatches(t, h),
  )

  t.test(
    'prune takes cache-fill runs (hash cache:<key>) by age and by count, and leaves their cache entries',
    { skip },
    (t) => pruneCacheFills(t, h),
  )
}

/**
 * A cache fill as `@comp-manager/cache` records it: `computations.claim` of hash `cache:<key>`
 * (`onTerminal: 'rerun'`, so a refresh is the next attempt), the value written to the cache under
 * `key`, the run finished with a result pointing to it.
 */
async function cacheFill(store: Store, key: string, value: string): Promise<Computation> {
  const { record } = await store.computations.claim(
    claimInput({ function: 'fill', functionFull: 'app/fill', hash: `cache:${key}`, onTerminal: 'rerun' }),
  )
  const meta = await store.cache.set(cacheInput({ key, function: 'fill', functionFull: 'app/fill', value }))
  return store.computations.update(NS_A, record.id, 'started', {
    status: 'finished',
    result: { cacheKey: key, size: meta.size },
  })
}

/** Computation retention prunes fill runs like any run; the cached value is the cache's (its TTL). */
async function pruneCacheFills(t: Test, h: Harness): Promise<void> {
  const { store, clock } = await h.open(t)
  const queue = queueOf(store)
  const oldKey = uniqueHash('key')
  const old = await cacheFill(store, oldKey, '"old"')
  clock.advance(1000)
  const cutoff = clock()
  const newKey = uniqueHash('key')
  const recent = await cacheFill(store, newKey, '"new"')
  t.equal(await queue.prune({ namespace: NS_A, finishedBefore: cutoff }), 1, 'by age: the old fill run')
  t.equal(await store.computations.get(NS_A, old.id), null, 'the old fill run: gone')
  t.not(await store.computations.get(NS_A, recent.id), null, 'the recent one stays')
  t.hasStrict(await store.cache.get(NS_A, oldKey, { touch: false }), { value: '"old"' }, 'its entry stays')

  // Refreshes of one key are attempts 2, 3 of its fill run; each rewrote the entry.
  const attempts = [recent]
  for (const value of ['"newer"', '"newest"']) {
    clock.advance(10)
    attempts.push(await cacheFill(store, newKey, value))
  }
  t.same(
    attempts.map((r) => [r.hash, r.attempt]),
    [1, 2, 3].map((n) => [`cache:${newKey}`, n]),
  )
  t.equal(await queue.prune({ namespace: NS_A, keepLast: 1 }), 2, 'by count: all but the newest fill')
  const left = await store.computations.list({ namespace: NS_A, hash: `cache:${newKey}` })
  t.same(
    left.data.map((r) => r.id),
    [attempts[2]?.id],
    'the newest attempt stays',
  )
  t.hasStrict(
    await store.cache.get(NS_A, newKey, { touch: false }),
    { value: '"newest"' },
    'the entry the pruned attempts pointed to (rewritten since) stays',
  )
}

async function pruneByAge(t: Test, h: Harness): Promise<void> {
  const { store, clock } = await h.open(t)
  const queue = queueOf(store)
  const key = uniqueHash('key')
  await store.cache.set(cacheInput({ key }))
  const kept = await store.cache.set(cacheInput())
  const old = await finishedJob(store, {}, { cacheKey: key })
  const failed = (await queue.enqueue(jobInput())).record
  await store.computations.update(NS_A, failed.id, 'queued', { status: 'failed' })
  const live = (await queue.enqueue(jobInput())).record
  clock.advance(1000)
  const cutoff = clock()
  const recent = await finishedJob(store)
  const otherNs = await finishedJob(store, { namespace: NS_B })
  t.equal(await queue.prune({ namespace: NS_A, finishedBefore: cutoff }), 2, 'two records deleted')
  t.equal(await store.computations.get(NS_A, old.id), null, 'old finished: gone')
  t.equal(await store.computations.get(NS_A, failed.id), null, 'old failed: gone')
  t.equal(
    await store.cache.get(NS_A, key, { touch: false }),
    null,
    'the cache entry its result pointed to: gone',
  )
  t.not(await store.cache.get(NS_A, kept.key, { touch: false }), null, 'other cache entries stay')
  t.not(await store.computations.get(NS_A, live.id), null, 'a queued job stays')
  t.not(await store.computations.get(NS_A, recent.id), null, 'newer than the cutoff: stays')
  t.not(await store.computations.get(NS_B, otherNs.id), null, 'another namespace: untouched')
}

async function pruneKeepLast(t: Test, h: Harness): Promise<void> {
  const { store, clock } = await h.open(t)
  const queue = queueOf(store)
  const resize = []
  for (let i = 0; i < 5; i++) {
    resize.push(await finishedJob(store))
    clock.advance(10)
  }
  const encode = await finishedJob(store, { function: 'encode', functionFull: 'video/encode' })
  t.equal(await queue.prune({ namespace: [NS_A, NS_B], keepLast: 2 }), 3)
  const left = (await store.computations.list({ namespace: NS_A, perPage: 100 })).data.map((r) => r.id)
  t.same(
    left.sort(),
    [resize[3]!.id, resize[4]!.id, encode.id].sort(),
    'the two newest resize and the only encode',
  )
  t.equal(await queue.prune({ namespace: NS_A, keepLast: 2 }), 0, 'nothing more to prune')
}

async function pruneInBatches(t: Test, h: Harness): Promise<void> {
  const { store, clock } = await h.open(t)
  const queue = queueOf(store)
  for (let i = 0; i < 7; i++) await finishedJob(store)
  const encode = await finishedJob(store, { function: 'encode', functionFull: 'video/encode' })
  const lost = await store.computations.create({ ...jobInput(), status: 'started' })
  await store.computations.update(NS_A, lost.id, 'started', { status: 'lost' })
  clock.advance(1)
  const onlyLost = await queue.prune({ namespace: NS_A, statuses: ['lost'], finishedBefore: clock() })
  t.equal(onlyLost, 1, 'statuses: only the lost one')
  const deleted = await queue.prune({
    namespace: NS_A,
    function: 'images/resize',
    finishedBefore: clock(),
    batchSize: 2,
  })
  t.equal(deleted, 7, 'four batches of at most 2, by functionFull')
  t.same(
    (await store.computations.list({ namespace: NS_A })).data.map((r) => r.id),
    [encode.id],
  )
  await queue.enqueue(jobInput())
  await queue.claimNext(claimNextInput())
  t.equal(
    await queue.prune({ namespace: NS_A, keepLast: 0 }),
    1,
    'keepLast 0: every terminal record, not the running one',
  )
}
