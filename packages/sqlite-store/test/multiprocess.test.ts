import type { ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import type { Computation } from '@comp-manager/core'
import t from 'tap'
import { SqliteStore } from '../src/index.js'
import { migrations } from '../src/migrations.js'
import { exited, forkFixture, inspect, nextMessage } from './fixtures/helpers.js'

/**
 * Real processes racing on one database file (test/fixtures/racer.ts). Each scenario sends every
 * child the same work at once; the children report what they won and every error they met.
 */

const CHILDREN = 4
const HASHES = 50

interface Failure {
  target: string
  code: string
  message: string
}
interface Claimed {
  type: 'claimed'
  won: { hash: string; id: string; attempt: number }[]
  lost: number
  errors: Failure[]
}
interface Cased {
  type: 'cased'
  succeeded: string[]
  conflicts: string[]
  errors: Failure[]
}
interface Hit {
  type: 'hit'
  found: number
  errors: Failure[]
}

/** The same items, in a different order for each child, so they collide everywhere. */
const shuffled = <T>(items: readonly T[], seed: number): T[] => {
  const out = [...items]
  let s = seed
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31
    const j = s % (i + 1)
    ;[out[i], out[j]] = [out[j]!, out[i]!]
  }
  return out
}

async function broadcast<T extends { type: string }>(
  children: ChildProcess[],
  reply: string,
  command: (i: number) => object,
): Promise<T[]> {
  const replies = children.map((child) => nextMessage<T>(child, reply))
  const startAt = Date.now() + 200
  for (const [i, child] of children.entries()) child.send({ ...command(i), startAt })
  return Promise.all(replies)
}

t.test(`${CHILDREN} processes on one file`, async (t) => {
  const path = join(t.testdir(), 'shared.db')
  // The children create the file: they race to set WAL and run migration 1 as well.
  const children = Array.from({ length: CHILDREN }, (_, i) => forkFixture('./racer.ts', [path, `child-${i}`]))
  t.teardown(() => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL')
  })
  const ready = await Promise.all(
    children.map((child) => nextMessage<{ type: string; error?: Failure }>(child, 'ready')),
  )
  t.same(
    ready.map((r) => r.error),
    ready.map(() => undefined),
    'every child opened (and migrated) the new file',
  )
  const store = new SqliteStore({ path })
  t.teardown(() => store.close())
  const raw = inspect(path)
  t.teardown(() => raw.close())
  t.same(
    raw.prepare('SELECT version FROM schema_version ORDER BY version').all(),
    migrations.map((m) => ({ version: m.version })),
    'each migration applied exactly once',
  )

  /**
   * Tight loops (pauseMs 0): one process tends to hold the lock while the others wait in busy
   * retries. Paced loops (pauseMs 3): the processes interleave claim by claim.
   */
  for (const pauseMs of [0, 3]) {
    await t.test(
      `${CHILDREN} × ${HASHES} claims of the same hashes (pause ≤ ${pauseMs} ms): one winner per hash`,
      async (t) => {
        const hashes = Array.from({ length: HASHES }, (_, i) => `hash-${pauseMs}-${i}`)
        const results = await broadcast<Claimed>(children, 'claimed', (i) => ({
          type: 'claim',
          hashes: shuffled(hashes, i + 1),
          leaseMs: 60_000,
          pauseMs,
        }))
        t.same(
          results.flatMap((r) => r.errors),
          [],
          'no errors (no SQLITE_BUSY escaped)',
        )
        const winners = new Map<string, number>()
        for (const r of results) for (const w of r.won) winners.set(w.hash, (winners.get(w.hash) ?? 0) + 1)
        t.equal(winners.size, HASHES, 'every hash was won')
        t.ok(
          [...winners.values()].every((n) => n === 1),
          'by exactly one process',
        )
        t.equal(
          results.reduce((n, r) => n + r.won.length + r.lost, 0),
          CHILDREN * HASHES,
          'every claim answered won or lost',
        )
        t.equal(
          (
            raw
              .prepare("SELECT count(*) AS n FROM computations WHERE namespace = 'race' AND hash LIKE ?")
              .get(`hash-${pauseMs}-%`) as { n: number }
          ).n,
          HASHES,
          'one record per hash in the file',
        )
        for (const [i, r] of results.entries()) {
          for (const w of r.won) {
            const record = await store.computations.get('race', w.id)
            if (record?.owner !== `child-${i}` || record.status !== 'started') {
              t.fail(`record of ${w.hash} does not belong to its winner`, { record, winner: i })
            }
          }
        }
        t.comment(`wins per process: ${results.map((r) => r.won.length).join(', ')}`)
      },
    )
  }

  await t.test(
    'claims with a 1 ms lease: expired runs are taken over, one live attempt per hash',
    async (t) => {
      const hashes = Array.from({ length: HASHES }, (_, i) => `short-${i}`)
      const results = await broadcast<Claimed>(children, 'claimed', (i) => ({
        type: 'claim',
        hashes: shuffled(hashes, i + 7),
        leaseMs: 1,
        pauseMs: 0,
      }))
      t.same(
        results.flatMap((r) => r.errors),
        [],
        'no errors',
      )
      const wins = results.flatMap((r) => r.won)
      let broken = 0
      for (const hash of hashes) {
        const rows = (
          await store.computations.list({ namespace: 'race', hash, sort: 'createdAt', perPage: 100 })
        ).data.sort((a: Computation, b: Computation) => a.attempt - b.attempt)
        const won = wins.filter((w) => w.hash === hash)
        const attempts = rows.map((r) => r.attempt)
        const ok =
          rows.length === won.length &&
          attempts.every((a, i) => a === i + 1) &&
          rows.slice(0, -1).every((r) => r.status === 'lost') &&
          rows.at(-1)?.status === 'started' &&
          new Set(won.map((w) => w.id)).size === won.length &&
          won.every((w) => rows.some((r) => r.id === w.id && r.attempt === w.attempt))
        if (!ok) {
          broken++
          t.fail(`attempts of ${hash} are inconsistent`, {
            attempts,
            statuses: rows.map((r) => r.status),
            won,
          })
        }
      }
      t.equal(broken, 0, 'each hash: attempts 1..n, one per win, all lost but the last')
      t.comment(`${wins.length} wins over ${HASHES} hashes (takeovers: ${wins.length - HASHES})`)
    },
  )

  await t.test(
    `compare-and-set: ${CHILDREN} processes update the same ${HASHES} records, one success each`,
    async (t) => {
      const ids: string[] = []
      for (let i = 0; i < HASHES; i++) {
        const record = await store.computations.create({
          namespace: 'race',
          function: 'work',
          functionFull: 'test/work',
          args: null,
          hash: `cas-${i}`,
          hashAlgorithm: 'sha256',
        })
        ids.push(record.id)
      }
      const results = await broadcast<Cased>(children, 'cased', (i) => ({
        type: 'cas',
        ids: shuffled(ids, i + 3),
        pauseMs: 3,
      }))
      t.same(
        results.flatMap((r) => r.errors),
        [],
        'only CM_ERR_CONFLICT, nothing else',
      )
      const successes = results.flatMap((r) => r.succeeded)
      t.equal(successes.length, HASHES, 'one success per record')
      t.equal(new Set(successes).size, HASHES, 'for every record')
      t.equal(
        results.reduce((n, r) => n + r.conflicts.length, 0),
        (CHILDREN - 1) * HASHES,
        'every other attempt was a conflict',
      )
      for (const [i, r] of results.entries()) {
        for (const id of r.succeeded) {
          const record = await store.computations.get('race', id)
          if (record?.owner !== `child-${i}`) t.fail(`record ${id} not owned by the process that won it`)
        }
      }
    },
  )

  await t.test('batched hit counts from several processes add up; concurrent sets all land', async (t) => {
    await store.cache.set({
      namespace: 'race',
      key: 'hot',
      function: 'work',
      functionFull: 'test/work',
      algorithm: 'sha256',
      value: '"hot"',
    })
    const results = await broadcast<Hit>(children, 'hit', () => ({ type: 'hits', key: 'hot', count: 25 }))
    t.same(
      results.flatMap((r) => r.errors),
      [],
      'no errors',
    )
    t.same(
      results.map((r) => r.found),
      results.map(() => 25),
    )
    t.match(await store.cache.get('race', 'hot', { touch: false }), { hits: CHILDREN * 25 })
    t.equal((await store.cache.list({ namespace: 'race', tag: 'race', perPage: 1 })).total, CHILDREN * 25)
  })

  await t.test('the file is sound afterwards', async (t) => {
    t.equal(raw.pragma('integrity_check', { simple: true }), 'ok')
  })

  for (const child of children) child.send({ type: 'exit' })
  const exits = await Promise.all(children.map(exited))
  t.same(
    exits.map((e) => e.code),
    exits.map(() => 0),
    'children exited cleanly',
  )
})
