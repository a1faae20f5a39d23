import { fork } from 'node:child_process'
import { join } from 'node:path'
import { createQueue } from '@comp-manager/worker'
import t from 'tap'
import { buildTestApp, tempDir } from './fixtures/helpers.js'
import { factsOf, registerInMemorySdk, type SpanFacts } from './fixtures/otel.js'

const exporter = registerInMemorySdk()

t.test('a submit in process A and its run in process B share one trace id', async (t) => {
  const path = join(tempDir(t), 'comp.db')
  const app = await buildTestApp(
    t,
    undefined,
    (app) => {
      app.post('/submit', async () => {
        const job = await createQueue({ store: app.compStore, namespace: 'default' }).submit('square', [7])
        return { id: job.id }
      })
    },
    path,
  )
  const child = fork(new URL('./fixtures/trace-worker.ts', import.meta.url), [path], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  t.teardown(() => {
    if (child.exitCode === null) child.kill()
  })
  const messages: { ready?: boolean; spans?: SpanFacts[] }[] = []
  const next = (key: 'ready' | 'spans') =>
    new Promise<void>((resolve, reject) => {
      const check = () => messages.some((m) => m[key] !== undefined) && resolve()
      child.on('message', (m) => {
        messages.push(m as (typeof messages)[number])
        check()
      })
      child.on('exit', (code) => reject(new Error(`worker exited (${code}) before sending ${key}`)))
      check()
    })
  await next('ready')

  const res = await app.inject({
    method: 'POST',
    url: '/submit',
    // The caller's own trace: the server span continues it.
    headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
  })
  t.equal(res.statusCode, 200)
  await next('spans')

  const a = exporter.getFinishedSpans().map(factsOf)
  const http = a.find((s) => s.name === 'POST /submit')
  t.ok(http, 'process A traced the request')
  t.equal(http?.traceId, '0af7651916cd43dd8448eb211c80319c', 'continuing the incoming traceparent')
  const enqueue = a.find((s) => s.name === 'store queue.enqueue')
  t.equal(enqueue?.parentSpanId, http?.spanId, 'the enqueue is a child of the request')

  const b = messages.find((m) => m.spans !== undefined)?.spans ?? []
  const run = b.find((s) => s.name === 'run square')
  t.ok(run, 'process B traced the run')
  t.equal(run?.traceId, http?.traceId, 'one trace id across the two processes')
  t.equal(run?.parentSpanId, http?.spanId, 'the run continues the submit (the request that queued it)')
})

t.test('a malformed traceparent is ignored: the request starts a trace of its own', async (t) => {
  exporter.reset()
  const app = await buildTestApp(t, undefined, (app) => app.get('/x', async () => ({ ok: true })))
  for (const traceparent of [
    '00-zz-b7ad6b7169203331-01',
    '00-00000000000000000000000000000000-b7ad6b7169203331-01',
    'x'.repeat(300),
  ]) {
    const res = await app.inject({ url: '/x', headers: { traceparent } })
    t.equal(res.statusCode, 200)
  }
  const spans = exporter
    .getFinishedSpans()
    .map(factsOf)
    .filter((s) => s.name === 'GET /x')
  t.equal(spans.length, 3)
  for (const s of spans) {
    t.equal(s.parentSpanId, null)
    t.match(s.traceId, /^[0-9a-f]{32}$/)
    t.not(s.traceId, '00000000000000000000000000000000')
  }
})
