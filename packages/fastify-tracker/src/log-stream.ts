import type { NormalizedEventQuery, StoreEvent } from '@comp-manager/core/store-kit'
import { matchesEventQuery } from '@comp-manager/core/store-kit'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { EventHub } from './event-hub.js'
import type { StreamRegistry } from './stream-registry.js'

export interface LogStreamOptions {
  hub: EventHub
  /** What the reader asked for (namespaces already resolved against its token). */
  filter: NormalizedEventQuery
  /** Send the events after this sequence (`Last-Event-ID`), or only new ones (`null`). */
  after: number | null
  pollMs: number
  heartbeatMs: number
  idleTimeoutMs: number
  stallTimeoutMs: number
  streams: StreamRegistry
  client: string
}

const CATCH_UP_BATCH = 1000

/** The wire form of an event: the store's, with `at` as ISO 8601 (as every HTTP DTO). */
export function toEventDto(e: StoreEvent): Record<string, unknown> {
  return { ...e, at: new Date(e.at).toISOString() }
}

/**
 * `GET /events`: the event log as server-sent events (`id:` = the store sequence, `event:` = the
 * type, `data:` = the event). A reader in step with the hub gets each batch from memory; one that is
 * behind (it resumed with `Last-Event-ID`, or its socket stopped draining) reads the log from the
 * store until it is in step again. The store is the backlog: a slow reader costs no memory, it just
 * falls behind, and is destroyed after `stallTimeoutMs` without draining.
 */
export class LogStream {
  readonly #request: FastifyRequest
  readonly #reply: FastifyReply
  readonly #o: LogStreamOptions
  /** The last sequence this reader has been given (or that did not match its filter). */
  #cursor = 0
  #live = false
  #catchingUp = false
  #closed = false
  #blocked = false
  #off: (() => void) | undefined
  #heartbeat: ReturnType<typeof setInterval> | undefined
  #idle: ReturnType<typeof setTimeout> | undefined
  #stall: ReturnType<typeof setTimeout> | undefined

  constructor(request: FastifyRequest, reply: FastifyReply, options: LogStreamOptions) {
    this.#request = request
    this.#reply = reply
    this.#o = options
  }

  /** Hijacks the reply, writes the headers, and follows the log from the resume point. */
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
    this.#heartbeat = setInterval(() => {
      if (!this.#blocked) this.#write(': heartbeat\n\n')
    }, this.#o.heartbeatMs)
    this.#write(`retry: ${Math.max(1000, this.#o.pollMs * 4)}\n\n`)
    const { hub } = this.#o
    this.#cursor = this.#o.after ?? hub.position
    this.#off = hub.subscribe((batch) => this.#onBatch(batch))
    void this.#catchUp()
  }

  close(): void {
    if (this.#closed) return
    this.#cleanup()
    this.#reply.raw.end()
  }

  #onBatch(batch: readonly StoreEvent[]): void {
    if (this.#closed || batch.length === 0) return
    const first = batch[0]!.sequence
    if (!this.#live || this.#blocked || first > this.#cursor + 1) {
      // Behind (or a gap the hub passed): the store has it all.
      this.#live = false
      void this.#catchUp()
      return
    }
    this.#deliver(batch)
  }

  /** Sends the events of `batch` after the cursor that match; the cursor moves past all of them. */
  #deliver(batch: readonly StoreEvent[]): void {
    for (const e of batch) {
      if (e.sequence <= this.#cursor) continue
      if (this.#blocked) return
      if (matchesEventQuery(e, this.#o.filter)) this.#send(e)
      this.#cursor = e.sequence
    }
  }

  async #catchUp(): Promise<void> {
    if (this.#catchingUp || this.#closed) return
    this.#catchingUp = true
    try {
      for (;;) {
        const batch = await this.#o.hub.log.tail(this.#cursor, { limit: CATCH_UP_BATCH })
        if (this.#closed || this.#blocked) return
        this.#deliver(batch)
        if (this.#blocked) return
        if (batch.length < CATCH_UP_BATCH && this.#cursor >= this.#o.hub.position) break
        if (batch.length === 0) break
      }
      this.#live = true
    } catch (err) {
      this.#request.log.warn({ err }, 'reading the event log for an event stream failed')
    } finally {
      this.#catchingUp = false
    }
  }

  #send(e: StoreEvent): void {
    this.#idle?.refresh()
    this.#write(`id: ${e.sequence}\nevent: ${e.type}\ndata: ${JSON.stringify(toEventDto(e))}\n\n`)
  }

  #write(chunk: string): void {
    const raw = this.#reply.raw
    if (this.#closed || raw.writableEnded || raw.destroyed) return
    if (raw.write(chunk) || this.#blocked) return
    this.#blocked = true
    this.#live = false
    this.#stall = setTimeout(() => {
      this.#request.log.info('event stream reader stalled: connection destroyed')
      this.#cleanup()
      raw.destroy()
    }, this.#o.stallTimeoutMs)
  }

  #drained(): void {
    this.#blocked = false
    clearTimeout(this.#stall)
    void this.#catchUp()
  }

  #cleanup(): void {
    if (this.#closed) return
    this.#closed = true
    this.#off?.()
    clearInterval(this.#heartbeat)
    clearTimeout(this.#idle)
    clearTimeout(this.#stall)
    this.#o.streams.delete(this)
  }
}
