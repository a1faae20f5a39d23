/**
 * The dispatcher: delivers each subscription's events from the durable event log, at least once,
 * in sequence order per subscription. Every `pollMs` it looks for subscriptions with events after
 * their cursor whose backoff is over and that no live process holds; it takes one by writing a lease
 * into its state (compare-and-set: one process wins), then delivers event after event, writing the
 * cursor (or the failed attempt and its backoff) after each. A process that dies holding a lease
 * loses it after `leaseMs`; the next process re-sends the message it was sending (same
 * `webhook-id`, so receivers can drop the duplicate). Subscriptions are independent: a receiver that
 * hangs holds one of `concurrency` slots for at most `timeoutMs`, never the others.
 */
import { randomBytes } from 'node:crypto'
import type { EventLogStore, StoreEvent } from '@comp-manager/core'
import { type RetryPolicy, retryDelay } from './backoff.js'
import { type DeliveryOutcome, deliver } from './deliver.js'
import { eventBody, messageIdOf } from './payload.js'
import type {
  DeliveryLogEntry,
  DeliveryState,
  Loaded,
  Subscriptions,
  SubscriptionWithState,
} from './subscriptions.js'
import type { TargetPolicy } from './targets.js'

export interface DispatcherOptions {
  events: EventLogStore
  subscriptions: Subscriptions
  pollMs: number
  timeoutMs: number
  concurrency: number
  /** Events delivered in one turn of a subscription before others get their chance. */
  batch: number
  retry: RetryPolicy
  disableAfterFailures: number
  policy: TargetPolicy
  userAgent: string
  clock: () => number
  onError: (err: unknown) => void
}

const isConflict = (err: unknown): boolean => (err as { code?: unknown } | null)?.code === 'CM_ERR_CONFLICT'

export class Dispatcher {
  readonly owner = `dispatcher_${randomBytes(9).toString('base64url')}`
  readonly #o: DispatcherOptions
  readonly #running = new Map<string, Promise<void>>()
  #timer: ReturnType<typeof setTimeout> | undefined
  #ticking: Promise<void> | undefined
  #stopped = true
  #abort = new AbortController()

  constructor(options: DispatcherOptions) {
    this.#o = options
  }

  get leaseMs(): number {
    return this.#o.timeoutMs + 5000
  }

  start(): void {
    if (!this.#stopped) return
    this.#stopped = false
    this.#abort = new AbortController()
    this.#schedule(0)
  }

  /**
   * Stops polling, aborts the deliveries in flight (they count as failed attempts, and are sent again
   * by the next process, same `webhook-id`) and waits for their state to be written.
   */
  async stop(): Promise<void> {
    this.#stopped = true
    clearTimeout(this.#timer)
    this.#abort.abort()
    await this.#ticking
    await Promise.allSettled([...this.#running.values()])
  }

  #schedule(ms: number): void {
    if (this.#stopped) return
    this.#timer = setTimeout(() => {
      this.#ticking = this.tick()
        .catch((err) => this.#o.onError(err))
        .finally(() => this.#schedule(this.#o.pollMs))
    }, ms)
    this.#timer.unref?.()
  }

  /** One look for due subscriptions (exposed for tests and for `flush`-like use). */
  async tick(): Promise<void> {
    const last = await this.#o.events.lastSequence()
    const now = this.#o.clock()
    for (const entry of await this.#o.subscriptions.list(null)) {
      if (this.#running.size >= this.#o.concurrency || this.#stopped) return
      const sub = entry.subscription.value
      const state = entry.state.value
      const key = `${sub.namespace}\u0000${sub.id}`
      if (!sub.enabled || state.cursor >= last || this.#running.has(key)) continue
      if (state.nextAttemptAt > now || (state.leaseOwner !== null && state.leaseUntil > now)) continue
      const run = this.#turn(entry)
        .catch((err) => this.#o.onError(err))
        .finally(() => this.#running.delete(key))
      this.#running.set(key, run)
    }
  }

  /** Takes the subscription's lease, then delivers up to `batch` events in order. */
  async #turn(entry: SubscriptionWithState): Promise<void> {
    const sub = entry.subscription.value
    const { subscriptions, clock } = this.#o
    let state: Loaded<DeliveryState>
    try {
      state = await subscriptions.saveState(
        sub.namespace,
        sub.id,
        { ...entry.state.value, leaseOwner: this.owner, leaseUntil: clock() + this.leaseMs },
        entry.state.rev,
      )
    } catch (err) {
      if (isConflict(err)) return // another process took it (or an admin changed it): next tick
      throw err
    }
    for (let n = 0; n < this.#o.batch && !this.#stopped; n++) {
      const [event] = await this.#o.events.read({
        namespace: sub.namespace,
        after: state.value.cursor,
        limit: 1,
        ...(sub.types === null ? {} : { types: sub.types }),
      })
      if (event === undefined) break
      const outcome = await this.#send(entry, event)
      // Aborted by stop(): not the receiver's failure; the next process sends it again at once.
      if (!outcome.ok && this.#stopped) break
      const next = await this.#record(entry, state, event, outcome)
      if (next === null) return
      state = next
      if (!outcome.ok) return
    }
    await this.#release(sub.namespace, sub.id, state)
  }

  #send(entry: SubscriptionWithState, event: StoreEvent): Promise<DeliveryOutcome> {
    const sub = entry.subscription.value
    return deliver({
      url: sub.url,
      secret: sub.secret,
      messageId: messageIdOf(sub.id, event.sequence),
      body: eventBody(event),
      timeoutMs: this.#o.timeoutMs,
      policy: this.#o.policy,
      userAgent: this.#o.userAgent,
      signal: this.#abort.signal,
    })
  }

  /** Writes the attempt's outcome (and disables the subscription after too many failures in a row). */
  async #record(
    entry: SubscriptionWithState,
    state: Loaded<DeliveryState>,
    event: StoreEvent,
    outcome: DeliveryOutcome,
  ): Promise<Loaded<DeliveryState> | null> {
    const sub = entry.subscription.value
    const now = this.#o.clock()
    const s = state.value
    const attempt = s.attempt + 1
    const log: DeliveryLogEntry = {
      messageId: messageIdOf(sub.id, event.sequence),
      sequence: event.sequence,
      type: event.type,
      attempt,
      at: now,
      ...outcome,
    }
    const value: DeliveryState = outcome.ok
      ? {
          ...s,
          cursor: event.sequence,
          attempt: 0,
          nextAttemptAt: 0,
          failures: 0,
          delivered: s.delivered + 1,
        }
      : {
          ...s,
          attempt,
          nextAttemptAt: now + retryDelay(this.#o.retry, attempt),
          failures: s.failures + 1,
          failed: s.failed + 1,
          leaseOwner: null,
          leaseUntil: 0,
        }
    value.log = [...s.log, log]
    if (outcome.ok) value.leaseUntil = now + this.leaseMs
    let saved: Loaded<DeliveryState>
    try {
      saved = await this.#o.subscriptions.saveState(sub.namespace, sub.id, value, state.rev)
    } catch (err) {
      if (isConflict(err)) return null // the lease was lost (expired and taken): the new holder goes on
      throw err
    }
    if (!outcome.ok && value.failures >= this.#o.disableAfterFailures)
      await this.#disable(entry, value.failures)
    return saved
  }

  async #disable(entry: SubscriptionWithState, failures: number): Promise<void> {
    const fresh = await this.#o.subscriptions.find(entry.subscription.value.id, [
      entry.subscription.value.namespace,
    ])
    if (fresh === null || !fresh.subscription.value.enabled) return
    const reason = `disabled after ${failures} failed deliveries in a row`
    await this.#o.subscriptions
      .saveSubscription(
        { ...fresh.subscription.value, enabled: false, disabledReason: reason, updatedAt: this.#o.clock() },
        fresh.subscription.rev,
      )
      .catch((err) => {
        if (!isConflict(err)) throw err
      })
  }

  async #release(namespace: string, id: string, state: Loaded<DeliveryState>): Promise<void> {
    await this.#o.subscriptions
      .saveState(namespace, id, { ...state.value, leaseOwner: null, leaseUntil: 0 }, state.rev)
      .catch((err) => {
        if (!isConflict(err)) throw err
      })
  }
}
