import type { ChildProcess } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Computation, Store } from '@comp-manager/core'
import { SqliteStore } from '@comp-manager/sqlite-store'
import t from 'tap'
import { createQueue } from '../src/index.js'
import { exited, nextMessage, spawnChild, type TestLike, until } from './fixtures/helpers.js'

/**
 * Real processes on one SQLite file. The children run test/fixtures/child.mjs (plain ESM importing
 * the built dist/ of this package and of sqlite-store: build them first); this process submits.
 */

const open = (t: TestLike) => {
  const dir = t.testdir()
  const path = join(dir, 'fleet.db')
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
  return { dir, store, spawn }
}

async function allRecords(store: Store, namespace: string): Promise<Computation[]> {
  const records: Computation[] = []
  for (let page = 1; ; page++) {
    const { data } = await store.computations.list({ namespace, page, perPage: 100, sort: 'createdAt' })
    records.push(...data)
    if (data.length < 100) return records
  }
}

const executions = (file: string) =>
  existsSync(file)
    ? readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => line.split(' ').map(Number) as [number, number])
    : []

t.test('4 worker processes, 200 jobs, 2 SIGKILLed mid-run: every job finished exactly once', async (t) => {
  const { dir, store, spawn } = open(t)
  const counter = join(dir, 'executions.txt')
  const queue = createQueue({ store, namespace: 'mp' })
  const handles = []
  for (let i = 0; i < 200; i++) handles.push(await queue.submit('double', [i]))
  t.equal(new Set(handles.map((h) => h.id)).size, 200, '200 distinct jobs queued')

  const children = Array.from({ length: 4 }, () => spawn('fleet', counter))
  // Each victim is killed as it reports a job started, once 60 jobs started: it dies mid-job (a
  // polled trigger could come after the queue drained on a fast run).
  let started = 0
  for (const child of children)
    child.on('message', (m: { type?: string }) => void (m?.type === 'started' && started++))
  const killOnStart = (child: ChildProcess) =>
    new Promise<void>((resolve) => {
      const onMessage = (m: { type?: string }) => {
        if (m?.type !== 'started' || started < 60) return
        child.off('message', onMessage)
        child.kill('SIGKILL')
        resolve()
      }
      child.on('message', onMessage)
    })
  const [victimA, victimB] = children as [ChildProcess, ChildProcess]
  const kills = Promise.all([killOnStart(victimA), killOnStart(victimB)])
  await Promise.all(children.map((child) => nextMessage(child, 'ready')))
  t.equal((await queue.listWorkers()).length, 4, 'the 4 workers are in the registry')

  await kills
  await Promise.all([exited(victimA), exited(victimB)])
  const killed = new Set([victimA.pid, victimB.pid])

  const results = await Promise.all(handles.map((h) => h.result({ timeoutMs: 120_000 })))
  t.same(
    results,
    Array.from({ length: 200 }, (_, i) => i * 2),
    'every result, in order, decoded',
  )

  const records = await allRecords(store, 'mp')
  const finished = records.filter((r) => r.status === 'finished')
  t.equal(finished.length, 200, 'exactly 200 finished records')
  t.equal(new Set(finished.map((r) => r.hash)).size, 200, 'one finished record per job')
  t.same(
    records.filter((r) => !['finished', 'lost'].includes(r.status)).map((r) => `${r.id} ${r.status}`),
    [],
    'nothing queued, started, paused or failed',
  )
  const lost = records.filter((r) => r.status === 'lost')
  t.ok(lost.length > 0, `the killed workers' running jobs were recovered as lost (${lost.length})`)
  t.ok(
    lost.every((r) => killed.has(r.pid ?? -1)),
    'only jobs of the killed workers were lost',
  )

  const runs = executions(counter)
  const perJob = new Map<number, number>()
  for (const [i] of runs) perJob.set(i, (perJob.get(i) ?? 0) + 1)
  t.equal(perJob.size, 200, 'every job was executed')
  const lostHashes = new Set(lost.map((r) => r.hash))
  const hashOf = new Map(handles.map((h, i) => [i, h.record.hash]))
  const rerun = [...perJob].filter(([, n]) => n > 1).map(([i]) => i)
  t.ok(
    rerun.every((i) => lostHashes.has(hashOf.get(i) as string)),
    `only lost jobs ran more than once (${rerun.length} of them, ${runs.length} executions in all)`,
  )
  t.ok(runs.length <= 200 + lost.length, 'at most one extra execution per lost attempt')

  for (const child of children.slice(2)) child.kill('SIGTERM')
  const closed = await Promise.all(children.slice(2).map((child) => nextMessage(child, 'closed')))
  t.equal(closed.length, 2, 'the surviving workers shut down on SIGTERM')
  await until(async () => (await queue.listWorkers()).length <= 2, 'the closed workers left the registry')
})
