import type { Computation, ComputationStore } from '@comp-manager/core'
import { isTerminalStatus } from '@comp-manager/core'
import type { Tracker, TrackerEventName } from '@comp-manager/tracker'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { toSummary } from './dto.js'
import type { StreamRegistry } from './stream-registry.js'

export interface EventStreamOptions {
  computations: ComputationStore
  tracker: Tracker
  record: Computation
  pollMs: number
  heartbeatMs: number
  idleTimeoutMs: number
  stallTimeoutMs: number
  streams: StreamRegistry
  /** The key the stream counts against in `streams` (see `clientKey`). */
  client: string
}

/** Tracker events that mean "this record changed": the stream reads it at once instead of at the next poll. */
const CHANGE_EVENTS: readonly TrackerEventName[] = [
  'started',
  'progress',
  'paused',
  'resumed',
  'finished',
  'failed',
  'lost',
]

const progressKey = (r: Computation): string =>
  `${r.progress?.fraction ?? ''}\u0000${r.progress?.note ?? ''}\u0000${r.message ?? ''}`

/**
 * `GET /computations/:id/events`: one server-sent event stream over the hijacked raw response.
 *
 * - `status` (the record's summary: the REST DTO without `args` and `checkpoint`) first, then each time
 *   its status changes;
 * - `progress` (the summary) when only its progress or message changed;
 * - `end` (the final summary, or `null` when it was deleted) once the run is over, then the stream closes
 *   and so does its connection (`connection: close`: no keep-alive socket lingers after a stream);
 * - a comment line (`: heartbeat`) every `heartbeatMs` so proxies keep an idle connection open.
 *
 * Budgets: a reader that does not drain gets the latest state only (no backlog) and is destroyed after
 * `stallTimeoutMs`; a stream that sent no event for `idleTimeoutMs` is closed (EventSource reconnects).
 *
 * Changes are observed by reading the record from the store every `pollMs` (so runs of any process,
 * on any machine sharing the store, are followed); events of the in-process tracker trigger a read at
 * once. Every event has an `id:` (its sequence number in the stream). Polling stops when the client
 * disconnects, when the run ends, or when the server closes (then the stream closes without `end`).
 */
export class EventStream {
  readonly #request: FastifyRequest
  readonly #reply: FastifyReply
  readonly #o: EventStreamOptions
  #last: Computation
  #sequence = 0
  #closed = false
  #reading = false
  #readAgain = false
  /** The socket is not draining: writes wait, and only the latest state is kept (no backlog). */
  #blocked = false
  #pending: { event: 'status' | 'progress'; record: Computation } | undefined
  #poll: ReturnType<typeof setInterval> | undefined
  #heartbeat: ReturnType<typeof setInterval> | undefined
  #idle: ReturnType<typeof setTimeout> | undefined
  #stall: ReturnType<typeof setTimeout> | undefined
  readonly #unsubscribe: Array<() => void> = []

  constructor(request: FastifyRequest, reply: FastifyReply, options: EventStreamOptions) {
    this.#request = request
    this.#reply = reply
    this.#o = options
    this.#last = options.record
  }

  /** Hijacks the reply, writes the headers and the current state, and starts following the record. */
  start(): void {
    const reply = this.#reply
    reply.hijack()
    const raw = reply.raw
    const headers: Record<string, string | number | string[]> = {}
    for (const [name, value] of Object.entries(reply.getHeaders())) {
      if (value !== undefined && name !== 'content-length') headers[name] = value
    }
    headers['content-type'] = 'text/event-stream; charset=utf-8'
    headers['cache-control'] = 'no-cache, no-transform'
    headers['x-accel-buffering'] = 'no'
    if (this.#request.raw.httpVersionMajor < 2) headers.connection = 'close'
    raw.writeHead(200, headers)
    raw.on('close', () => this.#cleanup())
    raw.on('drain', () => this.#drained())
    this.#o.streams.add(this, this.#o.client)
    this.#idle = setTimeout(() => this.close(), this.#o.idleTimeoutMs)
    // Reconnect delay for EventSource clients, and the first state.
    this.#write(`retry: ${Math.max(1000, this.#o.pollMs * 4)}\n\n`)
    this.#send('status', this.#last)
    if (isTerminalStatus(this.#last.status)) {
      this.#end(this.#last)
      return
    }
    const { tracker, record } = this.#o
    for (const event of CHANGE_EVENTS) {
      this.#unsubscribe.push(
        tracker.on(event, (payload) => {
          const changed = (payload as { record?: Computation }).record
          if (changed?.id === record.id && changed.namespace === record.namespace) this.#read()
        }),
      )
    }
    this.#poll = setInterval(() => this.#read(), this.#o.pollMs)
    this.#heartbeat = setInterval(() => {
      if (!this.#blocked) this.#write(': heartbeat\n\n')
    }, this.#o.heartbeatMs)
    // A change between the read that found the record and the subscription above is not missed.
    this.#read()
  }

  /** Ends the stream without an `end` event (the server is closing: the run is not over). */
  close(): void {
    if (this.#closed) return
    this.#cleanup()
    this.#reply.raw.end()
  }

  #read(): void {
    if (this.#closed) return
    if (this.#reading) {
      this.#readAgain = true
      return
    }
    this.#reading = true
    const { computations, record } = this.#o
    computations
      .get(record.namespace, record.id)
      .then(
        (current) => {
          if (current === null) this.#end(null)
          else this.#observe(current)
        },
        (err: unknown) => {
          // A store hiccup: keep the stream, try again at the next poll.
          this.#request.log.warn({ err, id: record.id }, 'reading a computation for its event stream failed')
        },
      )
      .finally(() => {
        this.#reading = false
        if (this.#readAgain && !this.#closed) {
          this.#readAgain = false
          this.#read()
        }
      })
  }

  #observe(current: Computation): void {
    if (this.#closed) return
    const last = this.#last
    if (current.updatedAt < last.updatedAt) return // an older read finishing late
    if (current.status !== last.status) this.#send('status', current)
    else if (progressKey(current) !== progressKey(last)) this.#send('progress', current)
    this.#last = current
    if (isTerminalStatus(current.status)) this.#end(current)
  }

  #send(event: 'status' | 'progress', record: Computation): void {
    if (this.#blocked) {
      // Coalesce: a status change is not downgraded to a progress event by a later progress change.
      const kind = this.#pending?.event === 'status' ? 'status' : event
      this.#pending = { event: kind, record }
      return
    }
    this.#sequence += 1
    this.#idle?.refresh()
    this.#write(`id: ${this.#sequence}\nevent: ${event}\ndata: ${JSON.stringify(toSummary(record))}\n\n`)
  }

  #end(record: Computation | null): void {
    if (this.#closed) return
    this.#sequence += 1
    this.#write(
      `id: ${this.#sequence}\nevent: end\ndata: ${record === null ? 'null' : JSON.stringify(toSummary(record))}\n\n`,
    )
    this.close()
  }

  #write(chunk: string): void {
    const raw = this.#reply.raw
    if (this.#closed || raw.writableEnded || raw.destroyed) return
    if (raw.write(chunk) || this.#blocked) return
    this.#blocked = true
    this.#stall = setTimeout(() => {
      this.#request.log.info({ id: this.#o.record.id }, 'event stream reader stalled: connection destroyed')
      this.#cleanup()
      raw.destroy()
    }, this.#o.stallTimeoutMs)
  }

  #drained(): void {
    this.#blocked = false
    clearTimeout(this.#stall)
    const pending = this.#pending
    this.#pending = undefined
    if (pending !== undefined) this.#send(pending.event, pending.record)
  }

  #cleanup(): void {
    if (this.#closed) return
    this.#closed = true
    clearInterval(this.#poll)
    clearInterval(this.#heartbeat)
    clearTimeout(this.#idle)
    clearTimeout(this.#stall)
    for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe()
    this.#o.streams.delete(this)
  }
}
