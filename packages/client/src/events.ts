/** The event stream of a computation (`GET /computations/:id/events`): `events()` and `watch()`. */
import type { Core } from './core.js'
import { decodeComputation, type ValueDecoder } from './decode.js'
import { NetworkError } from './errors.js'
import { type CallOptions, reconnectsOf, required, type WatchOptions } from './options.js'
import { routes } from './routes.js'
import { parseSse, type SseMessage } from './sse.js'
import { backoffDelay, sleep } from './transport.js'
import type { ComputationEvent } from './types.js'

/** One raw server-sent event: its `event` name and parsed `data`. */
export interface ServerSentEvent {
  /** The SSE `event` field (`'message'` when the server sent none). */
  type: string
  /** The event's `data`, parsed as JSON when it is JSON (decoded when `decode` is on). */
  data: unknown
  /** The SSE `id`, used to resume after a dropped connection. */
  id: string
}

const eventTypes = new Set(['status', 'progress', 'end'])

/** Opens the stream, resuming after `lastEventId` when given; resolves once the server answered 200. */
function openEvents(core: Core, id: string, opts: CallOptions | undefined, lastEventId?: string) {
  const headers: Record<string, string> = { accept: 'text/event-stream' }
  if (lastEventId) headers['last-event-id'] = lastEventId
  const params = { path: { id }, query: core.query(opts) }
  return core.open(opts, headers, (init) =>
    core.api.GET(routes.events, { params, parseAs: 'stream', ...init }),
  )
}

function toEvent(message: SseMessage, codec: ValueDecoder | undefined): ServerSentEvent {
  let data: unknown
  try {
    data = JSON.parse(message.data)
  } catch {
    return { type: message.event, data: message.data, id: message.id }
  }
  // The events carry a summary of the record (or null for `end` of a deleted one); a server before
  // issue 13 sent the whole record, whose args are decoded.
  if (codec && typeof data === 'object' && data !== null && 'args' in data)
    data = decodeComputation(data, codec)
  return { type: message.event, data, id: message.id }
}

/** Every raw event of the stream until the server closes it. */
export async function* events(
  core: Core,
  id: string,
  opts: CallOptions | undefined,
): AsyncGenerator<ServerSentEvent, void, void> {
  required(id, 'id')
  const codec = core.decoder(opts)
  const { stream, call } = await openEvents(core, id, opts)
  try {
    for await (const message of parseSse(stream)) yield toEvent(message, codec)
  } catch (err) {
    throw call.mapError(err)
  } finally {
    call.dispose()
  }
}

/**
 * The `status`, `progress` and `end` events, ending after `end`; reconnects (up to `reconnects` times in
 * a row, with backoff) when the stream drops before it, resuming after the last event id.
 */
export async function* watch(
  core: Core,
  id: string,
  opts: WatchOptions | undefined,
): AsyncGenerator<ComputationEvent, void, void> {
  required(id, 'id')
  const codec = core.decoder(opts)
  const maxReconnects = reconnectsOf(opts, opts?.retries ?? core.config.policy.retries)
  let lastEventId: string | undefined
  let reconnects = 0
  for (;;) {
    const { stream, call } = await openEvents(core, id, opts, lastEventId)
    let dropped: unknown
    try {
      for await (const message of parseSse(stream)) {
        if (message.id) lastEventId = message.id
        if (!eventTypes.has(message.event)) continue
        reconnects = 0
        yield toEvent(message, codec) as ComputationEvent
        if (message.event === 'end') return
      }
      dropped = new NetworkError('GET', call.url, {
        cause: new Error('the event stream closed before its end event'),
      })
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
