import { cmError, describeType, hashKey } from '@comp-manager/core'
import type { CacheContext } from './context.js'
import { readEntry } from './entries.js'
import { fill } from './fill.js'
import { MAX_CUSTOM_KEY_LENGTH } from './options.js'
import type { AnyFunction } from './types.js'
import type { WrapSpec } from './wrap-options.js'

/**
 * The call path of a wrapped function, in this process: L1, then the store, then the key's single
 * flight (joined, or started through `fill`), with stale-while-revalidate in between.
 */

/** One call of a wrapped function, keyed: what the call path threads from `callCached` to the fill. */
export interface Call {
  readonly spec: WrapSpec<unknown[], unknown>
  readonly fn: AnyFunction
  readonly self: unknown
  readonly args: unknown[]
  readonly key: string
  readonly algorithm: string
}

type Freshness = 'fresh' | 'stale' | 'expired'

/** Fresh until `ttl`; then stale for `staleWhileRevalidate` (if set); then expired. */
export function freshness(spec: WrapSpec<unknown[], unknown>, createdAt: number, now: number): Freshness {
  if (spec.ttlMs === null) return 'fresh'
  const age = now - createdAt
  if (age < spec.ttlMs) return 'fresh'
  return spec.swrMs > 0 && age < spec.ttlMs + spec.swrMs ? 'stale' : 'expired'
}

export const closedError = () => cmError('CM_ERR_STORE_UNAVAILABLE', 'the cache is closed')

/**
 * A call: L1 synchronously (a hit costs no extra async frame), then the store, then the fill.
 * Always returns a promise; a synchronous failure (closed, key) is a rejection.
 */
export function callCached(
  ctx: CacheContext,
  spec: WrapSpec<unknown[], unknown>,
  fn: AnyFunction,
  self: unknown,
  args: unknown[],
): Promise<unknown> {
  let call: Call
  try {
    if (ctx.closed) throw closedError()
    const { key, algorithm } = keyOf(ctx, spec, self, args)
    call = { spec, fn, self, args, key, algorithm }
    const l1 = ctx.l1
    if (l1 !== null) {
      const now = ctx.o.clock()
      const held = l1.get(key, now)
      if (held !== undefined && held.version === spec.versionText) {
        const state = freshness(spec, held.createdAt, now)
        if (state === 'fresh') {
          ctx.hit(key, spec.name, 'l1')
          return Promise.resolve(held.value)
        }
        if (state === 'stale') {
          return Promise.resolve(serveStale(ctx, call, held.value, held.createdAt, now))
        }
      }
    }
  } catch (err) {
    return Promise.reject(err)
  }
  return lookup(ctx, call)
}

/** Past L1: the store, then the fill. */
async function lookup(ctx: CacheContext, call: Call): Promise<unknown> {
  const { spec, key } = call
  const found = await readEntry(ctx, key, spec.name, true, false)
  if (found !== null && found.entry.version === spec.versionText) {
    const now = ctx.o.clock()
    const state = freshness(spec, found.entry.createdAt, now)
    if (state !== 'expired') {
      ctx.remember(found.entry, found.value)
      if (state === 'fresh') {
        ctx.hit(key, spec.name, 'store')
        return found.value
      }
      return serveStale(ctx, call, found.value, found.entry.createdAt, now)
    }
  }
  ctx.miss(key, spec.name)
  return flight(ctx, call, false)
}

/** The key of a call: `hashKey({ fn: functionFull, version, args })`, or the custom `key`. */
export function keyOf(
  ctx: CacheContext,
  spec: WrapSpec<unknown[], unknown>,
  self: unknown,
  args: unknown[],
): { key: string; algorithm: string } {
  if (spec.key === undefined) {
    const h = hashKey(
      { fn: spec.functionFull, version: spec.version, args: spec.ignoreArgs ? [] : args },
      { codec: ctx.o.codec },
    )
    return { key: h.key, algorithm: h.algorithm }
  }
  let key: unknown
  try {
    key = spec.key.apply(self, args)
  } catch (err) {
    throw cmError(
      'CM_ERR_INVALID_ARGUMENT',
      `cache "${spec.name}": the \`key\` function threw: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err, details: { option: 'key', name: spec.name } },
    )
  }
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_CUSTOM_KEY_LENGTH) {
    throw cmError(
      'CM_ERR_INVALID_ARGUMENT',
      `cache "${spec.name}": the \`key\` function must return a non-empty string of at most ${MAX_CUSTOM_KEY_LENGTH} characters (got ${describeType(key)}${typeof key === 'string' ? ` of ${key.length}` : ''})`,
      { details: { option: 'key', name: spec.name } },
    )
  }
  return { key, algorithm: 'custom' }
}

/**
 * A stale value (SWR) was found: serve it and refresh in the background — unless a refresh is
 * already running here, in which case this caller waits for it (stale is served once per refresh).
 */
function serveStale(
  ctx: CacheContext,
  call: Call,
  value: unknown,
  createdAt: number,
  now: number,
): Promise<unknown> | unknown {
  const { spec, key } = call
  if (ctx.inflight.has(key)) {
    ctx.miss(key, spec.name)
    return flight(ctx, call, false)
  }
  ctx.counters.staleHits++
  ctx.stats.add(spec.name, 'staleHits')
  if (ctx.events.has('stale')) {
    ctx.events.emit('stale', { key, name: spec.name, staleForMs: now - (createdAt + (spec.ttlMs ?? 0)) })
  }
  const refresh = flight(ctx, call, true)
  ctx.background.add(refresh)
  refresh
    .catch((err) => ctx.error('refresh', err, { key, name: spec.name }))
    .finally(() => ctx.background.delete(refresh))
  return value
}

/** Joins the fill of `key` running in this process, or starts it. */
async function flight(ctx: CacheContext, call: Call, refresh: boolean): Promise<unknown> {
  const { key } = call
  const running = ctx.inflight.get(key)
  if (running !== undefined) {
    const { value } = await running
    ctx.counters.dedupes++
    return value
  }
  const filling = fill(ctx, call, refresh)
  ctx.inflight.set(key, filling)
  const done = () => {
    if (ctx.inflight.get(key) === filling) ctx.inflight.delete(key)
  }
  filling.then(done, done)
  const { value, source } = await filling
  if (source !== 'computed' && !refresh) ctx.counters.dedupes++
  return value
}
