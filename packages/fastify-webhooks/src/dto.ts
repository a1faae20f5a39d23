import type { DeliveryDto, WebhookDto } from './schemas.js'
import type { DeliveryLogEntry, SubscriptionWithState } from './subscriptions.js'

const iso = (ms: number): string => new Date(ms).toISOString()

/** The DTO of a subscription; the secret only when `withSecret` (create, rotation). */
export function toWebhookDto(s: SubscriptionWithState, withSecret = false): WebhookDto {
  const sub = s.subscription.value
  const state = s.state.value
  return {
    id: sub.id,
    namespace: sub.namespace,
    url: sub.url,
    types: sub.types,
    description: sub.description,
    enabled: sub.enabled,
    disabledReason: sub.disabledReason,
    ...(withSecret ? { secret: sub.secret } : {}),
    createdAt: iso(sub.createdAt),
    updatedAt: iso(sub.updatedAt),
    delivery: {
      cursor: state.cursor,
      attempt: state.attempt,
      nextAttemptAt: state.nextAttemptAt > 0 ? iso(state.nextAttemptAt) : null,
      failuresInARow: state.failures,
      delivered: state.delivered,
      failed: state.failed,
    },
  }
}

export const toDeliveryDto = (e: DeliveryLogEntry): DeliveryDto => ({ ...e, at: iso(e.at) })
