// Regression: aborting a call must stop it even after garbage collection. Node's fetch (undici) links
// a Request's signal to the caller's through a WeakRef, so once the intermediate Request objects are
// collected, aborting no longer reaches a body being read or streamed (nodejs/node#55428,
// nodejs/undici#4627): `comp-manager computations watch` ignored Ctrl-C. The client now releases the
// caller by itself (transport.ts: untilAborted, abortableBody). Run in a child with --expose-gc.
import { execFile } from 'node:child_process'
import t from 'tap'

const script = `
import http from 'node:http'
import { createClient } from ${JSON.stringify(new URL('../../dist/index.js', import.meta.url).href)}

const server = http.createServer((req, res) => {
  if (req.url.includes('/events')) {
    res.writeHead(200, { 'content-type': 'text/event-stream' })
    res.write('id: 1\\nevent: status\\ndata: {"id":"x","status":"started"}\\n\\n')
  } else {
    // A JSON answer whose body never ends.
    res.writeHead(200, { 'content-type': 'application/json' })
    res.write('{"status":')
  }
})
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
const client = createClient({ baseUrl: 'http://127.0.0.1:' + server.address().port, timeoutMs: 0 })
const results = {}

// 1. A live event stream.
{
  const controller = new AbortController()
  const watching = (async () => {
    for await (const _ of client.computations.watch('x', { signal: controller.signal })) {
      for (let i = 0; i < 5; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 10)) }
      controller.abort()
    }
  })()
  results.watch = await Promise.race([
    watching.then(() => 'ended', (err) => err.name),
    new Promise((r) => setTimeout(() => r('still waiting after 2 s'), 2000)),
  ])
}
// 2. A JSON body still downloading.
{
  const controller = new AbortController()
  const reading = client.health({ signal: controller.signal })
  setTimeout(async () => {
    for (let i = 0; i < 5; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 10)) }
    controller.abort()
  }, 100)
  results.body = await Promise.race([
    reading.then(() => 'resolved', (err) => err.name),
    new Promise((r) => setTimeout(() => r('still waiting after 2 s'), 2000)),
  ])
}
console.log(JSON.stringify(results))
server.closeAllConnections()
server.close()
process.exit(0)
`

t.test('abort reaches a stream and a body download after GC', async (t) => {
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(
      process.execPath,
      ['--expose-gc', '--input-type=module', '-e', script],
      { encoding: 'utf8', timeout: 20_000 },
      (err, out, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(out)),
    )
  })
  t.same(JSON.parse(stdout.trim().split('\n').at(-1)!), { watch: 'AbortError', body: 'AbortError' })
})
