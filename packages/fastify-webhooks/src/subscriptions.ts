/**
 * Subscriptions and their delivery state, as two documents of the store's document port
 * (`store.documents`): `webhook` (what the admin set: target, event types, secret, enabled) and
 * `webhook.state` (the dispatcher's: the cursor in the event log, the attempt in progress, the lease
 * of the process delivering, the delivery log). Both live in the subscription's namespace and are
 * written by compare-and-set, so any instance can serve the admin routes and any one deliver.
 */
import { randomBytes } from 'node:crypto'
import type { DocumentStore, EventType, StoredDocument } from '@comp-manager/core'

export const SUBSCRIPTION_KIND = 'webhook'
export const STATE_KIND = 'webhook.state'

export interface Subscription {
  id: string
  namespace: string
  url: string
  /** The event types delivered; `null`: all of them. */
  types: EventType[] | null
  description: string
  secret: string
  enabled: boolean
  /** Why the dispatcher disabled it (`null` when enabled, or disabled by an admin). */
  disabledReason: string | null
  createdAt: number
  updatedAt: number
}

/** One attempt, as the delivery log keeps it. */
export interface DeliveryLogEntry {
  messageId: string
  /** The event's sequence (`null` for a test send). */
  sequence: number | null
  type: string
  attempt: number
  at: number
  ok: boolean
  status: number | null
  durationMs: number
  error: string | null
  response: string | null
}

export interface DeliveryState {
  /** The sequence of the last event delivered (events after it are due). */
  cursor: number
  /** Failed attempts on the event after `cursor`. */
  attempt: number
  /** Not before this (epoch ms): the backoff of the last failure. */
  nextAttemptAt: number
  /** Failed attempts in a row, whatever the event (disabling counts these). */
  failures: number
  delivered: number
  failed: number
  leaseOwner: string | null
  leaseUntil: number
  /** The newest attempts last. */
  log: DeliveryLogEntry[]
}

export interface Loaded<T> {
  value: T
  rev: number
}

export interface SubscriptionWithState {
  subscription: Loaded<Subscription>
  state: Loaded<DeliveryState>
}

export const newSubscriptionId = (): string => `wh_${randomBytes(12).toString('base64url')}`

const loaded = <T>(doc: StoredDocument): Loaded<T> => ({ value: doc.data as unknown as T, rev: doc.rev })
const asData = (value: object): Record<string, unknown> => value as Record<string, unknown>

/** The two documents of each subscription, over `store.documents`. */
export class Subscriptions {
  readonly #docs: DocumentStore
  readonly logSize: number

  constructor(docs: DocumentStore, logSize: number) {
    this.#docs = docs
    this.logSize = logSize
  }

  async create(subscription: Subscription, cursor: number): Promise<SubscriptionWithState> {
    const { namespace, id } = subscription
    const state: DeliveryState = {
      cursor,
      attempt: 0,
      nextAttemptAt: 0,
      failures: 0,
      delivered: 0,
      failed: 0,
      leaseOwner: null,
      leaseUntil: 0,
      log: [],
    }
    const s = await this.#docs.put({ kind: STATE_KIND, namespace, id, data: asData(state) }, null)
    const doc = await this.#docs.put(
      { kind: SUBSCRIPTION_KIND, namespace, id, data: asData(subscription) },
      null,
    )
    return { subscription: loaded(doc), state: loaded(s) }
  }

  /** Every subscription of `namespaces` (`null`: all), by namespace then id, with its state. */
  async list(namespaces: readonly string[] | null): Promise<SubscriptionWithState[]> {
    const options = namespaces === null ? {} : { namespace: namespaces }
    const [subs, states] = await Promise.all([
      this.#all(SUBSCRIPTION_KIND, options),
      this.#all(STATE_KIND, options),
    ])
    const byKey = new Map(states.map((d) => [`${d.namespace}\u0000${d.id}`, d]))
    const out: SubscriptionWithState[] = []
    for (const doc of subs) {
      const state = byKey.get(`${doc.namespace}\u0000${doc.id}`)
      if (state !== undefined) out.push({ subscription: loaded(doc), state: loaded(state) })
    }
    return out
  }

  async #all(kind: string, options: { namespace?: readonly string[] }): Promise<StoredDocument[]> {
    const out: StoredDocument[] = []
    for (;;) {
      const last = out.at(-1)
      const page = await this.#docs.list(kind, {
        ...options,
        ...(last === undefined ? {} : { after: { namespace: last.namespace, id: last.id } }),
      })
      out.push(...page)
      if (page.length < 1000) return out
    }
  }

  /** One subscription by id in `namespaces` (`null`: any namespace), or `null`. */
  async find(id: string, namespaces: readonly string[] | null): Promise<SubscriptionWithState | null> {
    if (namespaces === null) {
      return (await this.list(null)).find((s) => s.subscription.value.id === id) ?? null
    }
    for (const namespace of namespaces) {
      const [doc, state] = await Promise.all([
        this.#docs.get(SUBSCRIPTION_KIND, namespace, id),
        this.#docs.get(STATE_KIND, namespace, id),
      ])
      if (doc !== null && state !== null) return { subscription: loaded(doc), state: loaded(state) }
    }
    return null
  }

  /** Replaces revision `rev` of the subscription (`CM_ERR_CONFLICT` when it changed since). */
  async saveSubscription(value: Subscription, rev: number): Promise<Loaded<Subscription>> {
    const { namespace, id } = value
    return loaded(await this.#docs.put({ kind: SUBSCRIPTION_KIND, namespace, id, data: asData(value) }, rev))
  }

  /** Replaces revision `rev` of the state, keeping the newest `logSize` log entries. */
  async saveState(
    namespace: string,
    id: string,
    value: DeliveryState,
    rev: number,
  ): Promise<Loaded<DeliveryState>> {
    const log = value.log.length > this.logSize ? value.log.slice(-this.logSize) : value.log
    return loaded(
      await this.#docs.put({ kind: STATE_KIND, namespace, id, data: asData({ ...value, log }) }, rev),
    )
  }

  /** Re-reads the state (after a lost compare-and-set). */
  async state(namespace: string, id: string): Promise<Loaded<DeliveryState> | null> {
    const doc = await this.#docs.get(STATE_KIND, namespace, id)
    return doc === null ? null : loaded(doc)
  }

  async delete(namespace: string, id: string): Promise<boolean> {
    const deleted = await this.#docs.delete(SUBSCRIPTION_KIND, namespace, id)
    await this.#docs.delete(STATE_KIND, namespace, id)
    return deleted
  }
}
