import type { StoreEvent } from '@comp-manager/core'

/**
 * The JSON body of a delivery, in the Standard Webhooks shape `{ type, timestamp, data }`. `data` is
 * the event as `GET /events` sends it (no args, results or values: only the small facts of the log).
 */
export function eventBody(event: StoreEvent): string {
  return JSON.stringify({
    type: event.type,
    timestamp: new Date(event.at).toISOString(),
    data: {
      sequence: event.sequence,
      namespace: event.namespace,
      computationId: event.computationId,
      function: event.function,
      status: event.status,
      ...event.data,
    },
  })
}

/** The body of a test send (`POST /webhooks/:id/test`). */
export function testBody(namespace: string, subscriptionId: string, at: number): string {
  return JSON.stringify({
    type: 'webhook.test',
    timestamp: new Date(at).toISOString(),
    data: { namespace, subscriptionId },
  })
}

/** The `webhook-id` of an event's message: the same on every attempt, distinct per subscription. */
export const messageIdOf = (subscriptionId: string, sequence: number): string =>
  `msg_${subscriptionId}_${sequence}`
