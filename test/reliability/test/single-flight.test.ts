// Guarantee 2: many callers in several processes asking for the same keys at once compute each key once.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { SqliteStore } from '@comp-manager/sqlite-store'
import t from 'tap'
import { type Child, killIfAlive, report, SOAK, spawnFixture, tempDir } from './helpers.js'

const PROCESSES = 4
const CALLERS_PER_PROCESS = 4
const KEYS = SOAK ? 100 : 20
const ROUNDS = SOAK ? 5 : 1

t.test('single flight: 16 callers in 4 processes on the same keys execute each key once', async (t) => {
  let totalExecutions = 0
  let totalCalls = 0
  for (let round = 0; round < ROUNDS; round++) {
    const { dir, cleanup } = tempDir('flight')
    t.teardown(cleanup)
    const path = join(dir, 'cm.db')
    const countFile = join(dir, 'executions.log')
    writeFileSync(countFile, '')
    const store = new SqliteStore({ path }) // creates the schema before the race
    await store.close()

    const children: Child[] = Array.from({ length: PROCESSES }, (_, p) =>
      spawnFixture('cache-caller.mjs', [
        path,
        countFile,
        `p${p}`,
        String(CALLERS_PER_PROCESS),
        String(KEYS),
        String(round * 100 + p + 1),
      ]),
    )
    t.teardown(() => children.forEach(killIfAlive))
    await Promise.all(children.map((c) => c.waitFor((m) => m.type === 'ready', 60_000)))
    for (const c of children) c.proc.send('go')
    const done = await Promise.all(children.map((c) => c.waitFor((m) => m.type === 'done', 120_000)))
    const exits = await Promise.all(children.map((c) => c.exited))

    for (const [p, d] of done.entries()) {
      t.same(d.errors, [], `process ${p}: no caller got an error`)
      t.equal(d.wrong, 0, `process ${p}: every caller got the right value`)
      t.equal(d.calls, CALLERS_PER_PROCESS * KEYS, `process ${p}: every call returned`)
      t.equal(exits[p]?.code, 0, `process ${p} exits 0`)
      t.notOk(
        children[p]?.messages.some((m) => m.type === 'unhandledRejection'),
        'no unhandled rejection',
      )
      totalCalls += Number(d.calls)
    }
    const lines = readFileSync(countFile, 'utf8').split('\n').filter(Boolean)
    const perKey = new Map<string, number>()
    for (const line of lines) {
      const k = line.split(' ')[1] ?? ''
      perKey.set(k, (perKey.get(k) ?? 0) + 1)
    }
    t.equal(lines.length, KEYS, `round ${round}: exactly ${KEYS} executions`)
    t.equal(perKey.size, KEYS, 'every key executed')
    t.ok(
      [...perKey.values()].every((n) => n === 1),
      'no key executed twice',
    )
    totalExecutions += lines.length
  }
  report(t, 'single-flight', {
    processes: PROCESSES,
    callers: PROCESSES * CALLERS_PER_PROCESS,
    keys: KEYS,
    rounds: ROUNDS,
    calls: totalCalls,
    executions: totalExecutions,
  })
})
