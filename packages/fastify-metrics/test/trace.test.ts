import { fork } from 'node:child_process'
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { defaultCodec } from '@comp-manager/core'
import { createQueue } from '@comp-manager/worker'
import type { FastifyInstance } from 'fastify'
import t, { type Test } from 'tap'
import { keepTrace, readTrace, TRACE_NAMESPACE, traceKeyOf } from '../src/index.js'
import { buildTestApp, tempDir } from './fixtures/helpers.js'
import { factsOf, registerInMemorySdk, type SpanFacts } from './fixtures/otel.js'

const exporter = registerInMemorySdk()

const CALLER = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'

/** The app's store queue (fastify-store always has one). */
function queueOf(app: FastifyInstance) {
  const queue = app.compStore.queue
  if (queue === undefined) throw new Error('the store has no queue')
  return queue
}

interface SubmitBody {
  fn: string
  attempts?: number
  /** Enqueued with this computation hash (straight on the store) instead of the call's own. */
  hash?: string
}

/** Process A: the traced app on `path`, with `POST /submit` queueing a job of the default namespace. */
async function submitter(t: Test, path: string): Promise<FastifyInstance> {
  return buildTestApp(
    t,
    undefined,
    (app) => {
      app.post<{ Body: SubmitBody }>('/submit', async (req) => {
        const { fn, attempts, hash } = req.body
        if (hash !== undefined) {
          const { record } = await queueOf(app).enqueue({
            namespace: 'default',
            function: fn,
            functionFull: fn,
            args: defaultCodec.encode([7]),
            hash,
            hashAlgorithm: 'sha256',
          })
          return { id: record.id }
        }
        const queue = createQueue({ store: app.compStore, namespace: 'default' })
        const job = await queue.submit(fn, [7], attempts === undefined ? {} : { attempts })
        return { id: job.id }
      })
    },
    path,
  )
}

/** Process B (`fixtures/trace-worker.ts`) on `path`, ready; `spans()` once `runs` run spans ended there. */
async function worker(t: Test, path: string, runs = 1): Promise<{ spans: () => Promise<SpanFacts[]> }> {
  const child = fork(new URL('./fixtures/trace-worker.ts', import.meta.url), [path, String(runs)], {
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
  return {
    spans: async () => {
      await next('spans')
      return messages.find((m) => m.spans !== undefined)?.spans ?? []
    },
  }
}

/** Submits `body` under the caller's trace; the request span of process A. */
async function submit(t: Test, app: FastifyInstance, body: SubmitBody): Promise<SpanFacts | undefined> {
  exporter.reset()
  const res = await app.inject({ method: 'POST', url: '/submit', headers: { traceparent: CALLER }, body })
  t.equal(res.statusCode, 200, res.body)
  return exporter
    .getFinishedSpans()
    .map(factsOf)
    .find((s) => s.name === 'POST /submit')
}

t.test('a submit in process A and its run in process B share one trace id', async (t) => {
  const path = join(tempDir(t), 'comp.db')
  const app = await submitter(t, path)
  const b = await worker(t, path)
  const http = await submit(t, app, { fn: 'square' })
  t.ok(http, 'process A traced the request')
  t.equal(http?.traceId, '0af7651916cd43dd8448eb211c80319c', 'continuing the incoming traceparent')
  const a = exporter.getFinishedSpans().map(factsOf)
  const enqueue = a.find((s) => s.name === 'store queue.enqueue')
  t.equal(enqueue?.parentSpanId, http?.spanId, 'the enqueue is a child of the request')

  const run = (await b.spans()).find((s) => s.name === 'run square')
  t.ok(run, 'process B traced the run')
  t.equal(run?.traceId, http?.traceId, 'one trace id across the two processes')
  t.equal(run?.parentSpanId, http?.spanId, 'the run continues the submit (the request that queued it)')
})

t.test('every attempt of a retried job continues the trace of its submit', async (t) => {
  const path = join(tempDir(t), 'comp.db')
  const app = await submitter(t, path)
  const b = await worker(t, path, 2)
  const http = await submit(t, app, { fn: 'flaky', attempts: 2 })
  const runs = (await b.spans()).filter((s) => s.name === 'run flaky')
  t.equal(runs.length, 2, 'the failed attempt and its retry were traced')
  for (const run of runs) {
    t.equal(run.traceId, http?.traceId, 'the trace of the submit')
    t.equal(run.parentSpanId, http?.spanId, 'a child of the request that queued the job')
  }
})

t.test('a computation hash too long for a cache key keeps its trace under a digest', async (t) => {
  const path = join(tempDir(t), 'comp.db')
  const app = await submitter(t, path)
  const b = await worker(t, path)
  // 256 characters (the longest hash a record takes): `default/<hash>` would be too long a cache key.
  const hash = 'a'.repeat(256)
  const http = await submit(t, app, { fn: 'square', hash })
  const run = (await b.spans()).find((s) => s.name === 'run square')
  t.equal(run?.parentSpanId, http?.spanId, 'the run continues the submit')
  t.ok(await app.compStore.cache.get(TRACE_NAMESPACE, traceKeyOf({ namespace: 'default', hash })))
})

t.test('traceKeyOf: `<namespace>/<hash>`, a sha256 digest in place of a hash too long', async (t) => {
  t.equal(traceKeyOf({ namespace: 'default', hash: 'abc' }), 'default/abc')
  const long = 'x'.repeat(300)
  const digest = createHash('sha256').update(long).digest('hex')
  t.equal(traceKeyOf({ namespace: 'default', hash: long }), `default/sha256:${digest}`)
  const edge = 'y'.repeat(256 - 'default/'.length)
  t.equal(traceKeyOf({ namespace: 'default', hash: edge }), `default/${edge}`, 'a 256-character key is kept')
  t.match(traceKeyOf({ namespace: 'default', hash: `${edge}y` }), /^default\/sha256:[0-9a-f]{64}$/)
  t.not(traceKeyOf({ namespace: 'a', hash: long }), traceKeyOf({ namespace: 'b', hash: long }))
})

t.test('a trace kept for a hash is read back; a new job queued outside any span forgets it', async (t) => {
  const app = await buildTestApp(t)
  const store = app.compStore
  const ref = { namespace: 'default', hash: 'z'.repeat(300) }
  await keepTrace(store, ref, CALLER)
  t.equal(await readTrace(store, { ...ref, createdAt: 0 }), CALLER)
  const hash = 'f'.repeat(64)
  await keepTrace(store, { namespace: 'default', hash }, CALLER)
  // Outside a request: no active span. An earlier submit's context must not become this job's.
  const { created } = await queueOf(app).enqueue({
    namespace: 'default',
    function: 'square',
    functionFull: 'square',
    args: defaultCodec.encode([1]),
    hash,
    hashAlgorithm: 'sha256',
  })
  t.ok(created)
  t.equal(await readTrace(store, { namespace: 'default', hash, createdAt: 0 }), null)
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
