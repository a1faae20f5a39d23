/** `client.events`: the fleet's event log (`GET /api/v1/events`) as an async iterator. */
import type { Core } from './core.js'
import { NetworkError } from './errors.js'
import { reconnectsOf, type WatchOptions } from './options.js'
import { routes } from './routes.js'
import { parseSse } from './sse.js'
import { backoffDelay, sleep } from './transport.js'

/** The event types of the log (the server refuses any other with 400). */
export type FleetEventType =
  | 'queued'
  | 'started'
  | 'progress'
  | 'paused'
  | 'resumed'
  | 'finished'
  | 'failed'
  | 'retrying'
  | 'lost'
  | 'cancelled'
  | 'cache.deleted'
  | 'cache.invalidated'
  | 'worker.joined'
  | 'worker.left'

/** One event of the log, as the server sends it in `data` (the stream has no JSON schema in OpenAPI). */
export interface FleetEvent {
  /** The store's sequence, also the SSE id: resume after it. */
  sequence: number
  type: FleetEventType
  namespace: string
  /** ISO 8601. */
  at: string
  computationId: string | null
  function: string | null
  status: 'queued' | 'started' | 'paused' | 'finished' | 'failed' | 'lost' | null
  /** `attempt`, `progress`, `error` (runs); `key` or `criteria` and `count` (cache); `worker`, `host`, `pid` (workers). */
  data: Record<string, unknown>
}

export interface EventFilter {
  /** Only these types. */
  types?: readonly FleetEventType[]
  function?: string
  /** Only events whose status after the change is one of these. */
  status?: readonly NonNullable<FleetEvent['status']>[]
  /** Only events of this computation id. */
  computation?: string
  /** Start after this event id (its `sequence`); default: only events from now on. */
  after?: number
}

export interface EventsApi {
  /**
   * The events matching `filter`, as they happen, from every process sharing the server's store. A
   * dropped connection is resumed (on any instance) after the last event seen, so nothing is lost
   * or repeated; it gives up after `reconnects` failures in a row. Stop with `break` or `signal`.
   */
  subscribe(filter?: EventFilter, options?: WatchOptions): AsyncGenerator<FleetEvent, void, void>
}

function queryOf(core: Core, filter: EventFilter, opts: WatchOptions | undefined) {
  return {
    ...core.query(opts),
    ...(filter.types === undefined ? {} : { type: filter.types.join(',') }),
    ...(filter.function === undefined ? {} : { function: filter.function }),
    ...(filter.status === undefined ? {} : { status: filter.status.join(',') }),
    ...(filter.computation === undefined ? {} : { computation: filter.computation }),
    ...(filter.after === undefined ? {} : { after: String(filter.after) }),
  }
}

async function* subscribe(
  core: Core,
  filter: EventFilter,
  opts: WatchOptions | undefined,
): AsyncGenerator<FleetEvent, void, void> {
  const maxReconnects = reconnectsOf(opts, opts?.retries ?? core.config.policy.retries)
  const query = queryOf(core, filter, opts)
  let lastEventId: string | undefined
  let reconnects = 0
  for (;;) {
    const headers: Record<string, string> = { accept: 'text/event-stream' }
    if (lastEventId !== undefined) headers['last-event-id'] = lastEventId
    const { stream, call } = await core.open(opts, headers, (init) =>
      core.api.GET(routes.fleetEvents, { params: { query }, parseAs: 'stream', ...init }),
    )
    let dropped: unknown
    try {
      for await (const message of parseSse(stream)) {
        if (!message.id) continue
        lastEventId = message.id
        reconnects = 0
        yield JSON.parse(message.data) as FleetEvent
      }
      dropped = new NetworkError('GET', call.url, { cause: new Error('the event stream closed') })
    } catch (err) {
      const mapped = call.mapError(err)
      if (!(mapped instanceof NetworkError)) throw mapped
      dropped = mapped
    } finally {
      call.dispose()
    }
    if (reconnects >= maxReconnects) throw dropped
    reconnects++
    const signal = opts?.signal ?? new AbortController().signal
    try {
      await sleep(backoffDelay(reconnects, core.config.policy), signal)
    } catch {
      throw call.mapError(signal.reason)
    }
  }
}

export function eventsApi(core: Core): EventsApi {
  return { subscribe: (filter = {}, opts) => subscribe(core, filter, opts) }
}
