import type { StaticDecode } from 'typebox'
import { Type } from 'typebox'
import { authEnv } from './auth.js'
import type { EnvAnnotations } from './env-schema.js'
import { eventsEnv } from './events.js'
import { httpEnv } from './http.js'
import { limitsEnv } from './limits.js'
import { metricsEnv } from './metrics.js'
import { rateLimitEnv } from './rate-limit.js'
import { runtimeEnv } from './runtime.js'
import { storeEnv } from './store.js'
import { webhooksEnv } from './webhooks.js'

/**
 * Every environment variable the server reads, in the order of the README's table: its type, its
 * default, what it accepts and a description (see `env-schema.ts`). `loadConfig` reads the environment
 * with it; `scripts/generate-config-docs.mjs` renders the README's table from it.
 */
export const ServerEnvSchema = Type.Object({
  ...runtimeEnv,
  ...httpEnv,
  ...storeEnv,
  ...authEnv,
  ...rateLimitEnv,
  ...limitsEnv,
  ...metricsEnv,
  ...webhooksEnv,
  ...eventsEnv,
})

/** The decoded variables (durations in milliseconds, lists as arrays). */
export type ServerEnv = StaticDecode<typeof ServerEnvSchema>

/** Variables that may hold secrets: each can be given as `<NAME>_FILE`, a path to a file holding it. */
export const secretVariables: readonly string[] = Object.entries(ServerEnvSchema.properties)
  .filter(([, schema]) => (schema as EnvAnnotations).secret === true)
  .map(([name]) => name)
