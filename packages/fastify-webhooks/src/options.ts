import { eventTypes } from '@comp-manager/core'
import {
  type Duration,
  DurationSchema,
  defineOptions,
  NamespaceOptionSchema,
} from '@comp-manager/core/options'
import { decoratorName, STORE_DECORATOR } from '@comp-manager/fastify-kit'
import { Type } from 'typebox'
import type { RetryPolicy } from './backoff.js'
import { SECRET_PATTERN } from './signing.js'

export const PLUGIN_NAME = '@comp-manager/fastify-webhooks'

/** The default `decorator`: `fastify.webhooks`. */
export const DEFAULT_DECORATOR = 'webhooks'

/** A subscription declared in the configuration: created at start, updated when it differs. */
export interface ConfiguredSubscription {
  /** Stable id (`[A-Za-z0-9_-]`, 1..64), so a restart updates it instead of adding another. */
  id: string
  namespace?: string
  url: string
  /** Event types (default: all). */
  types?: string[]
  secret: string
  description?: string
  enabled?: boolean
}

/** Options of `app.register(fastifyWebhooks, options)`. */
export interface FastifyWebhooksOptions {
  /** The namespace of requests without auth. Default `'default'`. */
  namespace?: string
  /** Where the routes live: `<prefix>/webhooks…`. Default `''`. */
  prefix?: string
  /** Run the dispatcher in this process (the routes are served either way). Default true. */
  deliver?: boolean
  /** How often the dispatcher looks for due deliveries. Default 250 ms. */
  pollMs?: Duration
  /** Deadline of one delivery attempt (connect to end of answer). Default 10 s. */
  timeoutMs?: Duration
  /** Subscriptions delivered at once by this process. Default 16. */
  concurrency?: number
  /** Events of one subscription delivered in a row before the next look. Default 100. */
  batch?: number
  /** Backoff after a failed attempt: `baseMs · 2^(attempt-1)` up to `maxMs`. Default 1 s … 1 h, jitter 0.2. */
  retry?: { baseMs?: Duration; maxMs?: Duration; jitter?: number }
  /** Failed attempts in a row after which a subscription is disabled. Default 20. */
  disableAfterFailures?: number
  /** Attempts kept in each subscription's delivery log. Default 100. */
  logSize?: number
  /** Accept loopback, private and link-local targets (development, tests, internal networks). Default false. */
  allowPrivateTargets?: boolean
  /** Accept `http:` targets (else only `https:`). Default true. */
  allowHttp?: boolean
  /** Subscriptions from the configuration (created or updated when the server is ready). */
  subscriptions?: ConfiguredSubscription[]
  /** Error bodies of 5xx errors show their message and stack (never in production). Default false. */
  development?: boolean
  /** The name to decorate the plugin under: `fastify[decorator]`. Default `'webhooks'`. */
  decorator?: string
  /** The decorator of the store (`@comp-manager/fastify-store`'s `decorator` option). Default `'compStore'`. */
  storeDecorator?: string
}

export interface ResolvedWebhooksOptions {
  namespace: string
  prefix: string
  deliver: boolean
  pollMs: number
  timeoutMs: number
  concurrency: number
  batch: number
  retry: RetryPolicy
  disableAfterFailures: number
  logSize: number
  allowPrivateTargets: boolean
  allowHttp: boolean
  subscriptions: ConfiguredSubscription[]
  development: boolean
  decorator: string
  storeDecorator: string
}

export const DEFAULT_POLL_MS = 250
export const DEFAULT_TIMEOUT_MS = 10_000
export const DEFAULT_CONCURRENCY = 16
export const DEFAULT_DISABLE_AFTER_FAILURES = 20
export const DEFAULT_LOG_SIZE = 100
export const DEFAULT_RETRY: RetryPolicy = { baseMs: 1000, maxMs: 3_600_000, jitter: 0.2 }
export const SUBSCRIPTION_ID_PATTERN = '^[A-Za-z0-9_-]{1,64}$'

export const EventTypeListSchema = Type.Array(Type.Union(eventTypes.map((t) => Type.Literal(t))), {
  minItems: 1,
  maxItems: eventTypes.length,
  uniqueItems: true,
})

const ConfiguredSchema = Type.Object(
  {
    id: Type.String({ pattern: SUBSCRIPTION_ID_PATTERN }),
    namespace: Type.Optional(NamespaceOptionSchema),
    url: Type.String({ minLength: 1, maxLength: 2048 }),
    types: Type.Optional(EventTypeListSchema),
    secret: Type.String({ pattern: SECRET_PATTERN }),
    description: Type.Optional(Type.String({ maxLength: 512 })),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
)

const Schema = Type.Object(
  {
    namespace: Type.Optional(NamespaceOptionSchema),
    prefix: Type.Optional(Type.String({ pattern: "^(?:/[A-Za-z0-9._~!$&'()*+,;=:@%-]+)*$", maxLength: 256 })),
    deliver: Type.Optional(Type.Boolean()),
    pollMs: Type.Optional(DurationSchema({ min: 10, max: 60_000 })),
    timeoutMs: Type.Optional(DurationSchema({ min: 100, max: 300_000 })),
    concurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    batch: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
    retry: Type.Optional(
      Type.Object(
        {
          baseMs: Type.Optional(DurationSchema({ min: 1, max: 86_400_000 })),
          maxMs: Type.Optional(DurationSchema({ min: 1, max: 7 * 86_400_000 })),
          jitter: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
        },
        { additionalProperties: false },
      ),
    ),
    disableAfterFailures: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
    logSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    allowPrivateTargets: Type.Optional(Type.Boolean()),
    allowHttp: Type.Optional(Type.Boolean()),
    subscriptions: Type.Optional(Type.Array(ConfiguredSchema, { maxItems: 1000 })),
    development: Type.Optional(Type.Boolean()),
    decorator: Type.Optional(decoratorName(DEFAULT_DECORATOR)),
    storeDecorator: Type.Optional(decoratorName(STORE_DECORATOR)),
  },
  { additionalProperties: false },
)

const Parser = defineOptions(Schema, { package: PLUGIN_NAME, optional: true })

/** Checks every option at `register()` and applies the defaults. */
export function resolveOptions(options: unknown): ResolvedWebhooksOptions {
  const o = Parser.parse(options ?? undefined) as FastifyWebhooksOptions
  const retry = (o.retry ?? {}) as Partial<RetryPolicy>
  return {
    namespace: o.namespace ?? 'default',
    prefix: o.prefix ?? '',
    deliver: o.deliver ?? true,
    pollMs: (o.pollMs as number | undefined) ?? DEFAULT_POLL_MS,
    timeoutMs: (o.timeoutMs as number | undefined) ?? DEFAULT_TIMEOUT_MS,
    concurrency: o.concurrency ?? DEFAULT_CONCURRENCY,
    batch: o.batch ?? 100,
    retry: { ...DEFAULT_RETRY, ...retry },
    disableAfterFailures: o.disableAfterFailures ?? DEFAULT_DISABLE_AFTER_FAILURES,
    logSize: o.logSize ?? DEFAULT_LOG_SIZE,
    allowPrivateTargets: o.allowPrivateTargets ?? false,
    allowHttp: o.allowHttp ?? true,
    subscriptions: o.subscriptions ?? [],
    development: o.development ?? false,
    decorator: o.decorator ?? DEFAULT_DECORATOR,
    storeDecorator: o.storeDecorator ?? STORE_DECORATOR,
  }
}
