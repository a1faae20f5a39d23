import { DEFAULT_DECODE_BUDGET, DEFAULT_MAX_DEPTH } from '@comp-manager/core'
import type { EnvValues } from './env-reader.js'
import { EnvDuration, EnvInteger } from './env-schema.js'
import type { ServerConfig } from './types.js'

/**
 * The per-request and per-client budgets (issue 13), one variable each: the largest request body, the
 * codec's decoding budgets for the `args` of `POST /computations`, and the event streams' caps and
 * timeouts. Defaults are the plugins' own (core's codec, `@comp-manager/fastify-tracker`'s `sse`).
 */

/** Largest request body of the routes that take one (Fastify's `bodyLimit`). Default 1 MiB. */
export const DEFAULT_BODY_LIMIT = 1024 * 1024
/** Largest body of the routes whose body is a few small fields (`PUT /computations/:id`, `POST /auth/token`…). */
export const SMALL_BODY_LIMIT = 64 * 1024
export const DEFAULT_SSE_MAX_STREAMS = 1000
export const DEFAULT_SSE_MAX_STREAMS_PER_CLIENT = 8
export const DEFAULT_SSE_IDLE_TIMEOUT_MS = 30 * 60_000
export const DEFAULT_SSE_STALL_TIMEOUT_MS = 60_000

const MI = 1024 * 1024

export const limitsEnv = {
  BODY_LIMIT: EnvInteger({
    minimum: 1024,
    maximum: 64 * MI,
    default: DEFAULT_BODY_LIMIT,
    description: 'largest request body in bytes (413 `CM_ERR_MAX_BYTES` above)',
  }),
  CODEC_MAX_BIGINT_DIGITS: EnvInteger({
    minimum: 1,
    maximum: 10_000_000,
    default: DEFAULT_DECODE_BUDGET.maxBigIntDigits,
    description: 'most digits of a BigInt in `args` (413 `CM_ERR_TOO_LARGE`)',
  }),
  CODEC_MAX_STRING_LENGTH: EnvInteger({
    minimum: 1,
    maximum: 1024 * MI,
    default: DEFAULT_DECODE_BUDGET.maxStringLength,
    description: 'longest string in `args`, keys included, in UTF-16 units (413)',
  }),
  CODEC_MAX_BINARY_BYTES: EnvInteger({
    minimum: 1,
    maximum: 1024 * MI,
    default: DEFAULT_DECODE_BUDGET.maxBinaryBytes,
    description: 'largest binary value in `args`, in bytes (413)',
  }),
  CODEC_MAX_ENTRIES: EnvInteger({
    minimum: 1,
    maximum: 100_000_000,
    default: DEFAULT_DECODE_BUDGET.maxEntries,
    description: 'most entries of one container in `args` (400 `CM_ERR_TOO_COMPLEX`)',
  }),
  CODEC_MAX_NODES: EnvInteger({
    minimum: 1,
    maximum: 100_000_000,
    default: DEFAULT_DECODE_BUDGET.maxNodes,
    description: 'most values in all of `args` (400 `CM_ERR_TOO_COMPLEX`)',
  }),
  CODEC_MAX_DEPTH: EnvInteger({
    minimum: 1,
    maximum: 4096,
    default: DEFAULT_MAX_DEPTH,
    description: 'deepest nesting of `args` (400 `CM_ERR_MAX_DEPTH`)',
  }),
  SSE_MAX_STREAMS: EnvInteger({
    minimum: 1,
    maximum: 1_000_000,
    default: DEFAULT_SSE_MAX_STREAMS,
    description: 'most open event streams in all (429 `CM_ERR_RATE_LIMITED`)',
  }),
  SSE_MAX_STREAMS_PER_CLIENT: EnvInteger({
    minimum: 1,
    maximum: 1_000_000,
    default: DEFAULT_SSE_MAX_STREAMS_PER_CLIENT,
    description: 'most open event streams of one client: token subject, else IP (429)',
  }),
  SSE_IDLE_TIMEOUT: EnvDuration({
    min: 100,
    max: 86_400_000,
    default: DEFAULT_SSE_IDLE_TIMEOUT_MS,
    description: 'an event stream with no event for this long is closed',
  }),
  SSE_STALL_TIMEOUT: EnvDuration({
    min: 100,
    max: 3_600_000,
    default: DEFAULT_SSE_STALL_TIMEOUT_MS,
    description: 'an event stream whose reader does not drain for this long is destroyed',
  }),
}

export function limitsConfig(env: EnvValues<typeof limitsEnv>): Pick<ServerConfig, 'limits'> {
  return {
    limits: {
      bodyLimit: env.BODY_LIMIT,
      codec: {
        maxBigIntDigits: env.CODEC_MAX_BIGINT_DIGITS,
        maxStringLength: env.CODEC_MAX_STRING_LENGTH,
        maxBinaryBytes: env.CODEC_MAX_BINARY_BYTES,
        maxEntries: env.CODEC_MAX_ENTRIES,
        maxNodes: env.CODEC_MAX_NODES,
        maxDepth: env.CODEC_MAX_DEPTH,
      },
      sse: {
        maxStreams: env.SSE_MAX_STREAMS,
        maxStreamsPerClient: env.SSE_MAX_STREAMS_PER_CLIENT,
        idleTimeoutMs: env.SSE_IDLE_TIMEOUT,
        stallTimeoutMs: env.SSE_STALL_TIMEOUT,
      },
    },
  }
}
