import { Type } from 'typebox'
import type { EnvValues } from './env-reader.js'
import { EnvString } from './env-schema.js'
import type { MetricsConfig } from './types.js'

/** `GET /metrics` (`@comp-manager/fastify-metrics`): on when `METRICS_TOKEN` or `METRICS_PORT` is set. */
export const metricsEnv = {
  METRICS_TOKEN: Type.Optional(
    EnvString({
      secret: true,
      pattern: '^\\S{16,}$',
      expected: 'at least 16 characters without spaces',
      description: 'serve `GET /metrics` (Prometheus) to scrapers sending `authorization: Bearer <token>`',
    }),
  ),
  METRICS_PORT: Type.Optional(
    EnvString({
      pattern: '^(6553[0-5]|655[0-2]\\d|65[0-4]\\d{2}|6[0-4]\\d{3}|[1-5]\\d{4}|[1-9]\\d{0,3})$',
      expected: 'a port from 1 to 65535',
      description:
        'serve `/metrics` on a server of its own on this port instead (with `METRICS_TOKEN` if set)',
    }),
  ),
  METRICS_HOST: EnvString({
    default: '127.0.0.1',
    description: 'the interface of the `METRICS_PORT` server',
  }),
}

export function metricsConfig(env: EnvValues<typeof metricsEnv>): MetricsConfig | null {
  if (env.METRICS_TOKEN === undefined && env.METRICS_PORT === undefined) return null
  return {
    token: env.METRICS_TOKEN ?? null,
    port: env.METRICS_PORT === undefined ? null : Number(env.METRICS_PORT),
    host: env.METRICS_HOST,
  }
}
