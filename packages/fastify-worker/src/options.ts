import { type Codec, defaultCodec } from '@comp-manager/core'
import {
  type Duration,
  DurationSchema,
  defineOptions,
  InstanceSchema,
  NamespaceOptionSchema,
} from '@comp-manager/core/options'
import { decoratorName, STORE_DECORATOR } from '@comp-manager/fastify-kit'
import { type Backoff, defaultBackoff } from '@comp-manager/worker'
import { Type } from 'typebox'

export const PLUGIN_NAME = '@comp-manager/fastify-worker'

/** Options of `app.register(fastifyWorker, options)`. */
export interface FastifyWorkerOptions {
  /** The namespace of requests without auth (the only one they see). Default `'default'`. */
  namespace?: string
  /**
   * Where the routes live, below any prefix the plugin is registered under: `<prefix>/workers…` and
   * `<prefix>/computations/:id/{heartbeat,complete,fail,release}`. Default `''`.
   */
  prefix?: string
  /** The codec that checks results and checkpoints (the workers' codec). Default core's `defaultCodec`. */
  codec?: Codec
  /**
   * Signs the lease tokens (16+ characters). Give every instance of a fleet the same one (and the same
   * to `@comp-manager/fastify-tracker`). Default: a random key per process.
   */
  leaseSecret?: string
  /** Longest `waitMs` of a claim (the long-poll). Default 30 s; at most 5 min. */
  maxWaitMs?: Duration
  /** Default lease of a claimed job when the claim gives no `leaseMs`. Default 30 s. */
  leaseMs?: Duration
  /** Largest result or checkpoint accepted, in bytes of JSON. Default 16 MiB. */
  maxResultBytes?: number
  /** How long a worker stays in the fleet registry after its last claim or heartbeat. Default 60 s. */
  registryTtlMs?: Duration
  /**
   * How often the plugin recovers the jobs of dead workers (expired leases → `lost`, and a new attempt
   * while attempts are left). `0` turns it off (another process recovers them). Default 5 s.
   */
  recoverIntervalMs?: Duration
  /** Extra attempts a job gets after its worker died (`lost`). Default 2. */
  maxLostRetries?: number
  /** Backoff before the next attempt of a job that failed with `retryable: true`. Default: the worker's. */
  backoff?: Partial<Backoff>
  /** Error bodies of 5xx errors show their message and stack in `details` (never in production). Default false. */
  development?: boolean
  /** The name to decorate the protocol under: `fastify[decorator]`. Default `'workerProtocol'`. */
  decorator?: string
  /** The decorator of the store (`@comp-manager/fastify-store`'s `decorator` option). Default `'compStore'`. */
  storeDecorator?: string
}

export interface ResolvedWorkerPluginOptions {
  namespace: string
  prefix: string
  codec: Codec
  leaseSecret: string | undefined
  maxWaitMs: number
  leaseMs: number
  maxResultBytes: number
  registryTtlMs: number
  recoverIntervalMs: number
  maxLostRetries: number
  backoff: Backoff
  development: boolean
  decorator: string
  storeDecorator: string
}

/** The default `decorator`: `fastify.workerProtocol`. */
export const DEFAULT_DECORATOR = 'workerProtocol'

export const DEFAULT_NAMESPACE = 'default'
export const DEFAULT_MAX_WAIT_MS = 30_000
export const DEFAULT_LEASE_MS = 30_000
export const DEFAULT_MAX_RESULT_BYTES = 16 * 1024 * 1024
export const DEFAULT_REGISTRY_TTL_MS = 60_000
export const DEFAULT_RECOVER_INTERVAL_MS = 5_000
export const DEFAULT_MAX_LOST_RETRIES = 2
/** The most jobs one claim returns. */
export const MAX_CLAIM = 32

const isCodec = (value: unknown): value is Codec => {
  if (typeof value !== 'object' || value === null) return false
  const c = value as Record<string, unknown>
  return typeof c.encode === 'function' && typeof c.decode === 'function' && typeof c.canonical === 'function'
}

const Schema = Type.Object(
  {
    namespace: Type.Optional(NamespaceOptionSchema),
    prefix: Type.Optional(Type.String({ pattern: "^(?:/[A-Za-z0-9._~!$&'()*+,;=:@%-]+)*$", maxLength: 256 })),
    codec: Type.Optional(
      InstanceSchema<Codec>((value) => (isCodec(value) ? undefined : 'must be a core Codec'), 'a core Codec'),
    ),
    leaseSecret: Type.Optional(Type.String({ minLength: 16, maxLength: 1024 })),
    maxWaitMs: Type.Optional(DurationSchema({ min: 0, max: 300_000 })),
    leaseMs: Type.Optional(DurationSchema({ min: 1000, max: 3_600_000 })),
    maxResultBytes: Type.Optional(Type.Integer({ minimum: 1024, maximum: 1024 * 1024 * 1024 })),
    registryTtlMs: Type.Optional(DurationSchema({ min: 1000, max: 86_400_000 })),
    recoverIntervalMs: Type.Optional(DurationSchema({ min: 0, max: 3_600_000 })),
    maxLostRetries: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
    backoff: Type.Optional(
      Type.Object(
        {
          type: Type.Optional(Type.Union([Type.Literal('exponential'), Type.Literal('fixed')])),
          delayMs: Type.Optional(DurationSchema({ min: 0, max: 86_400_000 })),
          maxDelayMs: Type.Optional(DurationSchema({ min: 0, max: 86_400_000 })),
          jitter: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
        },
        { additionalProperties: false },
      ),
    ),
    development: Type.Optional(Type.Boolean()),
    decorator: Type.Optional(decoratorName(DEFAULT_DECORATOR)),
    storeDecorator: Type.Optional(decoratorName(STORE_DECORATOR)),
  },
  { additionalProperties: false },
)

const Parser = defineOptions(Schema, { package: PLUGIN_NAME, optional: true })

/** Checks every option at `register()` and applies the defaults. */
export function resolveOptions(options: unknown): ResolvedWorkerPluginOptions {
  const o = Parser.parse(options ?? undefined) as Record<string, unknown>
  const given = (options ?? {}) as Record<string, unknown>
  return {
    namespace: (o.namespace as string | undefined) ?? DEFAULT_NAMESPACE,
    prefix: (o.prefix as string | undefined) ?? '',
    codec: (given.codec as Codec | undefined) ?? defaultCodec,
    leaseSecret: o.leaseSecret as string | undefined,
    maxWaitMs: (o.maxWaitMs as number | undefined) ?? DEFAULT_MAX_WAIT_MS,
    leaseMs: (o.leaseMs as number | undefined) ?? DEFAULT_LEASE_MS,
    maxResultBytes: (o.maxResultBytes as number | undefined) ?? DEFAULT_MAX_RESULT_BYTES,
    registryTtlMs: (o.registryTtlMs as number | undefined) ?? DEFAULT_REGISTRY_TTL_MS,
    recoverIntervalMs: (o.recoverIntervalMs as number | undefined) ?? DEFAULT_RECOVER_INTERVAL_MS,
    maxLostRetries: (o.maxLostRetries as number | undefined) ?? DEFAULT_MAX_LOST_RETRIES,
    backoff: { ...defaultBackoff, ...(o.backoff as Partial<Backoff> | undefined) },
    development: (o.development as boolean | undefined) ?? false,
    decorator: (o.decorator as string | undefined) ?? DEFAULT_DECORATOR,
    storeDecorator: (o.storeDecorator as string | undefined) ?? STORE_DECORATOR,
  }
}
