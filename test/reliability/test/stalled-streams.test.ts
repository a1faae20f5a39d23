// Bounded memory per client (issue 13): 250 event streams that never read, opened against a real server
// process, then 100 updates of a record with ~0.9 MB of args. Streams are capped per client (429 past the
// cap), events carry a summary, and a stalled reader keeps only the latest state: RSS growth stays small.
import { connect, type Socket } from 'node:net'
import t from 'tap'
import { serverEnv } from './app.js'
import { MB, report, rssOf, sleep, startExampleServer, tempDir } from './helpers.js'

const STREAMS = 250
const UPDATES = 100
// RSS keeps garbage the allocator has not returned yet (the 100 PUT answers of ~0.9 MB each): measured
// 44–272 MB on a loaded 2-core machine. Before the stream budgets the same run grew 662 MB.
const RSS_BUDGET = 384 * MB

t.test(
  `${STREAMS} stalled streams and ${UPDATES} updates of a large record: RSS growth < 384 MB`,
  async (t) => {
    const { dir, cleanup } = tempDir('stalled')
    t.teardown(cleanup)
    const { env } = serverEnv(dir)
    const server = await startExampleServer({ ...env, LOG_LEVEL: 'warn' })
    t.teardown(() => server.proc.kill('SIGKILL'))
    const { port } = new URL(server.url)
    const headers = { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' }
    const created = await fetch(`${server.url}/api/v1/computations`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ function: 'large', args: ['x'.repeat(900 * 1024)], status: 'started' }),
    })
    t.equal(created.status, 201)
    const { id } = (await created.json()) as { id: string }

    const before = rssOf(server.proc.pid)
    const sockets: Socket[] = []
    t.teardown(() => {
      for (const s of sockets) s.destroy()
    })
    const answers = new Map<number, number>()
    for (let i = 0; i < STREAMS; i++) {
      const socket = connect(Number(port), '127.0.0.1')
      sockets.push(socket)
      socket.once('data', (chunk: Buffer) => {
        const status = Number(chunk.toString('latin1').slice(9, 12))
        answers.set(status, (answers.get(status) ?? 0) + 1)
        socket.pause() // never read again
      })
      socket.on('error', () => {})
      socket.write(
        `GET /api/v1/computations/${id}/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${server.token}\r\n\r\n`,
      )
    }
    for (let i = 0; i < 100 && [...answers.values()].reduce((a, b) => a + b, 0) < STREAMS; i++)
      await sleep(50)
    for (let i = 1; i <= UPDATES; i++) {
      const res = await fetch(`${server.url}/api/v1/computations/${id}`, {
        method: 'PUT',
        headers,
        body: JSON.stringify({ message: `step ${i} ${'m'.repeat(4000)}` }),
      })
      if (res.status !== 200) t.fail(`update ${i}: ${res.status}`)
      await res.arrayBuffer()
    }
    await sleep(1000)
    const after = rssOf(server.proc.pid)
    const growth = after - before
    t.equal(answers.get(200), 8, 'maxStreamsPerClient (8) streams are served')
    t.equal(answers.get(429), STREAMS - 8, 'the others are refused with 429')
    t.ok(growth < RSS_BUDGET, `RSS growth ${(growth / MB).toFixed(1)} MB < 384 MB`)
    const health = await fetch(`${server.url}/health`)
    t.equal(health.status, 200, 'the server still answers')
    report(t, 'stalled-streams', {
      streams: STREAMS,
      served: answers.get(200) ?? 0,
      refused: answers.get(429) ?? 0,
      updates: UPDATES,
      rssBeforeMB: Math.round(before / MB),
      rssGrowthMB: Math.round((growth / MB) * 10) / 10,
    })
  },
)
