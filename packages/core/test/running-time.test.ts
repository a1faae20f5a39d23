import t from 'tap'
import { runningTimeMs } from '../src/domain/index.js'
import { applyHeartbeat, applyPatch, buildComputation, markLost } from '../src/store/records.js'

const NOW = 1_700_000_000_000
const input = {
  namespace: 'ns',
  function: 'fib',
  functionFull: 'math/fib',
  args: { n: 1 },
  hash: 'h1',
  hashAlgorithm: 'sha256',
  status: 'started' as const,
}

t.test('running time: paused time excluded, resumed segments summed', async (t) => {
  let r = buildComputation(input, { id: 'id-1', now: NOW })
  t.equal(runningTimeMs(r, NOW + 500), 500, 'the open segment counts up to now')
  r = applyPatch(r, 'started', { status: 'paused' }, NOW + 1000)
  t.equal(r.activeMs, 1000)
  t.equal(r.activeSince, null)
  t.equal(runningTimeMs(r, NOW + 60_000), 1000, 'paused time does not count')
  r = applyPatch(r, 'paused', { status: 'started' }, NOW + 10_000)
  t.equal(runningTimeMs(r, NOW + 10_250), 1250, 'second segment added to the first')
  r = applyPatch(r, 'started', { status: 'finished' }, NOW + 12_000)
  t.equal(runningTimeMs(r, NOW + 999_999), 3000, 'finished: 1 s + 2 s, paused 9 s excluded, frozen')
})

t.test('running time: a lost run ends at its last heartbeat', async (t) => {
  let r = buildComputation(input, { id: 'id-2', now: NOW })
  r = applyHeartbeat(r, { leaseUntil: NOW + 3000 }, NOW + 2000)
  r = markLost(r, NOW + 32_000)
  t.equal(r.status, 'lost')
  t.equal(runningTimeMs(r, NOW + 40_000), 2000, 'not the 32 s until the death was noticed')
})

t.test('running time: null before the run started', async (t) => {
  const r = buildComputation({ ...input, status: 'queued' }, { id: 'id-3', now: NOW })
  t.equal(runningTimeMs(r, NOW + 5000), null)
})
