import type { EnvValues } from './env-reader.js'
import { EnvBoolean, EnvDuration, EnvInteger } from './env-schema.js'
import type { ServerConfig } from './types.js'

/** The retention of the store's event log (`EVENTS_*`): what the server's periodic prune keeps. */
export interface EventRetentionConfig {
  /** Events older than this are deleted (ms). */
  maxAgeMs: number
  /** At most this many of the newest events are kept. */
  maxCount: number
  /** How often a prune pass runs (the first one when the app is ready). */
  intervalMs: number
}

export const DEFAULT_EVENTS_RETENTION_MS = 7 * 86_400_000
export const DEFAULT_EVENTS_MAX_COUNT = 1_000_000
export const DEFAULT_EVENTS_PRUNE_INTERVAL_MS = 10 * 60_000

export const eventsEnv = {
  EVENTS_PRUNE_ENABLED: EnvBoolean({
    default: true,
    description:
      'prune the event log periodically in this instance (`GET /events`, webhooks, cache coherence)',
  }),
  EVENTS_RETENTION: EnvDuration({
    min: 1000,
    max: 3650 * 86_400_000,
    default: DEFAULT_EVENTS_RETENTION_MS,
    description: 'events older than this are deleted from the event log',
  }),
  EVENTS_MAX_COUNT: EnvInteger({
    minimum: 1,
    maximum: 1_000_000_000_000,
    default: DEFAULT_EVENTS_MAX_COUNT,
    description: 'most events the event log keeps (the newest)',
  }),
  EVENTS_PRUNE_INTERVAL: EnvDuration({
    min: 100,
    max: 86_400_000,
    default: DEFAULT_EVENTS_PRUNE_INTERVAL_MS,
    description: 'how often the event log is pruned',
  }),
}

export function eventsConfig(env: EnvValues<typeof eventsEnv>): Pick<ServerConfig, 'events'> {
  if (!env.EVENTS_PRUNE_ENABLED) return { events: null }
  return {
    events: {
      maxAgeMs: env.EVENTS_RETENTION,
      maxCount: env.EVENTS_MAX_COUNT,
      intervalMs: env.EVENTS_PRUNE_INTERVAL,
    },
  }
}
