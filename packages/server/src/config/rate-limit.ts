import { Type } from 'typebox'
import type { EnvValues } from './env-reader.js'
import { EnvDuration, EnvInteger, EnvString } from './env-schema.js'
import type { ServerConfig } from './types.js'

export const DEFAULT_RATE_LIMIT_MAX = 300
export const DEFAULT_RATE_LIMIT_WINDOW_MS = 60_000
/** `@comp-manager/cache`'s default channel prefix of its Redis accelerator. */
export const DEFAULT_REDIS_CHANNEL_PREFIX = 'comp-manager:cache:'

/** The global rate limit, and where its counters live. */
export const rateLimitEnv = {
  RATE_LIMIT_MAX: EnvInteger({
    minimum: 1,
    maximum: 1_000_000,
    default: DEFAULT_RATE_LIMIT_MAX,
    description: 'requests per window and caller',
  }),
  RATE_LIMIT_WINDOW: EnvDuration({
    min: 1000,
    max: 86_400_000,
    default: DEFAULT_RATE_LIMIT_WINDOW_MS,
    description: 'the window of `RATE_LIMIT_MAX`',
  }),
  REDIS_URL: Type.Optional(
    EnvString({
      secret: true,
      pattern: '^rediss?://\\S+$',
      expected: 'a redis:// or rediss:// url',
      description:
        "store rate limits in Redis (shared by every instance) and publish cache invalidations to other processes' L1",
    }),
  ),
  REDIS_CHANNEL: EnvString({
    pattern: '^\\S{1,256}$',
    expected: '1-256 characters, no space',
    default: DEFAULT_REDIS_CHANNEL_PREFIX,
    description: 'prefix of the Redis channel of cache invalidations (the namespace is appended)',
  }),
}

export function rateLimitConfig(
  env: EnvValues<typeof rateLimitEnv>,
): Pick<ServerConfig, 'rateLimit' | 'redisUrl' | 'redisChannel'> {
  return {
    rateLimit: { max: env.RATE_LIMIT_MAX, timeWindowMs: env.RATE_LIMIT_WINDOW },
    redisUrl: env.REDIS_URL ?? null,
    redisChannel: env.REDIS_CHANNEL,
  }
}
