// Large bodies are taken one at a time (issue 13): concurrent large POSTs are all answered, in turn,
// while small requests are not held; a client that leaves while waiting does not block the queue.
import { connect } from 'node:net'
import t from 'tap'
import { bearer, build } from './fixtures/helpers.js'

t.test('concurrent large bodies are all served; small requests pass meanwhile', async (t) => {
  const app = await build(t, {})
  const url = await app.listen({ port: 0, host: '127.0.0.1' })
  const headers = { ...bearer(app, 'operator'), 'content-type': 'application/json' }
  // A client that opens a large body and never sends it holds the turn until it leaves.
  const stuck = connect(Number(new URL(url).port), '127.0.0.1')
  t.teardown(() => stuck.destroy())
  stuck.write(
    `POST /api/v1/computations HTTP/1.1\r\nHost: x\r\nAuthorization: ${headers.authorization}\r\n` +
      'Content-Type: application/json\r\nContent-Length: 500000\r\n\r\n{"function":',
  )
  await new Promise((resolve) => setTimeout(resolve, 200))
  const large = Array.from({ length: 4 }, (_, i) =>
    fetch(`${url}/api/v1/computations`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ function: 'f', args: [i, 'x'.repeat(200_000)] }),
    }),
  )
  const health = await fetch(`${url}/health`)
  t.equal(health.status, 200, 'a small request is not held behind the large ones')
  stuck.destroy() // the holder leaves: the others get their turn
  const statuses = await Promise.all(large.map(async (p) => (await p).status))
  t.same(statuses, [201, 201, 201, 201], 'every large body was served, in turn')
})
