// Fleet-wide cache counters: 3 real processes on one SQLite file (and one MongoDB database when
// MONGODB_URL is set); after each flushed, the totals of
// `fleetStats()` are the exact sums of what each process counted (in total and per function).
import t from 'tap'
import { createCache } from '../src/index.js'
import { exited, forkFixture, hasMongo, nextMessage, peerBackends, peerTarget } from './fixtures/helpers.js'
import { openPeerStore } from './fixtures/peer-store.js'

interface Done {
  type: 'done'
  stats: { hits: number; misses: number; staleHits: number }
}

if (!hasMongo) t.comment('skipped: MONGODB_URL not set (the MongoDB run of this file)')

for (const backend of peerBackends) {
  t.test(
    `3 processes on one ${backend === 'sqlite' ? 'SQLite file' : 'MongoDB database'}: the fleet totals add up exactly after a flush`,
    async (t) => {
      const path = await peerTarget(t, backend, 'fleet')
      const children = Array.from({ length: 3 }, () => forkFixture('./stats-peer.ts', [path]))
      t.teardown(() => {
        for (const child of children) if (child.exitCode === null) child.kill('SIGKILL')
      })
      await Promise.all(children.map((child) => nextMessage(child, 'ready')))
      // Child i works keys [0 .. 4+i] twice: distinct processes race for the same keys (fills are shared).
      const plans = children.map((_, i) => {
        const keys = Array.from({ length: 4 + i }, (_, k) => k)
        return [...keys, ...keys]
      })
      const results: Done[] = []
      // One after the other, so "who filled" is deterministic: the first child fills 0..3 and triple(0).
      for (const [i, child] of children.entries()) {
        const reply = nextMessage<Done>(child, 'done')
        child.send({ type: 'work', keys: plans[i] })
        results.push(await reply)
      }
      const store = openPeerStore(path)
      t.teardown(() => store.close())
      const cache = createCache({ store, namespace: 'fleet', statsFlushMs: 0 })
      t.teardown(() => cache.close())
      const found = await cache.fleetStats()
      if (found === null) throw new Error('the store has a document port')
      const fleet = found
      const double = fleet.functions.double
      const triple = fleet.functions.triple
      if (double === undefined || triple === undefined) throw new Error('both functions are counted')
      const sum = (f: (r: Done) => number) => results.reduce((n, r) => n + f(r), 0)
      t.equal(fleet.processes, 3, 'three processes wrote counters (the reader none yet)')
      t.equal(
        fleet.hits,
        sum((r) => r.stats.hits),
        'hits add up',
      )
      t.equal(
        fleet.misses,
        sum((r) => r.stats.misses),
        'misses add up',
      )
      // Each distinct key was filled once in the whole fleet: 0..5 of double, 0 of triple.
      t.equal(fleet.fills, 7, 'every distinct key filled exactly once across the fleet')
      t.equal(double.fills, 6)
      t.equal(triple.fills, 1)
      t.equal(triple.hits, 2, 'triple(0) was a hit in the second and third process')
      t.equal(double.hits + triple.hits, fleet.hits)
      t.equal(fleet.misses, 7, 'one miss per fill (one process at a time: no dedupes)')
      t.ok(fleet.fillTimeMs >= 0)
      t.equal(fleet.evictions, double.evictions + triple.evictions)
      t.ok(fleet.evictions > 0, 'an L1 of 2 entries evicted some')
      t.equal(fleet.hitRate, fleet.hits / (fleet.hits + fleet.misses))
      for (const child of children) child.send({ type: 'exit' })
      await Promise.all(children.map(exited))
    },
  )
}
