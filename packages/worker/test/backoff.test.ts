import t from 'tap'
import { backoffDelay, defaultBackoff } from '../src/backoff.js'

const exact = { type: 'exponential', delayMs: 100, maxDelayMs: 10_000, jitter: 0 } as const

t.test('exponential backoff doubles from delayMs and stops at maxDelayMs', async (t) => {
  t.same(
    [1, 2, 3, 4, 5, 8, 20].map((attempt) => backoffDelay(exact, attempt)),
    [100, 200, 400, 800, 1600, 10_000, 10_000],
  )
})

t.test('fixed backoff waits delayMs every time', async (t) => {
  const fixed = { ...exact, type: 'fixed' } as const
  t.same(
    [1, 2, 9].map((attempt) => backoffDelay(fixed, attempt)),
    [100, 100, 100],
  )
})

t.test('jitter takes up to its fraction off the delay, never adds to it', async (t) => {
  const jittered = { ...exact, jitter: 0.5 }
  t.equal(
    backoffDelay(jittered, 3, () => 0),
    400,
    'random 0: the nominal delay',
  )
  t.equal(
    backoffDelay(jittered, 3, () => 0.5),
    300,
  )
  t.equal(
    backoffDelay(jittered, 3, () => 0.999_999),
    200,
    'random → 1: half the delay',
  )
  const seen = new Set<number>()
  for (let i = 0; i < 200; i++) {
    const d = backoffDelay(jittered, 3)
    t.ok(d >= 200 && d <= 400, `delay ${d} within [200, 400]`)
    seen.add(d)
  }
  t.ok(seen.size > 20, 'jobs that failed together spread out')
})

t.test('huge attempt numbers stay finite', async (t) => {
  t.equal(backoffDelay(exact, 5000), 10_000)
  t.equal(backoffDelay({ ...defaultBackoff, jitter: 0 }, 1), 1000, 'default first delay 1 s')
})
