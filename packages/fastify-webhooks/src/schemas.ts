/**
 * The TypeBox schemas of the webhook routes: one source of truth for validation, serialization, the
 * OpenAPI document and the generated client.
 */
import { NamespaceSchema } from '@comp-manager/core'
import { described, IsoDateTimeSchema, NamespaceQueryProperty } from '@comp-manager/fastify-kit'
import { type Static, Type } from 'typebox'
import { EventTypeListSchema } from './options.js'
import { SECRET_PATTERN } from './signing.js'

const UrlSchema = Type.String({
  minLength: 1,
  maxLength: 2048,
  description:
    'The receiver: an absolute http(s) URL without credentials; loopback, private and link-local hosts (also ' +
    "after DNS resolution) are refused unless the server's `allowPrivateTargets` is on",
  examples: ['https://hooks.example.com/comp-manager'],
})
const SecretSchema = Type.String({
  pattern: SECRET_PATTERN,
  description: 'The signing secret, `whsec_` and base64 of 24 to 64 bytes (Standard Webhooks)',
  examples: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
})
const Types = described(
  EventTypeListSchema,
  'The event types delivered (those of `GET /events`); absent: all',
)
const Description = Type.String({ maxLength: 512, description: 'Free text for people' })

export const WebhookIdParamsSchema = Type.Object(
  {
    id: Type.String({
      minLength: 1,
      maxLength: 64,
      pattern: '^[A-Za-z0-9_-]+$',
      description: 'Subscription id',
      examples: ['wh_3ZKxQm8pLr2nT5vW'],
    }),
  },
  { additionalProperties: false },
)
export const WebhookQuerySchema = Type.Object(
  { namespace: NamespaceQueryProperty },
  { additionalProperties: false },
)

/** `POST /webhooks` body. */
export const CreateWebhookBodySchema = Type.Object(
  {
    namespace: Type.Optional(
      described(NamespaceSchema, "The namespace whose events are delivered (default: the plugin's)"),
    ),
    url: UrlSchema,
    types: Type.Optional(Types),
    description: Type.Optional(Description),
    secret: Type.Optional(
      described(SecretSchema, 'The signing secret (default: a new random one, returned once)'),
    ),
    enabled: Type.Optional(Type.Boolean({ description: 'Default true' })),
  },
  {
    additionalProperties: false,
    title: 'CreateWebhook',
    description: 'A new subscription of a URL to events',
    examples: [{ url: 'https://hooks.example.com/cm', types: ['finished', 'failed'] }],
  },
)
export type CreateWebhookBody = Static<typeof CreateWebhookBodySchema>

/** `PATCH /webhooks/:id` body. */
export const UpdateWebhookBodySchema = Type.Object(
  {
    url: Type.Optional(UrlSchema),
    types: Type.Optional(Type.Union([Types, Type.Null()], { description: 'The event types; null: all' })),
    description: Type.Optional(Description),
    enabled: Type.Optional(
      Type.Boolean({
        description: 'Enabling a disabled subscription resumes from its cursor (nothing is lost)',
      }),
    ),
    rotateSecret: Type.Optional(
      Type.Boolean({ description: 'Replace the secret by a new one (returned once)' }),
    ),
  },
  {
    additionalProperties: false,
    minProperties: 1,
    title: 'UpdateWebhook',
    description: 'The fields to change',
    examples: [{ enabled: true }],
  },
)
export type UpdateWebhookBody = Static<typeof UpdateWebhookBodySchema>

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(s: T, description: string) =>
  Type.Union([s, Type.Null()], { description })

export const WebhookSchema = Type.Object(
  {
    id: Type.String(),
    namespace: NamespaceSchema,
    url: Type.String(),
    types: Nullable(Type.Array(Type.String()), 'The event types delivered; null: all'),
    description: Type.String(),
    enabled: Type.Boolean(),
    disabledReason: Nullable(Type.String(), 'Why the server disabled it (repeated failures); null otherwise'),
    secret: Type.Optional(described(SecretSchema, 'Only in the answer that created or rotated it')),
    createdAt: IsoDateTimeSchema,
    updatedAt: IsoDateTimeSchema,
    delivery: Type.Object(
      {
        cursor: Type.Integer({ minimum: 0, description: 'Sequence of the last event delivered' }),
        attempt: Type.Integer({ minimum: 0, description: 'Failed attempts on the next event' }),
        nextAttemptAt: Nullable(IsoDateTimeSchema, 'When the next attempt is due after a failure'),
        failuresInARow: Type.Integer({ minimum: 0 }),
        delivered: Type.Integer({ minimum: 0 }),
        failed: Type.Integer({ minimum: 0, description: 'Failed attempts in all' }),
      },
      { additionalProperties: false },
    ),
  },
  {
    additionalProperties: false,
    title: 'Webhook',
    description: 'A webhook subscription and its delivery state',
  },
)
export type WebhookDto = Static<typeof WebhookSchema>

export const WebhookListSchema = Type.Object(
  { data: Type.Array(WebhookSchema) },
  { additionalProperties: false, title: 'WebhookList', description: 'The subscriptions (no secrets)' },
)

export const DeliverySchema = Type.Object(
  {
    messageId: Type.String({
      description: 'The `webhook-id` header (the same on every attempt of a message)',
    }),
    sequence: Nullable(Type.Integer({ minimum: 1 }), "The event's sequence; null for a test send"),
    type: Type.String(),
    attempt: Type.Integer({ minimum: 1 }),
    at: IsoDateTimeSchema,
    ok: Type.Boolean({ description: 'The receiver answered 2xx' }),
    status: Nullable(
      Type.Integer(),
      'The HTTP status; null without an answer (timeout, refused, forbidden address)',
    ),
    durationMs: Type.Integer({ minimum: 0 }),
    error: Nullable(Type.String(), 'Why it failed'),
    response: Nullable(Type.String(), "The start (512 characters) of the receiver's answer"),
  },
  { additionalProperties: false, title: 'WebhookDelivery', description: 'One delivery attempt' },
)
export type DeliveryDto = Static<typeof DeliverySchema>

export const DeliveryListSchema = Type.Object(
  { data: Type.Array(DeliverySchema, { description: 'Newest first' }) },
  {
    additionalProperties: false,
    title: 'WebhookDeliveryList',
    description: 'The delivery log, newest first',
  },
)
