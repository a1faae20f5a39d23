// The default logger's destination (issue 12): lines batched into few writes, errors written at once,
// everything written on close, nothing reordered or lost.
import t from 'tap'
import { BufferedLogStream } from '../src/log-stream.js'

function sink() {
  const writes: string[] = []
  return { writes, sink: { write: (text: string) => writes.push(text) } }
}

const info = (i: number) => `{"level":30,"time":1,"msg":"request completed","i":${i}}\n`

t.test('info lines are held and written in batches of maxBytes, in order', async (t) => {
  const { writes, sink: target } = sink()
  const stream = new BufferedLogStream({ sink: target, maxBytes: 1024, flushMs: 60_000 })
  t.teardown(() => stream.close())
  for (let i = 0; i < 100; i++) stream.write(info(i))
  t.ok(writes.length > 0 && writes.length < 10, `100 lines in ${writes.length} writes`)
  stream.close()
  const all = writes.join('')
  t.same(
    all
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line).i),
    Array.from({ length: 100 }, (_, i) => i),
    'every line, in order, after close',
  )
})

t.test('an error line is written at once, with the lines before it', async (t) => {
  const { writes, sink: target } = sink()
  const stream = new BufferedLogStream({ sink: target, maxBytes: 1 << 20, flushMs: 60_000 })
  t.teardown(() => stream.close())
  stream.write(info(1))
  t.equal(writes.length, 0, 'an info line is held')
  stream.write('{"level":50,"time":1,"msg":"request errored"}\n')
  t.equal(writes.length, 1, 'written at the error')
  t.match(writes[0], /"i":1[\s\S]*request errored/)
  stream.write('{"level":60,"time":1,"msg":"fatal"}\n')
  t.equal(writes.length, 2, 'fatal too')
})

t.test('held lines are written within flushMs without more traffic', async (t) => {
  const { writes, sink: target } = sink()
  const stream = new BufferedLogStream({ sink: target, maxBytes: 1 << 20, flushMs: 20 })
  t.teardown(() => stream.close())
  stream.write(info(1))
  const written = new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      if (writes.length > 0) {
        clearInterval(timer)
        resolve()
      }
    }, 5)
  })
  await written
  t.same(writes, [info(1)])
})
