import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { SqliteStore } from '@comp-manager/sqlite-store'
import t, { type Test } from 'tap'
import { createCache, FILL_HASH_PREFIX } from '../src/index.js'
import { exited, forkFixture, nextMessage } from './fixtures/helpers.js'

/**
 * Real processes on one SQLite file (test/fixtures/worker.ts). Each execution of the cached function
 * appends a line to a counter file, so "exactly once" is counted outside every process.
 */

interface Result {
  type: 'result'
  value?: { square: string; by: string; isDate: boolean }
  error?: { code?: string; message: string }
  stats?: { hits: number; misses: number; dedupes: number }
}

const lines = (file: string) => readFileSync(file, 'utf8').split('\n').filter(Boolean)

function start(t: Test, path: string, counter: string, name: string, mode: 'run' | 'hang', leaseMs: number) {
  const child = forkFixture('./worker.ts', [path, counter, name, mode, String(leaseMs)])
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  return child
}

/** The key the workers use for `slowSquare(n)`. */
async function keyOf(path: string, n: bigint): Promise<string> {
  const store = new SqliteStore({ path })
  const cache = createCache({ store, namespace: 'multi' })
  cache.wrap('slowSquare', async (_n: bigint) => null)
  const { key } = cache.explain('slowSquare', [n])
  await cache.close()
  await store.close()
  return key
}

t.test('4 processes, one missing key → exactly one execution', async (t) => {
  const dir = t.testdir()
  const path = join(dir, 'shared.db')
  const counter = join(dir, 'executions.log')
  writeFileSync(counter, '')
  const children = Array.from({ length: 4 }, (_, i) => start(t, path, counter, `child-${i}`, 'run', 5000))
  await Promise.all(children.map((child) => nextMessage(child, 'ready')))

  const startAt = Date.now() + 300
  const replies = children.map((child) => nextMessage<Result>(child, 'result'))
  for (const child of children) child.send({ type: 'call', arg: '12345678901234567890', startAt })
  const results = await Promise.all(replies)

  t.equal(lines(counter).length, 1, 'the function ran exactly once, in one process')
  const square = (12345678901234567890n ** 2n).toString()
  for (const result of results) t.match(result.value, { square, isDate: true }, 'every process got the value')
  t.equal(new Set(results.map((r) => r.value?.by)).size, 1, 'all computed by the same process')
  t.equal(
    results.reduce((n, r) => n + (r.stats?.dedupes ?? 0), 0),
    3,
    'three processes got the value computed by the fourth',
  )

  const store = new SqliteStore({ path })
  t.teardown(() => store.close())
  const key = await keyOf(path, 12345678901234567890n)
  const runs = await store.computations.list({ namespace: 'multi' })
  t.equal(runs.total, 1, 'one fill run recorded')
  t.match(runs.data[0], { status: 'finished', hash: FILL_HASH_PREFIX + key, result: { cacheKey: key } })
  t.equal((await store.cache.stats('multi')).entries, 1)

  for (const child of children) child.send({ type: 'exit' })
  await Promise.all(children.map(exited))
})

t.test('SIGKILL the computing process → a waiter takes over after the lease and finishes', async (t) => {
  const dir = t.testdir()
  const path = join(dir, 'shared.db')
  const counter = join(dir, 'executions.log')
  writeFileSync(counter, '')
  const leaseMs = 800
  const doomed = start(t, path, counter, 'doomed', 'hang', leaseMs)
  const waiter = start(t, path, counter, 'waiter', 'run', leaseMs)
  await Promise.all([nextMessage(doomed, 'ready'), nextMessage(waiter, 'ready')])

  const computing = nextMessage(doomed, 'computing')
  doomed.send({ type: 'call', arg: '7', startAt: 0 })
  await computing
  const answer = nextMessage<Result>(waiter, 'result')
  waiter.send({ type: 'call', arg: '7', startAt: 0 })
  await new Promise((resolve) => setTimeout(resolve, 100))
  doomed.kill('SIGKILL')
  t.match(await exited(doomed), { signal: 'SIGKILL' })

  const result = await answer
  t.match(
    result.value,
    { square: '49', by: 'waiter', isDate: true },
    'the waiter computed and returned the value',
  )
  t.same(
    lines(counter).map((line) => line.split(' ')[0]),
    ['doomed', 'waiter'],
    'started by the doomed process, finished by the waiter',
  )
  const store = new SqliteStore({ path })
  t.teardown(() => store.close())
  const runs = await store.computations.list({ namespace: 'multi', sort: 'createdAt' })
  t.same(
    runs.data.map((r) => [r.attempt, r.status, r.pid === doomed.pid]),
    [
      [1, 'lost', true],
      [2, 'finished', false],
    ],
    'the dead run is marked lost; the takeover is the next attempt',
  )
  t.equal((await store.cache.stats('multi')).entries, 1, 'the value is cached for everyone')
  waiter.send({ type: 'exit' })
  await exited(waiter)
})
