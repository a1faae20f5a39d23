// GET /events resumed with Last-Event-ID across real processes on one store (a SQLite file; a MongoDB
// database too when MONGODB_URL is set): server A streams, is stopped with SIGTERM while writer
// processes go on changing the store; server A' resumes the stream, is killed with SIGKILL while
// another writer changes the store; server A'' resumes again. Every event of the log is read exactly
// once, in order: no gap, no repeat.
import type { ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import type { MongoStore } from '@comp-manager/mongo-store'
import { SqliteStore } from '@comp-manager/sqlite-store'
import t, { type Test } from 'tap'
import { SQLITE_FILE_NAME } from '../src/index.js'
import { exited, forkFixture, nextMessage, openStream, type SseEvent, until } from './fixtures/children.js'
import { openFleetStore } from './fixtures/fleet-store.js'

const MONGODB_URL = process.env.MONGODB_URL
const hasMongo = MONGODB_URL !== undefined && MONGODB_URL !== ''
const backends = hasMongo ? (['sqlite', 'mongo'] as const) : (['sqlite'] as const)
if (!hasMongo) t.comment('skipped: MONGODB_URL not set')

/** A fresh SQLite file (created and migrated before the children race to it) or MongoDB database. */
async function target(t: Test, backend: 'sqlite' | 'mongo'): Promise<string> {
  if (backend === 'sqlite') {
    const path = join(t.testdir(), SQLITE_FILE_NAME)
    await new SqliteStore({ path }).close()
    return path
  }
  const spec = `mongo:cm_events_fleet_${randomBytes(6).toString('hex')}`
  const store = openFleetStore(spec) as MongoStore
  await store.init()
  t.teardown(async () => {
    await store.db.dropDatabase()
    await store.close()
  })
  return spec
}

async function server(t: Test, spec: string): Promise<{ child: ChildProcess; events: string }> {
  const child = forkFixture(t, './fleet-server.ts', [spec])
  const { address } = await nextMessage<{ type: 'listening'; address: string }>(child, 'listening')
  return { child, events: `${address}/api/v1/events` }
}

/** A writer process: `n` runs of `fn` (queued, started, finished), straight into the store. */
async function write(t: Test, spec: string, n: number, fn: string): Promise<void> {
  await nextMessage(forkFixture(t, './fleet-writer.ts', [spec, String(n), fn]), 'done')
}

const sequences = (events: SseEvent[]) => events.map((e) => Number(e.id))

/** Reads the stream until it has `k` events; returns the first `k` (the reader stops there). */
async function readUpTo(url: string, headers: Record<string, string>, k: number): Promise<SseEvent[]> {
  const stream = await openStream(url, headers)
  if (stream.res.status !== 200) throw new Error(`GET /events: ${stream.res.status}`)
  try {
    await until(() => stream.events.length >= k, `${k} events from ${url}`, 120_000)
  } catch (err) {
    // What the reader had when it gave up: how many events, and whether the server ended the stream.
    const got = `${stream.events.length} events, stream ended: ${stream.state.ended}`
    throw new Error(`${(err as Error).message} (${got}; last ids ${sequences(stream.events.slice(-3))})`)
  }
  stream.abort()
  return stream.events.slice(0, k)
}

for (const backend of backends) {
  t.test(`${backend}: GET /events resumed across server processes loses and repeats nothing`, async (t) => {
    const spec = await target(t, backend)

    // A streams from the start of the log while a writer process makes 10 runs (30 events).
    const a = await server(t, spec)
    const first = write(t, spec, 10, 'alpha')
    const k1 = 12
    const seenA = await readUpTo(`${a.events}?after=0`, {}, k1)
    // A stops (SIGTERM) while another writer goes on; both writers finish before A' starts.
    const second = write(t, spec, 10, 'beta')
    const aExit = exited(a.child)
    a.child.kill('SIGTERM')
    t.same(await aExit, { code: 0, signal: null }, 'A exited cleanly on SIGTERM')
    await Promise.all([first, second])

    // A' resumes after the last id A gave; it is killed (SIGKILL) mid-stream, and a writer goes on.
    const a2 = await server(t, spec)
    const k2 = 20
    const seenA2 = await readUpTo(a2.events, { 'last-event-id': seenA.at(-1)!.id! }, k2)
    const third = write(t, spec, 5, 'gamma')
    const a2Exit = exited(a2.child)
    a2.child.kill('SIGKILL')
    t.same(await a2Exit, { code: null, signal: 'SIGKILL' }, "A' was killed")
    await third

    // A'' resumes after the last id A' gave: exactly the rest of the log.
    const store = openFleetStore(spec)
    t.teardown(() => store.close())
    const log = async () =>
      (await store.events!.read({ namespace: 'default', limit: 1000 })).map((e) => e.sequence)
    const all = await log()
    t.ok(all.length >= 75, `the log holds the 25 runs (${all.length} events)`)
    const a3 = await server(t, spec)
    const rest = await openStream(a3.events, { 'last-event-id': seenA2.at(-1)!.id! })
    await until(() => rest.events.length >= all.length - k1 - k2, "the rest of the log from A''")
    t.same(
      [...sequences(seenA), ...sequences(seenA2), ...sequences(rest.events)],
      all,
      'A, then A′, then A″: every sequence of the log exactly once, in order',
    )
    // Nothing trails the end: the next events A'' sends are exactly those of one more run.
    await write(t, spec, 1, 'delta')
    const after = (await log()).slice(all.length)
    t.equal(after.length, 3, 'one more run: 3 more events in the log')
    await until(() => rest.events.length >= all.length - k1 - k2 + 3, 'the last run from A″')
    t.same(sequences(rest.events.slice(all.length - k1 - k2)), after, 'then exactly the new events')
    t.same(
      rest.events.slice(-3).map((e) => [e.event, (e.data as { function: string }).function]),
      [
        ['queued', 'delta'],
        ['started', 'delta'],
        ['finished', 'delta'],
      ],
    )
    const kinds = new Set(
      [...seenA, ...seenA2, ...rest.events].map((e) => (e.data as { function: string }).function),
    )
    t.same([...kinds].sort(), ['alpha', 'beta', 'delta', 'gamma'], 'events of every writer came through')
    rest.abort()
  })
}
