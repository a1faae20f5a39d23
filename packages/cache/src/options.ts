import { type Clock, type Codec, cmError, defaultCodec, type Store, systemClock } from '@comp-manager/core'
import {
  CallbackSchema,
  DurationSchema,
  defineOptions,
  describeValue,
  hasShape,
  InstanceSchema,
  MAX_DURATION_MS,
  NameSchema,
  NamespaceOptionSchema,
} from '@comp-manager/core/options'
import { type TSchemaOptions, Type } from 'typebox'
import { Value } from 'typebox/value'
import { DEFAULT_REDIS_CHANNEL_PREFIX, type RedisClientLike, type ResolvedRedis } from './redis.js'
import type { CacheLogger, CacheOptions } from './types.js'

/**
 * The options of the cache, one TypeBox schema per options object (`createCache`, `set`,
 * `invalidate`, `drain`; `wrap` and the decorator in `wrap-options.ts`), checked by core's
 * `defineOptions`: every failure is a `CM_ERR_INVALID_ARGUMENT` naming the package, the option and
 * what it must be. Durations (ms or `'1h'`) are decoded to milliseconds. Checks across options follow
 * each `parse`, through the parser's `fail`.
 */

export const PACKAGE = '@comp-manager/cache'

/** Longest custom key: the fill run's hash is `cache:` + key, and hashes hold 256 characters. */
export const MAX_CUSTOM_KEY_LENGTH = 250
/** Longest explicit key of `get`, `set`, `has`, `delete` (the store's limit). */
export const MAX_KEY_LENGTH = 256

export const DEFAULT_LEASE_MS = 30_000
export const DEFAULT_MAX_ARGS_BYTES = 16 * 1024
export const DEFAULT_L1_MAX = 1000
export const DEFAULT_L1_MAX_BYTES = 64 * 1024 * 1024
export const DEFAULT_L1_TTL_MS = 60_000
/** How often an L1 polls the store's event log for other processes' invalidations. */
export const DEFAULT_L1_SYNC_MS = 200

export const expected = (words: string) => ({ expected: words }) as TSchemaOptions

// ── schemas ─────────────────────────────────────────────────────────────────────────────────────

/** How long an entry lives: up to 100 years, fractions of a millisecond allowed. */
export const Lifetime = DurationSchema({ max: MAX_DURATION_MS, integer: false })
/** A timer (leases, heartbeats, polling, timeouts): up to 2^31 - 1 ms. */
export const Delay = DurationSchema({ integer: false })
export const Ttl = Type.Union([Lifetime, Type.Null()])
export const Name = NameSchema(512)
const Tag = Type.String({ minLength: 1, maxLength: 256 })
export const TAGS_EXPECTED = 'a list of at most 256 non-empty strings of at most 256 characters'
export const TagsSchema = Type.Array(Tag, { maxItems: 256, ...expected(TAGS_EXPECTED) })
export const Version = Type.Union(
  [Type.String({ maxLength: 256 }), Type.Number()],
  expected('a string of at most 256 characters or a finite number'),
)

const storeParts = {
  cache: ['get', 'set', 'delete', 'invalidate', 'stats', 'purgeExpired'],
  computations: ['claim', 'get', 'update', 'heartbeat', 'expire'],
} as const

function storeProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null)
    return `must be a comp-manager Store such as SqliteStore (got ${describeValue(value)})`
  for (const [part, methods] of Object.entries(storeParts)) {
    const half = (value as Record<string, unknown>)[part] as Record<string, unknown> | null | undefined
    for (const method of methods) {
      if (typeof half !== 'object' || half === null || typeof half[method] !== 'function')
        return `must implement the Store ports: \`${part}.${method}\` is missing`
    }
  }
  return undefined
}

const codecProblem = (value: unknown) =>
  hasShape(value, { methods: ['stringify', 'parse', 'encode', 'canonical'] })
    ? undefined
    : `must be a Codec from @comp-manager/core (got ${describeValue(value)})`

const loggerProblem = (value: unknown) =>
  value === null || hasShape(value, { methods: ['warn', 'error'] })
    ? undefined
    : `must have warn() and error() methods (got ${describeValue(value)})`

/** How often a cache writes its counters for the fleet's totals (`statsFlushMs`). */
export const DEFAULT_STATS_FLUSH_MS = 5000

const CacheOptionsParser = defineOptions(
  Type.Object(
    {
      store: InstanceSchema<Store>(storeProblem, 'a comp-manager Store'),
      namespace: NamespaceOptionSchema,
      // An object is checked by `L1Parser` below, so that its errors name `l1.max`, `l1.ttl`…
      l1: Type.Optional(
        Type.Union([Type.Boolean(), Type.Object({})], expected('true, false or { max, maxBytes, ttl }')),
      ),
      ttl: Type.Optional(Ttl),
      codec: Type.Optional(InstanceSchema<Codec>(codecProblem, 'a Codec')),
      leaseMs: Type.Optional(Delay),
      heartbeatMs: Type.Optional(Delay),
      clock: Type.Optional(CallbackSchema('a function returning epoch milliseconds')),
      logger: Type.Optional(InstanceSchema<CacheLogger | null>(loggerProblem, 'a logger')),
      purgeIntervalMs: Type.Optional(Delay),
      singleFlight: Type.Optional(
        Type.Union([Type.Literal('store'), Type.Literal('process')], expected("'store' or 'process'")),
      ),
      owner: Type.Optional(Type.Union([Type.String({ maxLength: 256 }), Type.Null()])),
      maxArgsBytes: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })),
      pollMs: Type.Optional(Delay),
      maxPollMs: Type.Optional(Delay),
      statsFlushMs: Type.Optional(DurationSchema({ min: 0, max: 3_600_000 })),
      // Checked by `RedisParser` below, so that its errors name `redis.url`…
      redis: Type.Optional(Type.Object({}, expected('{ url } or { client }, and an optional channelPrefix'))),
    },
    { additionalProperties: false },
  ),
  { package: PACKAGE, what: 'createCache' },
)

const redisClientProblem = (value: unknown) =>
  hasShape(value, { methods: ['publish', 'subscribe', 'duplicate', 'on', 'off', 'quit', 'disconnect'] })
    ? undefined
    : `must be an ioredis client (got ${describeValue(value)})`

const RedisParser = defineOptions(
  Type.Object({
    redis: Type.Object(
      {
        url: Type.Optional(
          Type.String({
            maxLength: 4096,
            pattern: '^rediss?://\\S+$',
            ...expected('a redis:// or rediss:// url'),
          }),
        ),
        client: Type.Optional(InstanceSchema<RedisClientLike>(redisClientProblem, 'an ioredis client')),
        channelPrefix: Type.Optional(
          Type.String({
            minLength: 1,
            maxLength: 256,
            pattern: '^\\S+$',
            ...expected('1-256 characters, no space'),
          }),
        ),
      },
      { additionalProperties: false },
    ),
  }),
  { package: PACKAGE, what: 'createCache' },
)

function resolveRedis(value: object | undefined): ResolvedRedis | null {
  if (value === undefined) return null
  const given = RedisParser.parse({ redis: value }).redis
  if ((given.url === undefined) === (given.client === undefined))
    RedisParser.fail('redis', 'needs either `url` or `client` (one of them)')
  return {
    url: given.url ?? null,
    client: given.client ?? null,
    channelPrefix: given.channelPrefix ?? DEFAULT_REDIS_CHANNEL_PREFIX,
  }
}

const L1Parser = defineOptions(
  Type.Object({
    l1: Type.Object(
      {
        max: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000_000 })),
        maxBytes: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })),
        ttl: Type.Optional(Ttl),
        syncMs: Type.Optional(Type.Union([DurationSchema({ min: 10, max: 60_000 }), Type.Literal(false)])),
      },
      { additionalProperties: false },
    ),
  }),
  { package: PACKAGE, what: 'createCache' },
)

const SetOptionsParser = defineOptions(
  Type.Object(
    {
      ttl: Type.Optional(Ttl),
      tags: Type.Optional(TagsSchema),
      function: Type.Optional(Name),
      /** Deprecated alias of `function`. */
      fn: Type.Optional(Name),
      functionFull: Type.Optional(Name),
      version: Type.Optional(Version),
    },
    { additionalProperties: false },
  ),
  { package: PACKAGE, what: 'set()', optional: true },
)

const InvalidateParser = defineOptions(
  Type.Object(
    {
      function: Type.Optional(Name),
      /** Deprecated alias of `function`. */
      fn: Type.Optional(Name),
      tag: Type.Optional(Tag),
      version: Type.Optional(Type.Union([Version, Type.Null()])),
      all: Type.Optional(Type.Boolean()),
    },
    { additionalProperties: false },
  ),
  { package: PACKAGE, what: 'invalidate()' },
)

const DrainOptionsParser = defineOptions(
  Type.Object({ timeoutMs: Type.Optional(DurationSchema({ min: 0 })) }, { additionalProperties: false }),
  { package: PACKAGE, what: 'drain()', optional: true },
)

// ── createCache ─────────────────────────────────────────────────────────────────────────────────

export interface ResolvedL1 {
  max: number
  maxBytes: number
  ttlMs: number | null
  /** `null`: no event-log sync. */
  syncMs: number | null
}

export interface ResolvedCacheOptions {
  store: Store
  namespace: string
  l1: ResolvedL1 | null
  ttlMs: number | null
  codec: Codec
  leaseMs: number
  heartbeatMs: number
  clock: Clock
  logger: CacheLogger | null
  purgeIntervalMs: number | null
  singleFlight: 'store' | 'process'
  owner: string | null
  maxArgsBytes: number
  pollMs: number
  maxPollMs: number
  statsFlushMs: number
  /** `null`: no Redis accelerator. */
  redis: ResolvedRedis | null
}

function resolveL1(value: boolean | object | undefined): ResolvedL1 | null {
  if (value === undefined || value === false) return null
  const given = value === true ? {} : L1Parser.parse({ l1: value }).l1
  return {
    max: given.max ?? DEFAULT_L1_MAX,
    maxBytes: given.maxBytes ?? DEFAULT_L1_MAX_BYTES,
    ttlMs: given.ttl === undefined ? DEFAULT_L1_TTL_MS : given.ttl,
    syncMs: given.syncMs === false ? null : (given.syncMs ?? DEFAULT_L1_SYNC_MS),
  }
}

/** Checks `createCache` options (each error names the option) and fills in the defaults. */
export function resolveCacheOptions(options: CacheOptions): ResolvedCacheOptions {
  const o = CacheOptionsParser.parse(options)
  const leaseMs = o.leaseMs ?? DEFAULT_LEASE_MS
  const heartbeatMs = o.heartbeatMs ?? Math.max(1, Math.floor(leaseMs / 3))
  if (heartbeatMs >= leaseMs)
    CacheOptionsParser.fail('heartbeatMs', `must be shorter than leaseMs (${leaseMs} ms)`)
  const pollMs = o.pollMs ?? 20
  const maxPollMs = o.maxPollMs ?? Math.max(pollMs, 250)
  if (maxPollMs < pollMs) CacheOptionsParser.fail('maxPollMs', `must be at least pollMs (${pollMs} ms)`)
  return {
    store: o.store,
    namespace: o.namespace,
    l1: resolveL1(options.l1),
    ttlMs: o.ttl ?? null,
    codec: o.codec ?? defaultCodec,
    leaseMs,
    heartbeatMs,
    clock: (o.clock as Clock | undefined) ?? systemClock,
    logger: o.logger ?? null,
    purgeIntervalMs: o.purgeIntervalMs ?? null,
    singleFlight: o.singleFlight ?? 'store',
    owner: o.owner ?? null,
    maxArgsBytes: o.maxArgsBytes ?? DEFAULT_MAX_ARGS_BYTES,
    pollMs,
    maxPollMs,
    statsFlushMs: (o.statsFlushMs as number | undefined) ?? DEFAULT_STATS_FLUSH_MS,
    redis: resolveRedis(options.redis),
  }
}

// ── set, invalidate, drain ──────────────────────────────────────────────────────────────────────

/** `function`, or its deprecated alias `fn`; both given must agree. */
function functionOf(
  given: { function?: string | undefined; fn?: string | undefined },
  fail: (path: string, problem: string) => never,
): string | undefined {
  if (given.function !== undefined && given.fn !== undefined && given.function !== given.fn)
    fail('fn', 'is the deprecated name of `function`: give one of them, not both with different values')
  return given.function ?? given.fn
}

export interface ResolvedSet {
  function: string
  functionFull: string
  tags: readonly string[]
  version: string | null
  ttlMs: number | null
}

/** Checks `set()` options. */
export function resolveSetOptions(options: unknown, defaultTtlMs: number | null): ResolvedSet {
  const o = SetOptionsParser.parse(options)
  const fn = functionOf(o, SetOptionsParser.fail) ?? 'cache.set'
  return {
    function: fn,
    functionFull: o.functionFull ?? fn,
    tags: o.tags ?? [],
    version: o.version === undefined ? null : String(o.version),
    ttlMs: o.ttl === undefined ? defaultTtlMs : o.ttl,
  }
}

/** The criteria of `invalidate()`, as the store takes them. */
export interface ResolvedCriteria {
  function?: string
  tag?: string
  version?: string | null
  all?: boolean
}

/** Checks `invalidate()` criteria (that some are given is the store's rule). */
export function resolveInvalidateCriteria(criteria: unknown): ResolvedCriteria {
  const c = InvalidateParser.parse(criteria)
  const fn = functionOf(c, InvalidateParser.fail)
  return {
    ...(fn === undefined ? {} : { function: fn }),
    ...(c.tag === undefined ? {} : { tag: c.tag }),
    ...(c.version === undefined ? {} : { version: c.version === null ? null : String(c.version) }),
    ...(c.all === undefined ? {} : { all: c.all }),
  }
}

/** Checks `drain()` options: the timeout in ms. */
export function resolveDrainOptions(options: unknown): number {
  return DrainOptionsParser.parse(options).timeoutMs ?? 0
}

// ── arguments ───────────────────────────────────────────────────────────────────────────────────

/** Throws the `CM_ERR_INVALID_ARGUMENT` of a bad argument, in the options' format. */
export function invalidArgument(what: string, argument: string, problem: string): never {
  throw cmError('CM_ERR_INVALID_ARGUMENT', `${PACKAGE} ${what}: \`${argument}\` ${problem}`, {
    details: { option: argument, package: PACKAGE },
  })
}

/** A function name argument (`wrap(name, …)`, `explain(name, …)`). */
export function assertName(what: string, value: unknown): asserts value is string {
  if (!Value.Check(Name, value))
    invalidArgument(
      what,
      'name',
      `must be a non-empty string of at most 512 characters (got ${describeValue(value)})`,
    )
}

/** A namespace argument (`announce`). */
export function assertNamespaceArg(what: string, namespace: unknown): asserts namespace is string {
  if (!Value.Check(NamespaceOptionSchema, namespace))
    invalidArgument(
      what,
      'namespace',
      `must be 1-128 characters of letters, digits, '.', '_', ':', '-' (got ${describeValue(namespace)})`,
    )
}

/** An explicit key (`get`, `set`, `has`, `delete`). */
export function assertKey(what: string, key: unknown): asserts key is string {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH)
    invalidArgument(
      what,
      'key',
      `must be a non-empty string of at most ${MAX_KEY_LENGTH} characters (got ${describeValue(key)})`,
    )
}
