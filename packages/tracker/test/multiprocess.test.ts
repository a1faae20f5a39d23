import type { ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { SqliteStore } from '@comp-manager/sqlite-store'
import t from 'tap'
import { createTracker, type RunContext } from '../src/index.js'
import {
  exited,
  nextMessage,
  recordingLogger,
  settle,
  sleep,
  spawnChild,
  type TestLike,
  until,
} from './fixtures/helpers.js'

/**
 * Real processes on one SQLite file. The children run test/fixtures/child.mjs (plain ESM importing
 * the built dist/ of this package and of sqlite-store: build them first); this test process runs a
 * tracker of its own on the same file.
 */

const open = (t: TestLike) => {
  const dir = t.testdir()
  const path = join(dir, 'mp.db')
  const store = new SqliteStore({ path })
  t.teardown(() => store.close())
  const children: ChildProcess[] = []
  t.teardown(() => {
    for (const child of children)
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  const spawn = (...args: string[]) => {
    const child = spawnChild([path, ...args])
    children.push(child)
    return child
  }
  return { dir, path, store, spawn }
}

t.test("'wait' across 4 processes: exactly one execution, every process gets its result", async (t) => {
  const { dir, store, spawn } = open(t)
  const counter = join(dir, 'executions.txt')
  const children = Array.from({ length: 4 }, () => spawn('wait', counter))
  await Promise.all(children.map((child) => nextMessage(child, 'ready')))
  const results = children.map((child) =>
    nextMessage<{ type: string; value: { by: number } }>(child, 'result'),
  )
  const startAt = Date.now() + 100
  for (const child of children) child.send({ type: 'go', startAt })
  const values = (await Promise.all(results)).map((r) => r.value)
  const lines = readFileSync(counter, 'utf8').trim().split('\n')
  t.equal(lines.length, 1, 'the function ran once')
  const executor = Number(lines[0])
  t.ok(
    children.some((c) => c.pid === executor),
    'in one of the children',
  )
  t.same(
    values,
    values.map(() => ({ n: 21, by: executor, big: String(2n ** 64n) })),
    'all four got the same result',
  )
  const records = await store.computations.list({ namespace: 'mp', function: 'slow' })
  t.equal(records.total, 1, 'one record')
  t.match(records.data[0], { status: 'finished', attempt: 1, pid: executor })
  await Promise.all(children.map(exited))
})

t.test(
  'SIGKILL mid-run: a waiter gets CM_ERR_LOST, the record is lost, a new call runs (attempt 2)',
  async (t) => {
    const { store, spawn } = open(t)
    const child = spawn('hang', 'job-1')
    const { id } = await nextMessage<{ type: string; id: string }>(child, 'running')
    const tracker = createTracker({
      store,
      namespace: 'mp',
      leaseMs: 600,
      pollMs: 20,
      logger: recordingLogger(),
    })
    let executions = 0
    const hang = tracker.track(
      'hang',
      async (job: string, _ctx: RunContext) => {
        executions++
        return `ran ${job}`
      },
      { context: true, onDuplicate: 'wait' },
    )
    const waiting = settle(hang('job-1'))
    await sleep(50)
    child.kill('SIGKILL')
    t.match(await exited(child), { signal: 'SIGKILL' })
    t.match(
      await waiting,
      { ok: false, error: { code: 'CM_ERR_LOST', details: { id } } },
      'the waiter is released',
    )
    t.match(await store.computations.get('mp', id), { status: 'lost', leaseUntil: null })
    t.equal(executions, 0)
    t.equal(await hang('job-1'), 'ran job-1', 'a new call runs again')
    t.same(
      (await tracker.list({ function: 'hang', sort: 'createdAt' })).data.map((r) => [
        r.attempt,
        r.status,
        r.pid,
      ]),
      [
        [1, 'lost', child.pid],
        [2, 'finished', process.pid],
      ],
    )
  },
)

t.test('SIGKILL mid-run: sweep() marks the run lost once its lease expired', async (t) => {
  const { store, spawn } = open(t)
  const child = spawn('hang', 'job-2')
  const { id } = await nextMessage<{ type: string; id: string }>(child, 'running')
  const tracker = createTracker({ store, namespace: 'mp', logger: recordingLogger() })
  const lostEvents: string[] = []
  tracker.on('lost', (e) => lostEvents.push(e.record.id))
  t.same(await tracker.sweep(), [], 'nothing to sweep while the child heartbeats')
  child.kill('SIGKILL')
  await exited(child)
  const swept = await until(
    async () => (await tracker.sweep()).find((r) => r.id === id),
    'the sweep to find it',
    30_000,
  )
  t.match(swept, { id, status: 'lost' })
  t.same(lostEvents, [id], 'a lost event')
  t.equal((await tracker.get(id))?.status, 'lost')
  t.same(await tracker.sweep(), [], 'a second sweep finds nothing')
})

t.test('a 2-second CPU-bound loop (lease 5 s, heartbeat 500 ms) is never marked lost', async (t) => {
  const { store, spawn } = open(t)
  const sweeper = createTracker({ store, namespace: 'mp', sweepIntervalMs: 100, logger: recordingLogger() })
  t.teardown(() => sweeper.close())
  const lost: string[] = []
  sweeper.on('lost', (e) => lost.push(e.record.id))
  const child = spawn('cpu', '2000')
  const { id } = await nextMessage<{ type: string; id: string }>(child, 'running')
  const done = await nextMessage<{ type: string; turns: number }>(child, 'done')
  t.ok(done.turns > 0, 'the loop ran')
  await sweeper.close()
  t.same(lost, [], 'the sweeper (every 100 ms) never declared it lost')
  t.match(await store.computations.get('mp', id), { status: 'finished', function: 'spin' })
  await exited(child)
})
