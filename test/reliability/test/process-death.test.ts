// Guarantee 1: a process that dies mid-run never leaves a run `started` forever, never leaves a missing or
// corrupt result, and its runs can be run again; a caller waiting on a dead run takes it over once its
// lease runs out. On one SQLite file, and on one MongoDB database when MONGODB_URL is set.
import { join } from 'node:path'
import { type Computation, decode, hashKey, isCompManagerError, parse, type Store } from '@comp-manager/core'
import { createMongoStore } from '@comp-manager/mongo-store'
import { SqliteStore } from '@comp-manager/sqlite-store'
import { createTracker } from '@comp-manager/tracker'
import t, { type Test } from 'tap'
// @ts-expect-error plain .mjs fixture, no declarations
import { expectedSum, work } from '../fixtures/work.mjs'
import {
  type Child,
  killIfAlive,
  onMongo,
  report,
  SOAK,
  sleep,
  spawnFixture,
  tempDir,
  until,
} from './helpers.js'

const RUNS = SOAK ? 60 : 20
const WORKERS = 4
const KILLS = 2
const LEASE_MS = 1500
const NS = 'reliability'

/** Workers on `target` (the store `store` also opens), some SIGKILLed mid-run; the survivors' and the dead runs' fate. */
async function deathAndRerun(t: Test, test: string, target: string, store: Store): Promise<void> {
  const children: Child[] = []
  t.teardown(() => children.forEach(killIfAlive))
  for (let w = 0; w < WORKERS; w++) {
    const mine = Array.from({ length: RUNS }, (_, i) => i).filter((i) => i % WORKERS === w)
    children.push(
      spawnFixture('tracked-worker.mjs', [target, `worker-${w}`, mine.join(','), String(LEASE_MS)]),
    )
  }

  // Kill the first KILLS workers as soon as one of their runs has finished (the others are mid-run).
  const killed = children.slice(0, KILLS)
  await Promise.all(
    killed.map(async (child) => {
      await child.waitFor((m) => m.type === 'finished', 60_000)
      child.proc.kill('SIGKILL')
      await child.exited
    }),
  )
  const survivors = children.slice(KILLS)
  const exits = await Promise.all(survivors.map((c) => c.exited))
  for (const [k, exit] of exits.entries()) {
    t.equal(exit.code, 0, `surviving worker ${k + KILLS} exits 0`, { stderr: survivors[k]?.stderr() })
  }
  for (const child of children) {
    t.notOk(
      child.messages.some((m) => m.type === 'unhandledRejection'),
      'no unhandled rejection in a worker',
    )
  }

  // After the lease, any tracker's sweep declares the dead runs lost.
  await sleep(LEASE_MS + 300)
  const tracker = createTracker({ store, namespace: NS, owner: 'checker', leaseMs: 5000 })
  t.teardown(() => tracker.close())
  await tracker.sweep()

  const all: Computation[] = []
  for (let page = 1; page <= 10; page++) {
    const res = await store.computations.list({ namespace: NS, page, perPage: 100 })
    all.push(...res.data)
    if (page >= res.pages) break
  }
  t.equal(all.length, RUNS, 'one record per run')
  const statuses = new Map<string, number>()
  for (const r of all) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1)
  t.equal(statuses.get('started') ?? 0, 0, 'no run stays started')
  t.equal(
    (statuses.get('finished') ?? 0) + (statuses.get('lost') ?? 0),
    RUNS,
    'every run is finished or lost',
  )

  // Every finished result is present, decodes, and its key re-hashes to itself.
  let verified = 0
  for (const r of all.filter((x) => x.status === 'finished')) {
    const args = decode(r.args) as unknown[]
    const rehash = hashKey({ fn: r.functionFull, version: 1, args })
    t.equal(rehash.key, r.hash, `run ${String(args[0])}: key re-hashes to itself`)
    const entry = await store.cache.get(NS, r.hash)
    t.ok(entry, `run ${String(args[0])}: result present`)
    if (entry === null) continue
    const value = parse(entry.value) as {
      i: number
      sum: bigint
      squares: Map<number, bigint>
      bytes: Uint8Array
    }
    const i = args[0] as number
    t.equal(value.i, i)
    t.equal(value.sum, expectedSum(i) as bigint)
    t.equal(value.squares.get(i), BigInt(i) * BigInt(i))
    t.ok(value.bytes instanceof Uint8Array)
    verified++
  }

  // Re-running the lost ones succeeds (a new attempt, finished).
  const lost = all.filter((r) => r.status === 'lost')
  const rerun = tracker.track('work', work, {
    storeResult: true,
    functionFull: 'reliability/work',
    version: 1,
  })
  let rerunOk = 0
  for (const r of lost) {
    const [i] = decode(r.args) as [number]
    const value = (await rerun(i)) as { sum: bigint }
    if (value.sum === (expectedSum(i) as bigint)) rerunOk++
  }
  t.equal(rerunOk, lost.length, 'every lost run re-runs successfully')
  for (const r of lost) {
    const latest = await store.computations.getByHash(NS, r.hash)
    t.equal(latest?.status, 'finished', 'the re-run is recorded finished')
    t.ok((latest?.attempt ?? 0) > r.attempt, 'as a new attempt')
  }
  t.ok(lost.length > 0, 'the kills left lost runs (the test killed workers mid-run)')

  report(t, test, {
    runs: RUNS,
    workers: WORKERS,
    kills: KILLS,
    finished: statuses.get('finished') ?? 0,
    lost: lost.length,
    verifiedResults: verified,
    rerun: rerunOk,
  })
}

/**
 * A worker claims one run and is SIGKILLed mid-run; a caller of the same function and arguments in
 * this process waits for it (`onDuplicate: 'wait'`), sees it lost once its lease ran out, and runs it
 * again. Figures: lease expiry → re-run start (store time), and SIGKILL → re-run start.
 */
async function takeover(t: Test, test: string, target: string, store: Store): Promise<void> {
  const i = 99 // 16 steps of 60 ms: well over a second of work
  const child = spawnFixture('tracked-worker.mjs', [target, 'doomed', String(i), String(LEASE_MS)])
  t.teardown(() => killIfAlive(child))
  const { key } = hashKey({ fn: 'reliability/work', version: 1, args: [i] })
  const claimed = await until(async () => (await store.computations.getByHash(NS, key)) !== null, 60_000, 20)
  t.ok(claimed, 'the worker claimed the run')
  child.proc.kill('SIGKILL')
  await child.exited
  const killedAt = Date.now()
  const dead = await store.computations.getByHash(NS, key)
  t.equal(dead?.status, 'started', 'the dead run is left started, its lease running')

  const tracker = createTracker({ store, namespace: NS, owner: 'heir', leaseMs: 5000 })
  t.teardown(() => tracker.close())
  const call = tracker.track('work', work, {
    storeResult: true,
    functionFull: 'reliability/work',
    version: 1,
    onDuplicate: 'wait',
  })
  let value: { sum: bigint } | undefined
  let lostSeen = 0
  for (let attempt = 0; attempt < 3 && value === undefined; attempt++) {
    try {
      value = (await call(i)) as { sum: bigint }
    } catch (err) {
      if (!isCompManagerError(err, 'CM_ERR_LOST')) throw err
      lostSeen++
    }
  }
  t.equal(value?.sum, expectedSum(i), 'the re-run returns the right value')
  const rerun = await store.computations.getByHash(NS, key)
  const old = await store.computations.get(NS, dead!.id)
  t.equal(old?.status, 'lost', 'the dead run is lost')
  t.equal(rerun?.status, 'finished', 'the re-run finished')
  t.equal(rerun?.attempt, (dead?.attempt ?? 0) + 1, 'as the next attempt')
  const expiryToRerun = (rerun?.startedAt ?? 0) - (dead?.leaseUntil ?? 0)
  t.ok(expiryToRerun >= 0, `not re-run before the lease ran out (${expiryToRerun} ms after)`)
  report(t, test, {
    leaseMs: LEASE_MS,
    lostSeen,
    expiryToRerunMs: expiryToRerun,
    killToRerunMs: (rerun?.startedAt ?? 0) - killedAt,
  })
}

t.test('process death: SIGKILLed workers leave lost runs, never stuck or corrupt ones', async (t) => {
  const { dir, cleanup } = tempDir('death')
  t.teardown(cleanup)
  const path = join(dir, 'cm.db')
  // Create the schema once before the workers race to open the file.
  const store = new SqliteStore({ path })
  t.teardown(() => store.close())
  await deathAndRerun(t, 'process-death', path, store)
  await takeover(t, 'sigkill-takeover', path, store)
})

t.test('process death on MongoDB: lost runs, never stuck or corrupt ones; the takeover', (t) =>
  onMongo(t, async (url) => {
    const store = await createMongoStore({ url })
    t.teardown(() => store.close())
    await deathAndRerun(t, 'process-death-mongo', url, store)
    await takeover(t, 'sigkill-takeover-mongo', url, store)
  }),
)
