// Guarantee 2: many callers in several processes asking for the same keys at once compute each key once.
// On one SQLite file, and on one MongoDB database when MONGODB_URL is set.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { SqliteStore } from '@comp-manager/sqlite-store'
import t, { type Test } from 'tap'
import { type Child, killIfAlive, onMongo, report, SOAK, spawnFixture, tempDir } from './helpers.js'

const PROCESSES = 4
const CALLERS_PER_PROCESS = 4
const ROUNDS = SOAK ? 5 : 1

/** One round: PROCESSES processes of CALLERS_PER_PROCESS callers on `keys` keys of `target`'s store. */
async function race(t: Test, target: string, countFile: string, keys: number, round: number) {
  writeFileSync(countFile, '')
  const children: Child[] = Array.from({ length: PROCESSES }, (_, p) =>
    spawnFixture('cache-caller.mjs', [
      target,
      countFile,
      `p${p}`,
      String(CALLERS_PER_PROCESS),
      String(keys),
      String(round * 100 + p + 1),
    ]),
  )
  t.teardown(() => children.forEach(killIfAlive))
  await Promise.all(children.map((c) => c.waitFor((m) => m.type === 'ready', 60_000)))
  for (const c of children) c.proc.send('go')
  const done = await Promise.all(children.map((c) => c.waitFor((m) => m.type === 'done', 120_000)))
  const exits = await Promise.all(children.map((c) => c.exited))

  let calls = 0
  for (const [p, d] of done.entries()) {
    t.same(d.errors, [], `process ${p}: no caller got an error`)
    t.equal(d.wrong, 0, `process ${p}: every caller got the right value`)
    t.equal(d.calls, CALLERS_PER_PROCESS * keys, `process ${p}: every call returned`)
    t.equal(exits[p]?.code, 0, `process ${p} exits 0`)
    t.notOk(
      children[p]?.messages.some((m) => m.type === 'unhandledRejection'),
      'no unhandled rejection',
    )
    calls += Number(d.calls)
  }
  const lines = readFileSync(countFile, 'utf8').split('\n').filter(Boolean)
  const perKey = new Map<string, number>()
  for (const line of lines) {
    const k = line.split(' ')[1] ?? ''
    perKey.set(k, (perKey.get(k) ?? 0) + 1)
  }
  t.equal(lines.length, keys, `round ${round}: exactly ${keys} executions`)
  t.equal(perKey.size, keys, 'every key executed')
  t.ok(
    [...perKey.values()].every((n) => n === 1),
    'no key executed twice',
  )
  return { calls, executions: lines.length }
}

async function rounds(
  t: Test,
  test: string,
  keys: number,
  target: (round: number, dir: string) => Promise<string>,
) {
  let executions = 0
  let calls = 0
  for (let round = 0; round < ROUNDS; round++) {
    const { dir, cleanup } = tempDir('flight')
    t.teardown(cleanup)
    const result = await race(t, await target(round, dir), join(dir, 'executions.log'), keys, round)
    executions += result.executions
    calls += result.calls
  }
  report(t, test, {
    processes: PROCESSES,
    callers: PROCESSES * CALLERS_PER_PROCESS,
    keys,
    rounds: ROUNDS,
    calls,
    executions,
  })
}

t.test('single flight: 16 callers in 4 processes on the same keys execute each key once', (t) =>
  rounds(t, 'single-flight', SOAK ? 100 : 20, async (_round, dir) => {
    const path = join(dir, 'cm.db')
    await new SqliteStore({ path }).close() // creates the schema before the race
    return path
  }),
)

t.test('single flight on MongoDB: 16 callers in 4 processes, 10 keys, each executed once', (t) =>
  onMongo(t, async (url) => {
    // A database per round: the keys are the same in every round.
    await rounds(t, 'single-flight-mongo', SOAK ? 50 : 10, async (round) =>
      url.replace(/\/(cm_rel_[0-9a-f]+)/, `/$1_${round}`),
    )
  }),
)
