import { Type } from 'typebox'
import type { EnvValues } from './env-reader.js'
import { EnvBoolean, EnvDuration, EnvOneOf } from './env-schema.js'
import { type ConfigContext, LOG_LEVELS, NODE_ENVS, type ServerConfig } from './types.js'

export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000

/** The variables of the process as a whole: its environment, logs, shutdown and docs. */
export const runtimeEnv = {
  NODE_ENV: EnvOneOf(NODE_ENVS, {
    default: 'development',
    description: '`production` hides internals and requires a strong `JWT_SECRET`',
  }),
  LOG_LEVEL: Type.Optional(
    EnvOneOf(LOG_LEVELS, { defaultText: '`info` (`warn` in test)', description: 'pino level' }),
  ),
  SHUTDOWN_TIMEOUT_MS: EnvDuration({
    min: 0,
    max: 600_000,
    default: DEFAULT_SHUTDOWN_TIMEOUT_MS,
    description: 'how long a shutdown waits for requests and runs',
  }),
  DOCS_ENABLED: EnvBoolean({ default: true, description: 'serve `/docs`' }),
  DASHBOARD_ENABLED: EnvBoolean({
    default: false,
    description: 'serve the web dashboard at `/dashboard` (needs `@comp-manager/dashboard`)',
  }),
}

export function runtimeConfig(
  env: EnvValues<typeof runtimeEnv>,
  { report }: ConfigContext,
): Pick<ServerConfig, 'env' | 'logLevel' | 'shutdownTimeoutMs' | 'docs' | 'dashboard'> {
  if (!report.given('LOG_LEVEL')) report.sources.LOG_LEVEL = 'default'
  return {
    env: env.NODE_ENV,
    logLevel: env.LOG_LEVEL ?? (env.NODE_ENV === 'test' ? 'warn' : 'info'),
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
    docs: env.DOCS_ENABLED,
    dashboard: env.DASHBOARD_ENABLED,
  }
}
