// GET /events through real listening servers on one SQLite file: resumption across a restart,
// filters, namespaces, caps and bad input.
import { join } from 'node:path'
import { SqliteStore } from '@comp-manager/sqlite-store'
import type { FastifyInstance } from 'fastify'
import t from 'tap'
import { build, expectError, seed, tokenFor, until } from './fixtures/helpers.js'
import { openStream } from './fixtures/sse-client.js'

async function serve(t: Parameters<typeof build>[0], path: string, extra: Parameters<typeof build>[1] = {}) {
  const store = new SqliteStore({ path })
  const app = await build(t, { ...extra, store, tracker: { sse: { pollMs: 20 }, ...extra.tracker } })
  const base = await app.listen({ port: 0, host: '127.0.0.1' })
  return {
    app,
    store,
    base,
    async stop() {
      await app.close()
      await store.close()
    },
  }
}

/** `n` tracked runs of `fn` in this server's tracker, each started and finished. */
async function runs(app: FastifyInstance, fn: string, n: number): Promise<void> {
  const job = app.tracker.track(fn, async (i: number) => i * 2)
  for (let i = 0; i < n; i++) await job(i)
}

t.test('resumed with Last-Event-ID after a restart: nothing lost, nothing repeated', async (t) => {
  const path = join(t.testdir(), 'events.db')
  const first = await serve(t, path)
  const stream = await openStream(`${first.base}/events`)
  t.equal(stream.res.status, 200)
  t.match(stream.res.headers.get('content-type'), /^text\/event-stream/)
  await runs(first.app, 'square', 5)
  await until(() => stream.events.length >= 10)
  const seen = stream.events.map((e) => Number(e.id))
  stream.abort()
  await first.stop()

  // While no server runs, another process changes the file.
  const other = new SqliteStore({ path })
  await seed(other, { fn: 'offline' })
  const { record } = await other.computations.claim({
    namespace: 'default',
    function: 'offline',
    functionFull: 'offline',
    args: [],
    hash: 'h-offline',
    hashAlgorithm: 'sha256',
    owner: null,
    pid: 1,
    host: 'h',
    leaseMs: 10_000,
  })
  await other.computations.update('default', record.id, 'started', { status: 'finished' })
  await other.close()

  const second = await serve(t, path)
  const resumed = await openStream(`${second.base}/events`, { 'last-event-id': String(seen.at(-1)) })
  await runs(second.app, 'square', 2)
  const all = await second.store.events.read({ namespace: 'default', limit: 1000 })
  t.equal(all.length, 10 + 3 + 4, 'the log: 5 runs, the offline record and run, 2 runs')
  await until(() => resumed.events.length >= all.length - seen.length)
  const ids = [...seen, ...resumed.events.map((e) => Number(e.id))]
  const expected = all.map((e) => e.sequence)
  t.same(ids, expected, 'the ids of both streams are exactly the log, in order')
  t.same(
    resumed.events.slice(0, 3).map((e) => e.event),
    ['queued', 'started', 'finished'],
    'the offline changes come first',
  )
  t.hasStrict(resumed.events[0]!.data, { type: 'queued', function: 'offline', namespace: 'default' })
  t.match((resumed.events[0]!.data as { at: string }).at, /^\d{4}-\d\d-\d\dT/, 'at is ISO 8601')
  resumed.abort()
  await second.stop()
})

t.test('filters: type, function, status, computation; the after query parameter', async (t) => {
  const s = await serve(t, join(t.testdir(), 'filters.db'))
  t.teardown(() => s.stop())
  const finished = await openStream(`${s.base}/events?type=finished,failed&function=cube`)
  const byStatus = await openStream(`${s.base}/events?status=started`)
  await runs(s.app, 'square', 2)
  await runs(s.app, 'cube', 2)
  await until(() => finished.events.length >= 2 && byStatus.events.length >= 4)
  t.same(
    finished.events.map((e) => [e.event, (e.data as { function: string }).function]),
    [
      ['finished', 'cube'],
      ['finished', 'cube'],
    ],
  )
  t.same(
    byStatus.events.map((e) => e.event),
    ['started', 'started', 'started', 'started'],
  )
  const id = (byStatus.events[0]!.data as { computationId: string }).computationId
  const one = await openStream(`${s.base}/events?after=0&computation=${id}`)
  await until(() => one.events.length >= 2)
  t.same(
    one.events.map((e) => e.event),
    ['started', 'finished'],
    'after=0: from the start of the log',
  )
  for (const stream of [finished, byStatus, one]) stream.abort()
})

t.test('a token sees the events of its namespaces only', async (t) => {
  const s = await serve(t, join(t.testdir(), 'ns.db'), { auth: true })
  t.teardown(() => s.stop())
  await seed(s.store, { namespace: 'team-a', fn: 'a-job' })
  await seed(s.store, { namespace: 'team-b', fn: 'b-job' })
  const a = await openStream(`${s.base}/events?after=0`, tokenFor(s.app, 'viewer', ['team-a']))
  await until(() => a.events.length >= 1)
  await seed(s.store, { namespace: 'team-b', fn: 'b-job' })
  await seed(s.store, { namespace: 'team-a', fn: 'a-job' })
  await until(() => a.events.length >= 2)
  t.same(
    a.events.map((e) => (e.data as { namespace: string }).namespace),
    ['team-a', 'team-a'],
  )
  a.abort()
  const res = await s.app.inject({
    url: '/events',
    headers: tokenFor(s.app, 'viewer', ['team-a']),
    query: { namespace: 'team-b' },
  })
  expectError(t, res, 404, 'CM_ERR_NOT_FOUND')
  expectError(t, await s.app.inject({ url: '/events' }), 401, 'CM_ERR_UNAUTHORIZED')
})

t.test('bad input: unknown types and statuses, forged ids, unknown parameters → 400', async (t) => {
  const s = await serve(t, join(t.testdir(), 'bad.db'))
  t.teardown(() => s.stop())
  await runs(s.app, 'square', 1)
  const last = await s.store.events.lastSequence()
  const cases: [string, Record<string, string>, Record<string, string>?][] = [
    ['an unknown type', { type: 'finished,exploded' }],
    ['an unknown status', { status: 'done' }],
    ['a forged id (from the future)', {}, { 'last-event-id': String(last + 1000) }],
    ['a forged id (not a number)', {}, { 'last-event-id': '12abc' }],
    ['a forged id (negative)', {}, { 'last-event-id': '-1' }],
    ['a forged after', { after: String(last + 1) }],
    ['after not a number', { after: '1e3' }],
    ['an unknown parameter', { since: '0' }],
    ['a $-operator', { 'function[$ne]': 'x' }],
  ]
  for (const [what, query, headers] of cases) {
    const res = await s.app.inject({ url: '/events', query, ...(headers ? { headers } : {}) })
    t.test(what, async (t) => {
      const body = expectError(t, res, 400, res.json().code)
      t.match(body.code, /^CM_ERR_(VALIDATION|INVALID_ARGUMENT)$/)
    })
  }
  t.equal(s.app.tracker !== undefined, true)
})

t.test('the stream caps of the plugin apply: a client over maxStreamsPerClient gets 429', async (t) => {
  const s = await serve(t, join(t.testdir(), 'caps.db'), {
    tracker: { sse: { pollMs: 20, maxStreamsPerClient: 1 } },
  })
  t.teardown(() => s.stop())
  const open = await openStream(`${s.base}/events`)
  t.equal(open.res.status, 200)
  const refused = await fetch(`${s.base}/events`)
  t.equal(refused.status, 429)
  t.equal(((await refused.json()) as { code: string }).code, 'CM_ERR_RATE_LIMITED')
  t.ok(refused.headers.get('retry-after'))
  open.abort()
})
