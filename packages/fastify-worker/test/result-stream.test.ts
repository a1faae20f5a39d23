// GET /computations/:id/result of a large result: streamed in slices over a real socket (chunked, no
// content-length), byte for byte the stored codec JSON, multi-byte characters intact across slices.
import { encode } from '@comp-manager/core'
import { decode } from '@comp-manager/core/codec'
import type { FastifyInstance } from 'fastify'
import t from 'tap'
import { build, claim, submit } from './fixtures/helpers.js'

async function finishedWith(app: FastifyInstance, fn: string, value: unknown): Promise<string> {
  const job = await submit(app, fn, [])
  const [claimed] = await claim(app, { functions: [fn] })
  const done = await app.inject({
    method: 'POST',
    url: `/computations/${job.id}/complete`,
    payload: { leaseToken: claimed!.leaseToken, result: encode(value) },
  })
  if (done.statusCode !== 200) throw new Error(`complete: ${done.statusCode} ${done.body}`)
  return job.id
}

t.test('a large result is streamed chunked and arrives exactly; a small one has a length', async (t) => {
  const app = await build(t)
  const url = await app.listen({ port: 0, host: '127.0.0.1' })
  // ~1.5 M characters with a 4-byte character (a surrogate pair in UTF-16) every 997 characters, so
  // that some fall on the 64 Ki slice boundaries.
  const unit = `${'x'.repeat(996)}😀`
  const big = { text: unit.repeat(1500), n: 2n ** 200n, m: new Map([['k', new Set([1, 2])]]) }
  const bigId = await finishedWith(app, 'big', big)
  const res = await fetch(`${url}/computations/${bigId}/result`)
  t.equal(res.status, 200)
  t.match(res.headers.get('content-type'), /^application\/json/)
  t.equal(res.headers.get('transfer-encoding'), 'chunked', 'streamed')
  t.equal(res.headers.get('content-length'), null)
  const body = await res.text()
  t.notOk(body.includes('\ufffd'), 'no character broken at a slice boundary')
  const stored = await app.compStore.cache.get(
    'default',
    (await app.compStore.computations.get('default', bigId))!.hash,
  )
  t.equal(body, stored?.value, 'byte for byte what the worker stored')
  t.same(decode(JSON.parse(body)), big, 'and it decodes to the value')

  const smallId = await finishedWith(app, 'small', [1n, 'é'])
  const small = await fetch(`${url}/computations/${smallId}/result`)
  t.equal(small.headers.get('transfer-encoding'), null, 'a small result is sent whole')
  t.ok(Number(small.headers.get('content-length')) > 0)
  t.same(decode(await small.json()), [1n, 'é'])
})

t.test('a client that goes away mid-stream leaves the server serving', async (t) => {
  const app = await build(t)
  const url = await app.listen({ port: 0, host: '127.0.0.1' })
  const id = await finishedWith(app, 'big', 'y'.repeat(4_000_000))
  const controller = new AbortController()
  const res = await fetch(`${url}/computations/${id}/result`, { signal: controller.signal })
  const reader = res.body!.getReader()
  await reader.read()
  controller.abort()
  await reader.read().catch(() => undefined)
  const again = await fetch(`${url}/computations/${id}/result`)
  t.equal((await again.text()).length, JSON.stringify(encode('y'.repeat(4_000_000))).length)
  t.equal((await fetch(`${url}/computations/${id}`)).status, 200)
})
