import { cmError } from '@comp-manager/core'
import { identityOf } from '@comp-manager/fastify-kit'
import type { FastifyReply, FastifyRequest } from 'fastify'

/** What the registry needs of a stream: a way to end it when the server closes. */
export interface ClosableStream {
  close(): void
}

export interface StreamLimits {
  maxStreams: number
  maxStreamsPerClient: number
  /** The `retry-after` of a refusal, in seconds. */
  retryAfterSeconds: number
}

/**
 * The open event streams of one plugin instance, counted in all and per client, so that one client (or
 * all of them together) cannot hold more sockets and timers than the limits allow.
 */
export class StreamRegistry {
  readonly #streams = new Map<ClosableStream, string>()
  readonly #perClient = new Map<string, number>()
  readonly #limits: StreamLimits

  constructor(limits: StreamLimits) {
    this.#limits = limits
  }

  get size(): number {
    return this.#streams.size
  }

  /** Open streams of one client key (see {@link clientKey}). */
  countOf(client: string): number {
    return this.#perClient.get(client) ?? 0
  }

  /** Throws 429 `CM_ERR_RATE_LIMITED` (with `retry-after` set on the reply) when a new stream of `client` is over a limit. */
  admit(client: string, reply: FastifyReply): void {
    const { maxStreams, maxStreamsPerClient, retryAfterSeconds } = this.#limits
    const over =
      this.#streams.size >= maxStreams
        ? { limit: 'maxStreams', max: maxStreams, whose: 'the server' }
        : this.countOf(client) >= maxStreamsPerClient
          ? { limit: 'maxStreamsPerClient', max: maxStreamsPerClient, whose: 'this client' }
          : undefined
    if (over === undefined) return
    reply.header('retry-after', String(retryAfterSeconds))
    throw cmError(
      'CM_ERR_RATE_LIMITED',
      `too many open event streams for ${over.whose} (${over.limit} ${over.max})`,
      {
        details: { limit: over.limit, max: over.max },
      },
    )
  }

  add(stream: ClosableStream, client: string): void {
    if (this.#streams.has(stream)) return
    this.#streams.set(stream, client)
    this.#perClient.set(client, this.countOf(client) + 1)
  }

  delete(stream: ClosableStream): void {
    const client = this.#streams.get(stream)
    if (client === undefined) return
    this.#streams.delete(stream)
    const left = this.countOf(client) - 1
    if (left > 0) this.#perClient.set(client, left)
    else this.#perClient.delete(client)
  }

  closeAll(): void {
    for (const stream of [...this.#streams.keys()]) stream.close()
  }
}

/** Who a stream counts against: the authenticated subject, else the peer's address. */
export function clientKey(request: FastifyRequest): string {
  const subject = identityOf(request)?.subject
  return typeof subject === 'string' && subject !== '' ? `subject:${subject}` : `ip:${request.ip}`
}
