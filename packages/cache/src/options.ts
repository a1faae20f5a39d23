import {
  type Clock,
  type Codec,
  cmError,
  defaultCodec,
  describeType,
  type Store,
  systemClock,
} from '@comp-manager/core'
import { assertNamespace } from '@comp-manager/core/store-kit'
import { parseDuration } from './duration.js'
import type { CacheLogger, CacheOptions, WrapOptions } from './types.js'

/** Longest custom key: the fill run's hash is `cache:` + key, and hashes hold 256 characters. */
export const MAX_CUSTOM_KEY_LENGTH = 250
/** The store's limit on function names. */
const MAX_NAME_LENGTH = 512
const MAX_TIMER_MS = 2 ** 31 - 1

export const DEFAULT_LEASE_MS = 30_000
export const DEFAULT_MAX_ARGS_BYTES = 16 * 1024
export const DEFAULT_L1_MAX = 1000
export const DEFAULT_L1_MAX_BYTES = 64 * 1024 * 1024
export const DEFAULT_L1_TTL_MS = 60_000

export function invalid(option: string, message: string, details: Record<string, unknown> = {}): never {
  throw cmError('CM_ERR_INVALID_ARGUMENT', `cache: \`${option}\` ${message}`, {
    details: { option, ...details },
  })
}

function checkKnown(options: object, known: ReadonlySet<string>, what: string): void {
  for (const name of Object.keys(options)) {
    if (!known.has(name)) invalid(name, `is not ${what} option (expected one of ${[...known].join(', ')})`)
  }
}

function positiveInteger(
  value: unknown,
  option: string,
  fallback: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    invalid(option, `must be an integer from 1 to ${max} (got ${describeType(value)} ${String(value)})`)
  }
  return value
}

function positiveNumber(value: unknown, option: string, max = MAX_TIMER_MS): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > max) {
    invalid(
      option,
      `must be a number of milliseconds greater than 0 and at most ${max} (got ${String(value)})`,
    )
  }
  return value
}

/** `undefined` → fallback, `null` → no expiry, else a positive duration. */
export function ttlOf(value: unknown, option: string, fallback: number | null): number | null {
  if (value === undefined) return fallback
  if (value === null) return null
  return parseDuration(value, option)
}

export function assertName(value: unknown, option: string): asserts value is string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_NAME_LENGTH) {
    invalid(
      option,
      `must be a non-empty string of at most ${MAX_NAME_LENGTH} characters (got ${describeType(value)})`,
    )
  }
}

export function assertTags(value: unknown, option: string): asserts value is readonly string[] {
  if (!Array.isArray(value)) invalid(option, `must be an array of strings (got ${describeType(value)})`)
  if (value.length > 256) invalid(option, 'may hold at most 256 tags')
  for (const tag of value) {
    if (typeof tag !== 'string' || tag.length === 0 || tag.length > 256) {
      invalid(option, `must hold non-empty strings of at most 256 characters (got ${describeType(tag)})`)
    }
  }
}

export function versionOf(value: unknown, option: string): string | number | undefined {
  if (value === undefined) return undefined
  if (typeof value === 'number' && Number.isFinite(value)) return value
  if (typeof value === 'string' && value.length <= 256) return value
  return invalid(
    option,
    `must be a string (at most 256 characters) or a finite number (got ${describeType(value)})`,
  )
}

export interface ResolvedL1 {
  max: number
  maxBytes: number
  ttlMs: number | null
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
  owner: string | null
  maxArgsBytes: number
  pollMs: number
  maxPollMs: number
}

const cacheOptionNames: ReadonlySet<string> = new Set([
  'store',
  'namespace',
  'l1',
  'ttl',
  'codec',
  'leaseMs',
  'heartbeatMs',
  'clock',
  'logger',
  'purgeIntervalMs',
  'owner',
  'maxArgsBytes',
  'pollMs',
  'maxPollMs',
])

const storeMethods = {
  cache: ['get', 'set', 'delete', 'invalidate', 'stats', 'purgeExpired'],
  computations: ['claim', 'get', 'update', 'heartbeat', 'expire'],
} as const

function assertStore(store: unknown): asserts store is Store {
  if (typeof store !== 'object' || store === null) {
    invalid('store', `is required: a comp-manager Store such as SqliteStore (got ${describeType(store)})`)
  }
  for (const [part, methods] of Object.entries(storeMethods)) {
    const half = (store as Record<string, unknown>)[part]
    for (const method of methods) {
      if (
        typeof half !== 'object' ||
        half === null ||
        typeof (half as Record<string, unknown>)[method] !== 'function'
      ) {
        invalid('store', `must implement the Store ports: \`${part}.${method}\` is missing`)
      }
    }
  }
}

function resolveL1(value: unknown): ResolvedL1 | null {
  if (value === undefined || value === false) return null
  if (value === true) return { max: DEFAULT_L1_MAX, maxBytes: DEFAULT_L1_MAX_BYTES, ttlMs: DEFAULT_L1_TTL_MS }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    invalid('l1', `must be true, false or { max, maxBytes, ttl } (got ${describeType(value)})`)
  }
  const l1 = value as Record<string, unknown>
  for (const name of Object.keys(l1)) {
    if (name !== 'max' && name !== 'maxBytes' && name !== 'ttl')
      invalid(`l1.${name}`, 'is not an L1 option (max, maxBytes, ttl)')
  }
  return {
    max: positiveInteger(l1.max, 'l1.max', DEFAULT_L1_MAX, 100_000_000),
    maxBytes: positiveInteger(l1.maxBytes, 'l1.maxBytes', DEFAULT_L1_MAX_BYTES),
    ttlMs: ttlOf(l1.ttl, 'l1.ttl', DEFAULT_L1_TTL_MS),
  }
}

function resolveCodec(value: unknown): Codec {
  if (value === undefined) return defaultCodec
  const codec = value as Partial<Record<string, unknown>> | null
  const ok =
    typeof codec === 'object' &&
    codec !== null &&
    ['stringify', 'parse', 'encode', 'canonical'].every((m) => typeof codec[m] === 'function')
  if (!ok) invalid('codec', `must be a Codec from @comp-manager/core (got ${describeType(value)})`)
  return value as Codec
}

function resolveLogger(value: unknown): CacheLogger | null {
  if (value === undefined || value === null) return null
  const logger = value as Partial<Record<string, unknown>>
  if (typeof logger !== 'object' || typeof logger.warn !== 'function' || typeof logger.error !== 'function') {
    invalid('logger', `must have warn() and error() methods (got ${describeType(value)})`)
  }
  return value as CacheLogger
}

/** Validates `createCache` options (each error names the option) and fills in the defaults. */
export function resolveCacheOptions(options: CacheOptions): ResolvedCacheOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw cmError(
      'CM_ERR_INVALID_ARGUMENT',
      `createCache needs an options object, got ${describeType(options)}`,
    )
  }
  checkKnown(options, cacheOptionNames, 'a createCache')
  assertStore(options.store)
  try {
    assertNamespace(options.namespace)
  } catch (err) {
    invalid(
      'namespace',
      `must be 1-128 letters, digits, '.', '_', ':' or '-', starting with a letter or digit`,
      {
        cause: (err as Error).message,
      },
    )
  }
  const leaseMs =
    options.leaseMs === undefined ? DEFAULT_LEASE_MS : positiveNumber(options.leaseMs, 'leaseMs')
  const heartbeatMs =
    options.heartbeatMs === undefined
      ? Math.max(1, Math.floor(leaseMs / 3))
      : positiveNumber(options.heartbeatMs, 'heartbeatMs')
  if (heartbeatMs >= leaseMs) invalid('heartbeatMs', `must be shorter than leaseMs (${leaseMs} ms)`)
  if (options.clock !== undefined && typeof options.clock !== 'function') {
    invalid('clock', `must be a function returning epoch milliseconds (got ${describeType(options.clock)})`)
  }
  if (options.owner !== undefined && options.owner !== null) {
    if (typeof options.owner !== 'string' || options.owner.length > 256)
      invalid('owner', 'must be a string of at most 256 characters')
  }
  const pollMs = options.pollMs === undefined ? 20 : positiveNumber(options.pollMs, 'pollMs')
  const maxPollMs =
    options.maxPollMs === undefined ? Math.max(pollMs, 250) : positiveNumber(options.maxPollMs, 'maxPollMs')
  if (maxPollMs < pollMs) invalid('maxPollMs', `must be at least pollMs (${pollMs} ms)`)
  return {
    store: options.store,
    namespace: options.namespace,
    l1: resolveL1(options.l1),
    ttlMs: ttlOf(options.ttl, 'ttl', null),
    codec: resolveCodec(options.codec),
    leaseMs,
    heartbeatMs,
    clock: options.clock ?? systemClock,
    logger: resolveLogger(options.logger),
    purgeIntervalMs:
      options.purgeIntervalMs === undefined
        ? null
        : positiveNumber(options.purgeIntervalMs, 'purgeIntervalMs'),
    owner: options.owner ?? null,
    maxArgsBytes:
      options.maxArgsBytes === 0
        ? 0
        : positiveInteger(options.maxArgsBytes, 'maxArgsBytes', DEFAULT_MAX_ARGS_BYTES),
    pollMs,
    maxPollMs,
  }
}

/** A wrapped function's settings, resolved once at wrap time. */
export interface WrapSpec<A extends readonly unknown[], R> {
  /** The options as given (for `explain` overrides). */
  options: WrapOptions<A, R>
  name: string
  functionFull: string
  version: string | number | undefined
  /** How the version is recorded on entries (`String(version)`, or `null`). */
  versionText: string | null
  ttlMs: number | null
  /** 0 = off. */
  swrMs: number
  tags: readonly string[] | ((args: A, result: R) => readonly string[])
  key: ((...args: A) => string) | undefined
  ignoreArgs: boolean
  shouldCache: (result: R) => boolean
  timeoutMs: number | undefined
  storeArgs: boolean
}

const wrapOptionNames: ReadonlySet<string> = new Set([
  'functionFull',
  'ttl',
  'version',
  'tags',
  'key',
  'ignoreArgs',
  'staleWhileRevalidate',
  'shouldCache',
  'timeoutMs',
  'storeArgs',
])

const cacheDefined = (result: unknown): boolean => result !== undefined

/** Validates wrap options (each error names the option); `extra` lists other accepted names. */
export function resolveWrapOptions<A extends readonly unknown[], R>(
  name: string,
  options: WrapOptions<A, R> | undefined,
  defaultTtlMs: number | null,
  extra: readonly string[] = [],
): WrapSpec<A, R> {
  const opts = options ?? {}
  if (typeof opts !== 'object' || opts === null || Array.isArray(opts)) {
    throw cmError(
      'CM_ERR_INVALID_ARGUMENT',
      `cache.wrap options must be an object, got ${describeType(opts)}`,
    )
  }
  checkKnown(opts, extra.length === 0 ? wrapOptionNames : new Set([...wrapOptionNames, ...extra]), 'a wrap')
  const functionFull = opts.functionFull ?? name
  assertName(functionFull, 'functionFull')
  const version = versionOf(opts.version, 'version')
  const ttlMs = ttlOf(opts.ttl, 'ttl', defaultTtlMs)
  let swrMs = 0
  if (opts.staleWhileRevalidate !== undefined) {
    swrMs = parseDuration(opts.staleWhileRevalidate, 'staleWhileRevalidate')
    if (ttlMs === null)
      invalid('staleWhileRevalidate', 'needs a `ttl`: a value that never expires is never stale')
  }
  const tags = opts.tags ?? []
  if (typeof tags !== 'function') assertTags(tags, 'tags')
  if (opts.key !== undefined && typeof opts.key !== 'function') {
    invalid('key', `must be a function of the arguments returning a string (got ${describeType(opts.key)})`)
  }
  if (opts.ignoreArgs !== undefined && typeof opts.ignoreArgs !== 'boolean')
    invalid('ignoreArgs', 'must be a boolean')
  if (opts.key !== undefined && opts.ignoreArgs === true)
    invalid('ignoreArgs', 'cannot be combined with `key`')
  if (opts.shouldCache !== undefined && typeof opts.shouldCache !== 'function') {
    invalid(
      'shouldCache',
      `must be a function of the result returning a boolean (got ${describeType(opts.shouldCache)})`,
    )
  }
  if (opts.storeArgs !== undefined && typeof opts.storeArgs !== 'boolean')
    invalid('storeArgs', 'must be a boolean')
  return {
    options: opts,
    name,
    functionFull,
    version,
    versionText: version === undefined ? null : String(version),
    ttlMs,
    swrMs,
    tags,
    key: opts.key,
    ignoreArgs: opts.ignoreArgs === true,
    shouldCache: opts.shouldCache ?? cacheDefined,
    timeoutMs: opts.timeoutMs === undefined ? undefined : positiveNumber(opts.timeoutMs, 'timeoutMs'),
    storeArgs: opts.storeArgs === true,
  }
}
