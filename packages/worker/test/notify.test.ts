import { join } from 'node:path'
import { SqliteStore } from '@comp-manager/sqlite-store'
import t from 'tap'
import { createQueue } from '../src/index.js'
import { exited, nextMessage, spawnChild } from './fixtures/helpers.js'

t.test('sqlite: a submit in another process wakes an idle worker through queue.watch', async (t) => {
  const path = join(t.testdir(), 'notify.db')
  const store = new SqliteStore({ path })
  t.teardown(() => store.close())
  t.type(store.queue.watch, 'function', 'the SQLite queue port has a change signal')
  // The child's idle polls are 20 s apart: within the 10 s below, only the watch can start the jobs.
  const child = spawnChild([path, 'idle'])
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  await nextMessage(child, 'ready')
  const queue = createQueue({ store, namespace: 'mp' })
  for (let i = 0; i < 3; i++) {
    await new Promise((resolve) => setTimeout(resolve, 300))
    const job = await queue.submit('stamp', [i])
    t.type(await job.result({ timeoutMs: 10_000 }), 'number', `job ${i} ran on the idle worker`)
  }
  child.kill('SIGTERM')
  await nextMessage(child, 'closed')
  await exited(child)
})

t.test('sqlite: watch listeners hear other connections only, and stop when unsubscribed', async (t) => {
  const path = join(t.testdir(), 'watch.db')
  const a = new SqliteStore({ path })
  const b = new SqliteStore({ path })
  t.teardown(() => Promise.all([a.close(), b.close()]))
  let heard = 0
  const stop = a.queue.watch?.(() => heard++) as () => void
  const settle = () => new Promise((resolve) => setTimeout(resolve, 60))
  await a.queue.enqueue({
    namespace: 'mp',
    function: 'f',
    functionFull: 'f',
    args: [1],
    hash: 'h1',
    hashAlgorithm: 'x',
  })
  await settle()
  t.equal(heard, 0, "the watching connection's own commit is not a signal")
  await b.queue.enqueue({
    namespace: 'mp',
    function: 'f',
    functionFull: 'f',
    args: [2],
    hash: 'h2',
    hashAlgorithm: 'x',
  })
  await settle()
  t.equal(heard, 1, "another connection's commit is heard once")
  stop()
  await b.queue.enqueue({
    namespace: 'mp',
    function: 'f',
    functionFull: 'f',
    args: [3],
    hash: 'h3',
    hashAlgorithm: 'x',
  })
  await settle()
  t.equal(heard, 1, 'nothing after unsubscribing')
  t.throws(() => a.queue.watch?.('nope' as never), { code: 'CM_ERR_INVALID_ARGUMENT' })
})
