import { createHash } from 'node:crypto'
import { join } from 'node:path'
import t from 'tap'
import { SqliteStore } from '../src/index.js'
import { exited, forkFixture, inspect, nextMessage } from './fixtures/helpers.js'

/**
 * A writer process (test/fixtures/writer.ts) is SIGKILLed while it writes multi-megabyte records.
 * Reopening must find a sound file, every record complete, and every write it had reported as
 * committed still there (WAL + synchronous=NORMAL is durable against a process crash).
 */

const CYCLES = 2
const sha = (text: string) => createHash('sha256').update(text).digest('hex')

interface CacheRow {
  key: string
  value: Buffer
  size: number
  tags: string
  args: string | null
}
interface ComputationRow {
  hash: string
  args: string
  message: string
  status: string
  error: string | null
  progress: string | null
  result: string | null
  checkpoint: string | null
}

t.test(`SIGKILL mid-write, ${CYCLES} times: the file reopens with no half-written record`, async (t) => {
  const path = join(t.testdir(), 'durable.db')
  let next = 1
  for (let cycle = 1; cycle <= CYCLES; cycle++) {
    const child = forkFixture('./writer.ts', [path, String(next)])
    let committed = next - 1
    child.on('message', (m: { type: string; seq?: number }) => {
      if (m.type === 'committed') committed = Math.max(committed, m.seq!)
    })
    await nextMessage(child, 'ready')
    const target = next + 2 + cycle
    while (committed < target) await nextMessage(child, 'committed')
    // Kill at an arbitrary point of the next write (each takes several milliseconds).
    await nextMessage(child, 'writing')
    await new Promise((r) => setTimeout(r, Math.random() * 4))
    child.kill('SIGKILL')
    const exit = await exited(child)
    t.equal(exit.signal, 'SIGKILL', `cycle ${cycle}: killed after ${committed} acknowledged writes`)

    const raw = inspect(path)
    t.equal(raw.pragma('integrity_check', { simple: true }), 'ok', 'integrity_check is ok')

    const entries = raw
      .prepare("SELECT key, value, size, tags, args FROM cache_entries WHERE namespace = 'durable'")
      .all() as CacheRow[]
    const badEntries = entries.filter((row) => {
      try {
        const text = row.value.toString('utf8')
        const value = JSON.parse(text) as { seq: number; pad: string; sha: string }
        return (
          sha(value.pad) !== value.sha ||
          row.key !== `key-${value.seq}` ||
          row.size !== row.value.length ||
          !Array.isArray(JSON.parse(row.tags)) ||
          (JSON.parse(row.args!) as { seq: number }).seq !== value.seq
        )
      } catch {
        return true
      }
    })
    t.same(
      badEntries.map((row) => row.key),
      [],
      `all ${entries.length} cache entries complete`,
    )

    const runs = raw
      .prepare(
        "SELECT hash, args, message, status, error, progress, result, checkpoint FROM computations WHERE namespace = 'durable'",
      )
      .all() as ComputationRow[]
    const badRuns = runs.filter((row) => {
      try {
        const args = JSON.parse(row.args) as { seq: number; pad: string; sha: string }
        for (const column of [row.error, row.progress, row.result, row.checkpoint])
          if (column !== null) JSON.parse(column)
        return (
          sha(args.pad) !== args.sha ||
          row.hash !== `hash-${args.seq}` ||
          row.message !== `record ${args.seq}`
        )
      } catch {
        return true
      }
    })
    t.same(
      badRuns.map((row) => row.hash),
      [],
      `all ${runs.length} computations complete`,
    )

    const keys = new Set(entries.map((row) => row.key))
    const hashes = new Set(runs.map((row) => row.hash))
    const missing: number[] = []
    for (let seq = 1; seq <= committed; seq++)
      if (!keys.has(`key-${seq}`) || !hashes.has(`hash-${seq}`)) missing.push(seq)
    t.same(missing, [], 'every acknowledged write survived')
    t.ok(
      entries.length <= committed + 1 && runs.length <= committed + 1,
      'at most the write in flight on top',
    )
    raw.close()

    // The store itself opens the file and serves it.
    const store = new SqliteStore({ path })
    const stats = await store.cache.stats('durable')
    t.equal(stats.entries, entries.length)
    const last = await store.cache.get('durable', `key-${committed}`, { touch: false })
    t.equal((JSON.parse(last!.value) as { seq: number }).seq, committed)
    await store.close()
    next =
      Math.max(
        ...[...keys].map((k) => Number(k.slice(4))),
        ...[...hashes].map((h) => Number(h.slice(5))),
        committed,
      ) + 1
  }
})
