import t from 'tap'
import { IdleWait } from '../src/poller.js'

t.test('idle waits double from minMs up to maxMs and reset on work', async (t) => {
  const wait = new IdleWait(5, 40)
  const seen: number[] = []
  for (let i = 0; i < 6; i++) {
    seen.push(wait.nextMs)
    await wait.sleep()
  }
  t.same(seen, [5, 10, 20, 40, 40, 40])
  wait.reset()
  t.equal(wait.nextMs, 5)
})

t.test('wake() ends a wait at once', async (t) => {
  const wait = new IdleWait(60_000, 60_000)
  const started = process.hrtime.bigint()
  const sleeping = wait.sleep()
  setImmediate(() => wait.wake())
  await sleeping
  t.ok(process.hrtime.bigint() - started < 1_000_000_000n, 'woken long before its 60 s timer')
})

t.test('a wake() with no wait in progress makes the next sleep return at once', async (t) => {
  const wait = new IdleWait(60_000, 60_000)
  wait.wake()
  await wait.sleep()
  t.pass('did not wait 60 s')
})
