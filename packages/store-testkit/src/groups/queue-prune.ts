import type { Test } from 'tap'
import { cacheInput, NS_A, NS_B, uniqueHash } from '../fixtures.js'
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
