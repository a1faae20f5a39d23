// client.events.subscribe against the real server: filters, and a dropped connection resumed
// after the last event id (nothing lost, nothing repeated).
import { encode } from '@comp-manager/core/codec'
import t from 'tap'
import { createClient, type FleetEvent, isApiError } from '../src/index.js'
import { startApi } from './fixtures/server.js'

const fast = { retryDelayMs: 5, maxRetryDelayMs: 50 }
// The example server's worker joins the log too: these tests follow the runs.
const runTypes = ['queued', 'started'] as const

/** Takes `n` events from an iterator (then stops it). */
async function take(events: AsyncGenerator<FleetEvent>, n: number): Promise<FleetEvent[]> {
  const out: FleetEvent[] = []
  for await (const e of events) {
    out.push(e)
    if (out.length >= n) break
  }
  return out
}

t.test('subscribe yields the events that match the filter, as they happen', async (t) => {
  const api = await startApi(t)
  const client = createClient({ baseUrl: api.url, token: api.tokens.admin, namespace: 'default' })
  const finished = take(client.events.subscribe({ types: ['finished'], function: 'factor' }), 1)
  // The subscription is open once the server has a reader: wait for the stream to be admitted.
  await new Promise((r) => setTimeout(r, 300))
  const other = await client.computations.create({ function: 'other', args: encode([1]) as unknown[] })
  await client.computations.update(other.id, { status: 'started' })
  await client.computations.update(other.id, { status: 'finished' })
  const c = await client.computations.create({ function: 'factor', args: encode([91n]) as unknown[] })
  await client.computations.update(c.id, { status: 'started' })
  await client.computations.update(c.id, { status: 'finished' })
  const [event] = await finished
  t.hasStrict(event, { type: 'finished', function: 'factor', computationId: c.id, status: 'finished' })
  t.type(event!.sequence, 'number')
  t.match(event!.at, /^\d{4}-/)
})

t.test('a dropped connection is resumed after the last event: nothing lost or repeated', async (t) => {
  const api = await startApi(t)
  const client = createClient({ baseUrl: api.url, token: api.tokens.admin, namespace: 'default', ...fast })
  for (let i = 0; i < 3; i++) {
    const c = await client.computations.create({ function: 'job', args: encode([i]) as unknown[] })
    await client.computations.update(c.id, { status: 'started' })
  }
  const events = client.events.subscribe({ after: 0, types: runTypes }, { reconnects: 5 })
  const first: FleetEvent[] = []
  for await (const e of events) {
    first.push(e)
    if (first.length === 4) break
  }
  const resumed = client.events.subscribe(
    { after: first.at(-1)!.sequence, types: runTypes },
    { reconnects: 5 },
  )
  const next = resumed.next()
  // Every open socket is cut: the iterator reconnects with Last-Event-ID.
  setTimeout(() => api.app.server.closeAllConnections(), 200)
  const c = await client.computations.create({ function: 'job', args: encode(['late']) as unknown[] })
  await client.computations.update(c.id, { status: 'started' })
  const rest: FleetEvent[] = [(await next).value as FleetEvent]
  for await (const e of resumed) {
    rest.push(e)
    if (rest.length === 4) break
  }
  const sequences = [...first, ...rest].map((e) => e.sequence)
  t.same(
    sequences,
    [...sequences].sort((a, b) => a - b),
    'in order',
  )
  t.equal(new Set(sequences).size, 8, 'no repeat')
  t.same(
    [...first, ...rest].map((e) => e.type),
    ['queued', 'started', 'queued', 'started', 'queued', 'started', 'queued', 'started'],
  )
})

t.test('an unknown type is a 400 ApiError, not a retry loop', async (t) => {
  const api = await startApi(t)
  const client = createClient({ baseUrl: api.url, token: api.tokens.admin })
  const err = await take(client.events.subscribe({ types: ['exploded' as never] }), 1).catch(
    (e: unknown) => e,
  )
  t.ok(isApiError(err), 'an ApiError')
  t.equal((err as { status?: number }).status, 400)
})
