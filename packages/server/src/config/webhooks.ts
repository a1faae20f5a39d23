import type { ConfiguredSubscription } from '@comp-manager/fastify-webhooks'
import { Type } from 'typebox'
import type { EnvValues } from './env-reader.js'
import { EnvBoolean, EnvDuration, EnvInteger, EnvString } from './env-schema.js'
import type { ConfigContext, ServerConfig } from './types.js'

/** The webhook settings (`WEBHOOKS_*`). */
export interface WebhooksConfig {
  /** Serve the admin routes and deliver. */
  enabled: boolean
  /** Run the dispatcher in this instance (any instance can; their leases keep one per subscription). */
  deliver: boolean
  allowPrivateTargets: boolean
  timeoutMs: number
  concurrency: number
  /** Subscriptions from `WEBHOOKS_SUBSCRIPTIONS` (a JSON array), created or updated at start. */
  subscriptions: ConfiguredSubscription[]
}

export const webhooksEnv = {
  WEBHOOKS_ENABLED: EnvBoolean({
    default: true,
    description: 'serve `/api/v1/webhooks` and deliver webhooks',
  }),
  WEBHOOKS_DELIVER: EnvBoolean({
    default: true,
    description: 'run the webhook dispatcher in this instance (off: routes only, another instance delivers)',
  }),
  WEBHOOKS_ALLOW_PRIVATE_TARGETS: EnvBoolean({
    default: false,
    description: 'accept webhook targets on loopback, private and link-local addresses',
  }),
  WEBHOOKS_TIMEOUT: EnvDuration({
    min: 100,
    max: 300_000,
    default: 10_000,
    description: 'deadline of one webhook delivery attempt',
  }),
  WEBHOOKS_CONCURRENCY: EnvInteger({
    minimum: 1,
    maximum: 1000,
    default: 16,
    description: 'subscriptions this instance delivers to at once',
  }),
  WEBHOOKS_SUBSCRIPTIONS: Type.Optional(
    EnvString({
      secret: true,
      expected: 'a JSON array of { id, url, secret, namespace?, types?, description?, enabled? }',
      description: 'webhook subscriptions created or updated at start (they hold secrets)',
    }),
  ),
}

function subscriptionsOf(text: string | undefined, { report }: ConfigContext): ConfiguredSubscription[] {
  if (text === undefined || text.trim() === '') return []
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    report.problem(
      'WEBHOOKS_SUBSCRIPTIONS',
      'is not valid JSON (expected an array of { id, url, secret, … })',
    )
    return []
  }
  if (!Array.isArray(parsed)) {
    report.problem('WEBHOOKS_SUBSCRIPTIONS', 'must be a JSON array of { id, url, secret, … }')
    return []
  }
  // Each entry is checked by fastify-webhooks at registration (the message names the field).
  return parsed as ConfiguredSubscription[]
}

export function webhooksConfig(
  env: EnvValues<typeof webhooksEnv>,
  context: ConfigContext,
): Pick<ServerConfig, 'webhooks'> {
  return {
    webhooks: {
      enabled: env.WEBHOOKS_ENABLED,
      deliver: env.WEBHOOKS_DELIVER,
      allowPrivateTargets: env.WEBHOOKS_ALLOW_PRIVATE_TARGETS,
      timeoutMs: env.WEBHOOKS_TIMEOUT,
      concurrency: env.WEBHOOKS_CONCURRENCY,
      subscriptions: subscriptionsOf(env.WEBHOOKS_SUBSCRIPTIONS, context),
    },
  }
}
