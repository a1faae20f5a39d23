import t from 'tap'
import { createManualClock, MANUAL_CLOCK_START } from '../src/index.js'

t.test('starts at MANUAL_CLOCK_START (2100-01-01) by default, or at the given time', async (t) => {
  t.equal(createManualClock()(), MANUAL_CLOCK_START)
  t.equal(new Date(MANUAL_CLOCK_START).toISOString(), '2100-01-01T00:00:00.000Z')
  t.equal(createManualClock(0)(), 0, 'zero is a valid start')
  t.equal(createManualClock(1234)(), 1234)
})

t.test('does not move by itself', async (t) => {
  const clock = createManualClock(1000)
  const before = clock()
  await new Promise((resolve) => setTimeout(resolve, 5))
  t.equal(clock(), before)
})

t.test('advance moves forward and returns the new time', async (t) => {
  const clock = createManualClock(1000)
  t.equal(clock.advance(250), 1250)
  t.equal(clock(), 1250)
  t.equal(clock.advance(0), 1250, 'advance(0) is allowed')
})

t.test('set jumps anywhere, backwards included', async (t) => {
  const clock = createManualClock(1000)
  clock.set(5000)
  t.equal(clock(), 5000)
  clock.set(10)
  t.equal(clock(), 10)
})

t.test('clocks are independent', async (t) => {
  const a = createManualClock(0)
  const b = createManualClock(0)
  a.advance(100)
  t.equal(b(), 0)
})

t.test('rejects times that are not finite numbers ≥ 0', async (t) => {
  const clock = createManualClock(1000)
  for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY, '5']) {
    t.throws(() => clock.advance(bad as number), RangeError, `advance(${String(bad)})`)
    t.throws(() => clock.set(bad as number), RangeError, `set(${String(bad)})`)
    t.throws(() => createManualClock(bad as number), RangeError, `createManualClock(${String(bad)})`)
  }
  t.equal(clock(), 1000, 'unchanged after the refusals')
})
