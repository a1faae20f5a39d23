/**
 * What the routes (and configured subscriptions) do with subscriptions: create with a checked
 * target and a cursor at the log's end, update, delete, and test-send. The HTTP shape is in
 * `routes.ts`; this is the logic, usable without HTTP (`fastify.webhooks`).
 */
import type { EventLogStore, EventType } from '@comp-manager/core'
import { withDetails } from '@comp-manager/fastify-kit'
import { deliver } from './deliver.js'
import { TargetRefusedError } from './errors.js'
import type { ConfiguredSubscription, ResolvedWebhooksOptions } from './options.js'
import { testBody } from './payload.js'
import { generateSecret } from './signing.js'
import {
  type DeliveryLogEntry,
  newSubscriptionId,
  type Subscription,
  type Subscriptions,
  type SubscriptionWithState,
} from './subscriptions.js'
import { checkTarget, type TargetPolicy } from './targets.js'

export interface NewSubscriptionInput {
  namespace: string
  url: string
  types?: readonly EventType[] | null
  description?: string
  secret?: string
  enabled?: boolean
  id?: string
}

export interface SubscriptionChange {
  url?: string
  types?: readonly EventType[] | null
  description?: string
  enabled?: boolean
  rotateSecret?: boolean
}

const isConflict = (err: unknown): boolean => (err as { code?: unknown } | null)?.code === 'CM_ERR_CONFLICT'

export class WebhookService {
  readonly subscriptions: Subscriptions
  readonly #events: EventLogStore
  readonly #o: ResolvedWebhooksOptions
  readonly policy: TargetPolicy

  constructor(subscriptions: Subscriptions, events: EventLogStore, options: ResolvedWebhooksOptions) {
    this.subscriptions = subscriptions
    this.#events = events
    this.#o = options
    this.policy = { allowPrivate: options.allowPrivateTargets, allowHttp: options.allowHttp }
  }

  /** Refuses a bad target with a 400 naming the field (`details.reason` says which rule). */
  async assertTarget(url: string, field = 'body/url'): Promise<void> {
    const problem = await checkTarget(url, this.policy)
    if (problem === null) return
    throw withDetails(new TargetRefusedError(`${field} ${problem.message}`), {
      in: 'body',
      reason: problem.reason,
      issues: [{ path: field, message: problem.message }],
    })
  }

  /** Creates a subscription; its cursor is the log's newest event (it receives what happens next). */
  async create(input: NewSubscriptionInput): Promise<SubscriptionWithState> {
    await this.assertTarget(input.url)
    const now = Date.now()
    const subscription: Subscription = {
      id: input.id ?? newSubscriptionId(),
      namespace: input.namespace,
      url: input.url,
      types: input.types === undefined || input.types === null ? null : [...input.types],
      description: input.description ?? '',
      secret: input.secret ?? generateSecret(),
      enabled: input.enabled ?? true,
      disabledReason: null,
      createdAt: now,
      updatedAt: now,
    }
    return this.subscriptions.create(subscription, await this.#events.lastSequence())
  }

  /** Applies `change`; enabling clears the failure count (delivery resumes from the cursor). */
  async update(found: SubscriptionWithState, change: SubscriptionChange): Promise<SubscriptionWithState> {
    if (change.url !== undefined) await this.assertTarget(change.url)
    const before = found.subscription.value
    const value: Subscription = {
      ...before,
      ...(change.url === undefined ? {} : { url: change.url }),
      ...(change.types === undefined ? {} : { types: change.types === null ? null : [...change.types] }),
      ...(change.description === undefined ? {} : { description: change.description }),
      ...(change.enabled === undefined ? {} : { enabled: change.enabled, disabledReason: null }),
      ...(change.rotateSecret === true ? { secret: generateSecret() } : {}),
      updatedAt: Date.now(),
    }
    const subscription = await this.subscriptions.saveSubscription(value, found.subscription.rev)
    let state = found.state
    if (change.enabled === true && !before.enabled) {
      state = await this.#updateState(found, (s) => ({ ...s, failures: 0, nextAttemptAt: 0 }))
    }
    return { subscription, state }
  }

  /** Sends a `webhook.test` message now and logs the attempt. */
  async test(found: SubscriptionWithState): Promise<DeliveryLogEntry> {
    const sub = found.subscription.value
    const at = Date.now()
    const messageId = `msg_${sub.id}_test_${at.toString(36)}`
    const outcome = await deliver({
      url: sub.url,
      secret: sub.secret,
      messageId,
      body: testBody(sub.namespace, sub.id, at),
      timeoutMs: this.#o.timeoutMs,
      policy: this.policy,
      userAgent: USER_AGENT,
    })
    const entry: DeliveryLogEntry = {
      messageId,
      sequence: null,
      type: 'webhook.test',
      attempt: 1,
      at,
      ...outcome,
    }
    await this.#updateState(found, (s) => ({ ...s, log: [...s.log, entry] }))
    return entry
  }

  /** Read-modify-write of the state, retried when the dispatcher wrote in between. */
  async #updateState(
    found: SubscriptionWithState,
    change: (s: SubscriptionWithState['state']['value']) => SubscriptionWithState['state']['value'],
  ) {
    const { namespace, id } = found.subscription.value
    let state = found.state
    for (let i = 0; ; i++) {
      try {
        return await this.subscriptions.saveState(namespace, id, change(state.value), state.rev)
      } catch (err) {
        const fresh = isConflict(err) && i < 20 ? await this.subscriptions.state(namespace, id) : null
        if (fresh === null) throw err
        state = fresh
      }
    }
  }

  /** Creates or updates the subscriptions of the configuration. */
  async applyConfigured(list: readonly ConfiguredSubscription[]): Promise<void> {
    for (const c of list) {
      const namespace = c.namespace ?? this.#o.namespace
      const found = await this.subscriptions.find(c.id, [namespace])
      const types = (c.types ?? null) as EventType[] | null
      if (found === null) {
        await this.create({ ...c, namespace, types })
        continue
      }
      const s = found.subscription.value
      const same =
        s.url === c.url &&
        s.secret === c.secret &&
        JSON.stringify(s.types) === JSON.stringify(types) &&
        s.description === (c.description ?? '') &&
        s.enabled === (c.enabled ?? true)
      if (same) continue
      await this.assertTarget(c.url)
      const value = { ...s, url: c.url, secret: c.secret, types, description: c.description ?? '' }
      await this.subscriptions.saveSubscription(
        { ...value, enabled: c.enabled ?? true, disabledReason: null, updatedAt: Date.now() },
        found.subscription.rev,
      )
    }
  }
}

export const USER_AGENT = 'comp-manager-webhooks/1'
