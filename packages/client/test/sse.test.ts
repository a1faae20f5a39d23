// The text/event-stream parser, and the events/watch iterators over a local stub.
import t from 'tap'
import { createClient, NetworkError, parseSse, type SseMessage } from '../src/index.js'
import { startStub } from './fixtures/stub.js'

function streamOf(chunks: Array<string | Uint8Array>): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder()
  return new ReadableStream({
    start(controller) {
      for (const c of chunks) controller.enqueue(typeof c === 'string' ? encoder.encode(c) : c)
      controller.close()
    },
  })
}

async function collect(chunks: Array<string | Uint8Array>): Promise<SseMessage[]> {
  const out: SseMessage[] = []
  for await (const m of parseSse(streamOf(chunks))) out.push(m)
  return out
}

t.test('fields, comments, multi-line data, default event', async (t) => {
  const messages = await collect([
    ': comment\n',
    'event: progress\ndata: {"a":1}\nid: 7\n\n',
    'data: line one\ndata: line two\n\n',
    'data\n\n',
    'retry: 1500\ndata:no space\n\n',
    'unknown: x\nevent: end\ndata: {}\n\n',
  ])
  t.same(messages, [
    { event: 'progress', data: '{"a":1}', id: '7' },
    { event: 'message', data: 'line one\nline two', id: '7' },
    { event: 'message', data: '', id: '7' },
    { event: 'message', data: 'no space', id: '7', retry: 1500 },
    { event: 'end', data: '{}', id: '7' },
  ])
})

t.test('line endings CRLF, CR and LF, split anywhere across chunks', async (t) => {
  const text = 'event: a\r\ndata: 1\r\n\r\nevent: b\rdata: 2\r\rdata: 3\n\n'
  const expected = [
    { event: 'a', data: '1', id: '' },
    { event: 'b', data: '2', id: '' },
    { event: 'message', data: '3', id: '' },
  ]
  t.same(await collect([text]), expected)
  for (let i = 1; i < text.length; i++) {
    const got = await collect([text.slice(0, i), text.slice(i)])
    t.same(got, expected, `split at ${i}`)
  }
})

t.test('multi-byte characters split across chunks, and a leading BOM', async (t) => {
  const bytes = new TextEncoder().encode('\uFEFFdata: héllo ✓\n\n')
  const got = await collect([bytes.slice(0, 9), bytes.slice(9, 11), bytes.slice(11)])
  t.same(got, [{ event: 'message', data: 'héllo ✓', id: '' }])
})

t.test('an event without data is not dispatched; an unterminated one is discarded', async (t) => {
  t.same(await collect(['event: lonely\n\n', 'data: partial']), [])
  t.same(await collect(['id: 3\n\ndata: x\n\n']), [{ event: 'message', data: 'x', id: '3' }])
})

t.test('events() yields every event with parsed data until the server closes', async (t) => {
  const stub = await startStub(t)
  const client = createClient({ baseUrl: stub.url })
  const seen = []
  for await (const e of client.computations.events('c1')) seen.push(e)
  t.same(
    seen.map((e) => [e.type, e.id]),
    [
      ['progress', '1'],
      ['progress', '2'],
      ['status', '3'],
      ['end', '4'],
    ],
  )
  t.same(seen[0]!.data, { id: 'c1', fraction: 0.25 })
  t.equal(stub.lastHeaders.accept, 'text/event-stream')
})

t.test('watch() ends on the end event, and resumes with Last-Event-ID when the stream drops', async (t) => {
  const stub = await startStub(t)
  const client = createClient({ baseUrl: stub.url, retryDelayMs: 5 })
  const types: string[] = []
  for await (const e of client.computations.watch('drop')) types.push(`${e.type}#${e.id}`)
  t.same(types, ['progress#1', 'progress#2', 'status#3', 'end#4'], 'no event lost, none repeated')
  t.equal(stub.hits.get('GET /api/v1/computations/drop/events'), 2)
  t.equal(stub.lastHeaders['last-event-id'], '1')

  const noRetry = await (async () => {
    try {
      for await (const _ of client.computations.watch('drop', { reconnects: 0 })) {
        // drain
      }
    } catch (err) {
      return err
    }
  })()
  t.ok(noRetry instanceof NetworkError, 'without reconnects a dropped stream is a NetworkError')
})

t.test('watch() stops the stream when the consumer breaks, and honours the signal', async (t) => {
  const stub = await startStub(t)
  const client = createClient({ baseUrl: stub.url })
  for await (const e of client.computations.watch('c1')) {
    t.equal(e.type, 'progress')
    break
  }
  const controller = new AbortController()
  const seen: string[] = []
  const err = await (async () => {
    try {
      for await (const e of client.computations.watch('c1', { signal: controller.signal })) {
        seen.push(e.type)
        controller.abort()
      }
    } catch (e) {
      return e
    }
  })()
  t.same(seen, ['progress'])
  t.match(err, { name: 'AbortError' })
})
