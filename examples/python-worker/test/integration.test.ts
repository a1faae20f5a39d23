// The Python worker against the real example server (a process, SQLite in a temp dir, no MongoDB, no
// in-process worker): jobs submitted over REST are run by Python and their results decode, in Node, to
// exactly what the Node implementations compute; a Python worker killed mid-job loses the job to another
// one after its lease; SIGTERM hands a running job back. Needs the REST queue routes and the worker
// protocol (docs/WORKER-PROTOCOL.md): without them it fails, it does not skip.
import { hashValue, parse } from '@comp-manager/core'
import { factorize, invertHilbert, ratio } from '@comp-manager/example-server'
import t, { type Test } from 'tap'
import { type PythonWorker, type Server, startPythonWorker, startServer, stop } from './fixtures/processes.js'
import { pythonVersion, SKIP_NO_PYTHON } from './fixtures/python.js'

type Json = Record<string, unknown>
interface Answer {
  status: number
  body: Json
  text: string
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function call(server: Server, method: string, path: string, body?: unknown): Promise<Answer> {
  const res = await fetch(`${server.url}/api/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${server.keys.operator}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await res.text()
  let parsed: Json = {}
  try {
    parsed = text === '' ? {} : (JSON.parse(text) as Json)
  } catch {}
  return { status: res.status, body: parsed, text }
}

/** `POST /computations` (args in the codec's JSON form): the new job's id. */
async function submit(t: Test, server: Server, fn: string, args: unknown[]): Promise<string> {
  const res = await call(server, 'POST', '/computations', { function: fn, args })
  t.equal(res.status, 201, `POST /computations ${fn}: 201 (${res.text.slice(0, 300)})`)
  const record = (res.body.record ?? res.body) as Json
  t.type(record.id, 'string', 'the record has an id')
  return record.id as string
}

/** Polls `GET /computations/:id` until `done(record)` (at most `ms`). */
async function waitFor(server: Server, id: string, done: (r: Json) => boolean, ms = 60_000): Promise<Json> {
  const deadline = Date.now() + ms
  let record: Json = {}
  while (Date.now() < deadline) {
    record = (await call(server, 'GET', `/computations/${id}`)).body
    if (done(record)) return record
    await sleep(100)
  }
  throw new Error(
    `computation ${id} did not get there within ${ms} ms: ${JSON.stringify(record).slice(0, 500)}`,
  )
}

const finished = (r: Json) => r.status === 'finished' || r.status === 'failed'
/** Started, with a progress reported by a heartbeat. */
const progressing = (r: Json) =>
  r.status === 'started' && ((r.progress as { fraction?: number } | null)?.fraction ?? 0) > 0

async function waitForWorker(server: Server, worker: PythonWorker) {
  const deadline = Date.now() + 30_000
  let res: Answer | undefined
  while (Date.now() < deadline) {
    res = await call(server, 'GET', '/workers?per_page=100')
    if ((res.body.data as Json[] | undefined)?.some((w) => w.id === worker.id)) return
    await sleep(100)
  }
  throw new Error(
    `worker ${worker.id} never appeared in GET /workers (${res?.status} ${res?.text.slice(0, 300)}); its log:\n${worker.log()}`,
  )
}

/** The result in the codec's JSON form, decoded by core's codec (mathjs types registered by the example). */
async function result(t: Test, server: Server, id: string): Promise<unknown> {
  const res = await call(server, 'GET', `/computations/${id}/result`)
  t.equal(res.status, 200, `GET /computations/${id}/result`)
  return parse(res.text)
}

if (pythonVersion() === undefined) {
  t.comment(SKIP_NO_PYTHON)
  t.pass(SKIP_NO_PYTHON)
} else {
  t.test(
    'jobs submitted over REST are run by the Python worker and decode to the exact values',
    async (t) => {
      const server = await startServer(t)
      const worker = startPythonWorker(t, server, 'py-it-1', [
        '--functions',
        'demo.factorize,demo.invertHilbert',
      ])
      await waitForWorker(server, worker)

      const n = 999999999948000000000451n // 999999999959 × 999999999989
      const factorId = await submit(t, server, 'demo.factorize', [{ __type__: 'bigint', value: String(n) }])
      const hilbertId = await submit(t, server, 'demo.invertHilbert', [12])
      const viaDemo = await call(server, 'POST', '/demo/jobs', {
        function: 'demo.factorize',
        n: '147573952589676412927',
      })
      t.equal(viaDemo.status, 202, "the example's own POST /demo/jobs queues too")
      const badId = await submit(t, server, 'demo.factorize', [{ __type__: 'bigint', value: '0' }])

      for (const id of [factorId, hilbertId, viaDemo.body.id as string]) {
        const record = await waitFor(server, id, finished)
        t.equal(record.status, 'finished', `${id} finished`)
        t.equal(record.worker, worker.id, 'run by the Python worker')
      }
      t.same(await result(t, server, factorId), [999999999959n, 999999999989n], 'BigInt factors, exactly')
      t.same(await result(t, server, viaDemo.body.id as string), [193707721n, 761838257287n])
      const hilbert = (await result(t, server, hilbertId)) as Awaited<ReturnType<typeof invertHilbert>>
      const expected = await invertHilbert(12)
      t.equal(ratio(hilbert.determinant), ratio(expected.determinant), 'determinant: the same Fraction')
      t.equal(
        hashValue(hilbert),
        hashValue(expected),
        'the whole result hashes as the Node one (mathjs Fractions)',
      )
      t.same(await factorize(n), [999999999959n, 999999999989n], 'and Node agrees on the factors')

      const bad = await waitFor(server, badId, finished)
      t.equal(bad.status, 'failed', 'a ValueError fails the job')
      const badResult = await call(server, 'GET', `/computations/${badId}/result`)
      t.equal(badResult.status, 409, 'its result is 409 with the error')
      t.match(badResult.text, /n must be an integer from 1 to 10\^24/)

      t.equal(await stop(worker.child, 'SIGTERM'), 0, 'SIGTERM: the idle worker exits 0')
      const checks = worker.log().match(/key \w+ (reproduced|differs|not checked)/g) ?? []
      t.equal(checks.length, 4, 'Python checked the key of each of the four jobs')
      t.same(
        new Set(checks.map((c) => c.split(' ').slice(2).join(' '))),
        new Set(['reproduced']),
        "and computed each job's hash itself",
      )
    },
  )

  t.test('a job whose Python worker is SIGKILLed runs again after its lease', async (t) => {
    const server = await startServer(t)
    const first = startPythonWorker(t, server, 'py-it-doomed', [
      '--functions',
      'py.countdown',
      '--lease-ms',
      '2000',
    ])
    await waitForWorker(server, first)
    const id = await submit(t, server, 'py.countdown', [30, 100])
    const running = await waitFor(server, id, progressing)
    t.equal(running.worker, first.id, 'the first worker reports progress')
    t.equal(await stop(first.child, 'SIGKILL'), 'SIGKILL')

    const second = startPythonWorker(t, server, 'py-it-heir', [
      '--functions',
      'py.countdown',
      '--lease-ms',
      '2000',
    ])
    const deadline = Date.now() + 90_000
    let rerun: Json | undefined
    while (rerun === undefined && Date.now() < deadline) {
      const list = await call(server, 'GET', '/computations?function=py.countdown&per_page=100')
      rerun = (list.body.data as Json[] | undefined)?.find(
        (r) => r.worker === second.id && r.status === 'finished',
      )
      if (rerun === undefined) await sleep(200)
    }
    t.ok(rerun, `the job ran again on ${second.id} and finished`)
    t.equal(await result(t, server, rerun?.id as string), 30, 'with its result')
    const original = (await call(server, 'GET', `/computations/${id}`)).body
    t.not(original.status, 'started', 'the killed run is not left started')
    t.not(
      original.worker === first.id && original.status === 'finished',
      true,
      'the dead worker finished nothing',
    )
  })

  t.test('SIGTERM hands a running job back; another worker finishes it', async (t) => {
    const server = await startServer(t)
    const first = startPythonWorker(t, server, 'py-it-leaving', [
      '--functions',
      'py.countdown',
      '--grace',
      '0.2',
      '--lease-ms',
      '3000',
    ])
    await waitForWorker(server, first)
    const id = await submit(t, server, 'py.countdown', [100, 100])
    await waitFor(server, id, progressing)
    t.equal(await stop(first.child, 'SIGTERM'), 0, 'exits 0 after SIGTERM')
    t.match(first.log(), /released \(shutdown\) → queued/, 'released with reason shutdown')
    const handedBack = (await call(server, 'GET', `/computations/${id}`)).body
    t.equal(handedBack.status, 'queued', 'the job is queued again')
    t.ok(
      ((handedBack.checkpoint as { done?: number } | null)?.done ?? 0) > 0,
      'with the checkpoint it reached',
    )

    const second = startPythonWorker(t, server, 'py-it-staying', ['--functions', 'py.countdown'])
    const done = await waitFor(server, id, finished)
    t.equal(done.status, 'finished')
    t.equal(done.worker, second.id)
    t.equal(await result(t, server, id), 100)
    t.match(second.log(), new RegExp(`job ${id}: py.countdown`), 'the second worker ran it')
  })
}
