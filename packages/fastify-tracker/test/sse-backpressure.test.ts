// A reader that stops reading gets the latest state when it resumes, not a backlog of every update.
import { connect } from 'node:net'
import { MemoryStore } from '@comp-manager/core'
import t from 'tap'
import { build, seed, sleep, until } from './fixtures/helpers.js'

t.test('a stalled reader is sent the latest state, coalesced, once it reads again', async (t) => {
  const store = new MemoryStore()
  t.teardown(() => store.close())
  const app = await build(t, { store, tracker: { sse: { pollMs: 10, heartbeatMs: 60_000 } } })
  const address = await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  const { port } = new URL(address)

  // Events carry a summary (no args): 60 KB messages make a few events fill the socket buffers.
  const pad = 'x'.repeat(60 * 1024)
  const record = await seed(store, { args: ['x'.repeat(256 * 1024)] })
  await store.computations.update('default', record.id, 'queued', { status: 'started' })

  const socket = connect(Number(port), '127.0.0.1')
  const chunks: Buffer[] = []
  socket.on('data', (chunk: Buffer) => chunks.push(chunk))
  socket.write(`GET /computations/${record.id}/events HTTP/1.1\r\nHost: x\r\n\r\n`)
  await until(() => Buffer.concat(chunks).includes('event: status'))
  socket.pause()

  const updates = 400
  for (let i = 1; i <= updates; i++) {
    await store.computations.update('default', record.id, 'started', { message: `step ${i} ${pad}` })
    await sleep(12)
  }
  await store.computations.update('default', record.id, 'started', { status: 'finished' })
  socket.resume()
  await until(() => Buffer.concat(chunks).includes('event: end'), 10_000)
  socket.destroy()

  const text = Buffer.concat(chunks).toString('utf8')
  const progress = text.match(/event: progress/g)?.length ?? 0
  t.ok(progress < updates / 4, `progress events coalesced: ${progress} delivered for ${updates} updates`)
  t.ok(text.includes('"message":"step 400 '), 'the latest state arrives')
  t.notOk(text.includes('"args"'), 'events carry a summary, not the args')
  t.match(text, /event: end\ndata: \{[^\n]*"status":"finished"/, 'the stream ends with the final record')
})
