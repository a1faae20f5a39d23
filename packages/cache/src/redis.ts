import { randomUUID } from 'node:crypto'
import { cmError } from '@comp-manager/core'
import { decodeMessage, encodeMessage, type RedisChange } from './redis-message.js'

/** Default prefix of the accelerator's channel (the channel is the prefix + the cache's namespace). */
export const DEFAULT_REDIS_CHANNEL_PREFIX = 'comp-manager:cache:'

/**
 * What the accelerator uses of a Redis client: an `ioredis` `Redis` instance fits. Declared here so
 * that the cache's types do not need `ioredis` installed.
 */
// biome-ignore lint/suspicious/noExplicitAny: ioredis's EventEmitter listener signature
type Listener = (...args: any[]) => void

export interface RedisClientLike {
  publish(channel: string, message: string): Promise<unknown>
  subscribe(channel: string): Promise<unknown>
  on(event: string, listener: Listener): unknown
  off(event: string, listener: Listener): unknown
  duplicate(): RedisClientLike
  quit(): Promise<unknown>
  disconnect(): void
  /** ioredis: `'ready'` once connected. */
  readonly status?: string
}

/** The `redis` option of `createCache`. */
export interface RedisAcceleratorOptions {
  /** `redis://` or `rediss://` URL: the cache opens (and closes) its connections with `ioredis`. */
  url?: string
  /**
   * An ioredis client to publish with (never closed by the cache); the cache subscribes on a
   * `client.duplicate()` of it, which it closes. Give `url` or `client`.
   */
  client?: RedisClientLike
  /** The channel is this prefix + the namespace. Default `'comp-manager:cache:'`. */
  channelPrefix?: string
}

export interface ResolvedRedis {
  url: string | null
  client: RedisClientLike | null
  channelPrefix: string
}

/** What `cache.redisStatus()` reports. */
export interface RedisStatus {
  channel: string
  /** `'up'`: publishing, and subscribed when this cache has an L1; `'down'` after an error until then. */
  state: 'connecting' | 'up' | 'down' | 'closed'
  published: number
  /** Other caches' changes applied to this L1. */
  received: number
  /** Messages on the channel that were not a valid change (malformed, oversize, unknown fields). */
  ignored: number
}

export interface AcceleratorHooks {
  /** Another process changed the store: drop from the L1. */
  apply(change: RedisChange, at: number): void
  /** Redis became unreachable (called once per outage), or `ioredis` is missing. */
  down(err: unknown): void
  /** Connected again after {@link AcceleratorHooks.down}. */
  up(): void
}

type RedisConstructor = new (url: string, options: Record<string, unknown>) => RedisClientLike

async function loadIoredis(): Promise<RedisConstructor> {
  try {
    const mod = (await import('ioredis')) as unknown as { Redis: RedisConstructor }
    return mod.Redis
  } catch (cause) {
    throw cmError(
      'CM_ERR_INVALID_ARGUMENT',
      '@comp-manager/cache createCache: `redis.url` needs the optional peer dependency ioredis (npm install ioredis)',
      { cause, details: { option: 'redis.url', package: '@comp-manager/cache' } },
    )
  }
}

/**
 * Redis pub/sub in front of the event log: each delete or invalidation this cache makes is published
 * on the channel (one made in another namespace, `cache.announce`, on that namespace's channel), and
 * each one published by another cache is applied to this L1 at once. Only an
 * accelerator: messages lost while Redis is away are caught up by the event-log tail, which stays the
 * source of truth. Publishing never waits on Redis nor fails a cache call.
 */
export class RedisAccelerator {
  readonly channel: string
  readonly origin = randomUUID()
  #published = 0
  #received = 0
  #ignored = 0
  readonly #options: ResolvedRedis
  readonly #subscribe: boolean
  readonly #hooks: AcceleratorHooks
  #pub: RedisClientLike | null = null
  #sub: RedisClientLike | null = null
  #pubUp = false
  #subUp = false
  #down = false
  #closed = false
  readonly #listeners: [RedisClientLike, string, Listener][] = []
  readonly #started: Promise<void>

  /** `subscribe`: whether to listen (a cache without an L1 only publishes). */
  constructor(options: ResolvedRedis, namespace: string, subscribe: boolean, hooks: AcceleratorHooks) {
    this.#options = options
    this.channel = options.channelPrefix + namespace
    this.#subscribe = subscribe
    this.#hooks = hooks
    this.#started = this.#start().catch((err: unknown) => this.#failed(err))
  }

  async #start(): Promise<void> {
    let pub = this.#options.client
    if (pub === null) {
      const Redis = await loadIoredis()
      if (this.#closed) return
      // Fail fast rather than queue while Redis is away: the event log covers what is not sent.
      pub = new Redis(this.#options.url!, { enableOfflineQueue: false, maxRetriesPerRequest: 1 })
    }
    this.#pub = pub
    this.#listen(pub, 'error', (err: Error) => this.#failed(err))
    this.#listen(pub, 'close', () => this.#setUp('pub', false))
    this.#listen(pub, 'ready', () => this.#setUp('pub', true))
    if (pub.status === 'ready') this.#setUp('pub', true)
    if (!this.#subscribe) return
    const sub = pub.duplicate()
    this.#sub = sub
    this.#listen(sub, 'error', (err: Error) => this.#failed(err))
    this.#listen(sub, 'close', () => this.#setUp('sub', false))
    // Subscribe on every (re)connection: SUBSCRIBE is idempotent, whatever the client's resubscribing.
    this.#listen(sub, 'ready', () => this.#subscribeNow(sub))
    this.#listen(sub, 'message', (channel: string, message: string) => this.#receive(channel, message))
    if (sub.status === 'ready') this.#subscribeNow(sub)
  }

  #listen(client: RedisClientLike, event: string, listener: Listener): void {
    client.on(event, listener)
    this.#listeners.push([client, event, listener])
  }

  #subscribeNow(sub: RedisClientLike): void {
    sub.subscribe(this.channel).then(
      () => this.#setUp('sub', true),
      (err: unknown) => this.#failed(err),
    )
  }

  #setUp(which: 'pub' | 'sub', up: boolean): void {
    if (which === 'pub') this.#pubUp = up
    else this.#subUp = up
    if (up && this.#down && this.#pubUp && (this.#subUp || !this.#subscribe)) {
      this.#down = false
      this.#hooks.up()
    }
  }

  #failed(err: unknown): void {
    if (this.#closed || this.#down) return
    this.#down = true
    this.#hooks.down(err)
  }

  #receive(channel: string, message: string): void {
    if (channel !== this.channel || this.#closed) return
    const received = decodeMessage(message)
    if (received === null) {
      this.#ignored++
      return
    }
    if (received.origin === this.origin) return
    this.#received++
    this.#hooks.apply(received.change, received.at)
  }

  /**
   * Publishes a change made in the store (fire and forget; dropped while Redis is away): on this
   * cache's channel, or on `namespace`'s (`channelPrefix + namespace`) for a change made in another
   * namespace (an admin delete), so the caches of that namespace hear of it.
   */
  publish(change: RedisChange, at: number, namespace?: string): void {
    const pub = this.#pub
    if (pub === null || this.#closed || !this.#pubUp) return
    const channel = namespace === undefined ? this.channel : this.#options.channelPrefix + namespace
    pub.publish(channel, encodeMessage(this.origin, at, change)).then(
      () => this.#published++,
      (err: unknown) => this.#failed(err),
    )
  }

  status(): RedisStatus {
    const up = this.#pubUp && (this.#subUp || !this.#subscribe)
    return {
      channel: this.channel,
      state: this.#closed ? 'closed' : up ? 'up' : this.#down ? 'down' : 'connecting',
      published: this.#published,
      received: this.#received,
      ignored: this.#ignored,
    }
  }

  /** Closes what the accelerator opened (the subscription, and the publisher unless it was given). */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#started
    for (const [client, event, listener] of this.#listeners) client.off(event, listener)
    const owned = [this.#sub, this.#options.client === null ? this.#pub : null]
    await Promise.all(
      owned.map(async (client) => {
        if (client === null) return
        // Keep an error listener: a late socket error must not become an unhandled 'error' event.
        client.on('error', () => {})
        if (client.status !== undefined && client.status !== 'ready') return client.disconnect()
        await client.quit().catch(() => client.disconnect())
      }),
    )
  }
}
