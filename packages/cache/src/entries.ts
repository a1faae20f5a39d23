import {
  type CacheEntry,
  type CacheEntryMeta,
  type Computation,
  type FillFinished,
  isCompManagerError,
  type NewCacheEntry,
  type ResultRef,
} from '@comp-manager/core'
import { describeValue } from '@comp-manager/core/options'
import { Value } from 'typebox/value'
import type { Call } from './call.js'
import type { CacheContext } from './context.js'
import { TAGS_EXPECTED, TagsSchema } from './options.js'

/** Reading and writing the entries of wrapped calls: decode, encode, tags, `shouldCache`, sizes. */

export interface Found {
  entry: CacheEntry
  value: unknown
}

const why = (err: unknown) => (err instanceof Error ? err.message : String(err))

/** Reads and decodes an entry. A value that cannot be decoded is a warning and a miss (unless `strict`). */
export async function readEntry(
  ctx: CacheContext,
  key: string,
  name: string | undefined,
  touch: boolean,
  strict: boolean,
): Promise<Found | null> {
  const entry = await ctx.o.store.cache.get(ctx.o.namespace, key, touch ? undefined : { touch: false })
  if (entry === null) return null
  try {
    return { entry, value: ctx.o.codec.parse(entry.value, { stored: true }) }
  } catch (err) {
    if (strict) throw err
    const message = `cache entry ${key} cannot be decoded here (${why(err)}); recomputing`
    ctx.warn('decode', message, key, name ?? '', err)
    return null
  }
}

/** A computed value ready to store: its tags and codec text. */
export interface Prepared {
  tags: readonly string[]
  text: string
}

/**
 * How a fill writes its value, for `executeRun`: `storeResult` (the entry; the run is then finished
 * by a second write) and, when the store can do both at once (`cache.setAndFinish`), `finishRun`,
 * which stores the entry and finishes the run in one atomic step. The value is prepared once
 * (`shouldCache`, tags, encoding) whichever of them runs.
 */
export function fillWriters(
  ctx: CacheContext,
  call: Call,
  recordedArgs: unknown,
): {
  storeResult: (value: unknown) => Promise<ResultRef | null>
  finishRun?: (value: unknown, record: Computation) => Promise<Computation | null>
} {
  let prepared: Prepared | null | undefined
  const prepare = (value: unknown) => {
    if (prepared === undefined) prepared = prepareEntry(ctx, call, value)
    return prepared
  }
  const storeResult = async (value: unknown): Promise<ResultRef | null> => {
    const ready = prepare(value)
    return ready === null ? null : storeValue(ctx, call, value, recordedArgs, ready)
  }
  const cache = ctx.o.store.cache
  if (cache.setAndFinish === undefined) return { storeResult }
  const finishRun = async (value: unknown, record: Computation): Promise<Computation | null> => {
    const ready = prepare(value)
    if (ready === null) return null
    let done: FillFinished | null
    try {
      done = await cache.setAndFinish!(newEntry(ctx, call, ready, recordedArgs), record.id)
    } catch (err) {
      reportSetError(ctx, call, err)
      prepared = null // not stored: the run is finished the ordinary way, without a result
      return null
    }
    if (done === null) return null // no longer `started`: the ordinary way reconciles it
    stored(ctx, call, done.meta, value)
    return done.record
  }
  return { storeResult, finishRun }
}

function newEntry(ctx: CacheContext, call: Call, ready: Prepared, recordedArgs: unknown): NewCacheEntry {
  const { spec, key, algorithm } = call
  return {
    namespace: ctx.o.namespace,
    key,
    function: spec.name,
    functionFull: spec.functionFull,
    version: spec.versionText,
    algorithm,
    ...(spec.storeArgs && recordedArgs !== null ? { args: recordedArgs } : {}),
    value: ready.text,
    tags: ready.tags,
    ttlMs: spec.ttlMs === null ? null : spec.ttlMs + spec.swrMs,
  }
}

function reportSetError(ctx: CacheContext, call: Call, err: unknown): void {
  const { key } = call
  const name = call.spec.name
  if (isCompManagerError(err, 'CM_ERR_VALUE_TOO_LARGE')) {
    ctx.warn('too-large', `cache "${name}": ${err.message}; it is not stored`, key, name, err)
  } else {
    ctx.error('set', err, { key, name })
  }
}

/** After a write: the value in L1 and the `set` event. */
function stored(ctx: CacheContext, call: Call, meta: CacheEntryMeta, value: unknown): void {
  ctx.remember(meta, value)
  if (ctx.events.has('set')) {
    const { key } = call
    ctx.events.emit('set', { key, name: call.spec.name, size: meta.size, expiresAt: meta.expiresAt })
  }
}

/** Writes a prepared entry; `null` (and a warning) when it is not stored. */
async function storeValue(
  ctx: CacheContext,
  call: Call,
  value: unknown,
  recordedArgs: unknown,
  ready: Prepared,
): Promise<ResultRef | null> {
  let meta: CacheEntryMeta
  try {
    meta = await ctx.o.store.cache.set(newEntry(ctx, call, ready, recordedArgs))
  } catch (err) {
    reportSetError(ctx, call, err)
    return null
  }
  stored(ctx, call, meta, value)
  return { cacheKey: call.key, size: meta.size }
}

/** Whether a computed value is stored, with which tags and codec text; `null` (and a warning) when not. */
function prepareEntry(ctx: CacheContext, call: Call, value: unknown): Prepared | null {
  const { spec, key, args } = call
  const name = spec.name
  try {
    if (!spec.shouldCache(value)) {
      ctx.warn(
        'not-cacheable',
        `cache "${name}": shouldCache rejected the result; it is not stored`,
        key,
        name,
      )
      return null
    }
  } catch (err) {
    ctx.warn('not-cacheable', `cache "${name}": shouldCache threw; the result is not stored`, key, name, err)
    return null
  }
  let tags: readonly string[]
  try {
    tags = typeof spec.tags === 'function' ? spec.tags(args, value) : spec.tags
  } catch (err) {
    ctx.warn('tags', `cache "${name}": tags failed (${why(err)}); the result is not stored`, key, name, err)
    return null
  }
  if (!Value.Check(TagsSchema, tags)) {
    const problem = `returned ${describeValue(tags)}, not ${TAGS_EXPECTED}`
    ctx.warn('tags', `cache "${name}": tags failed (${problem}); the result is not stored`, key, name)
    return null
  }
  try {
    return { tags, text: ctx.o.codec.stringify(value) }
  } catch (err) {
    const message = `cache "${name}": the result cannot be encoded (${why(err)}); it is not stored`
    ctx.warn('encode', message, key, name, err)
    return null
  }
}

/** Nesting the recorded arguments may reach (the stores accept 64 levels of JSON). */
const MAX_RECORDED_DEPTH = 48

function shallowerThan(node: unknown, limit: number): boolean {
  if (typeof node !== 'object' || node === null) return true
  if (limit <= 0) return false
  if (Array.isArray(node)) return node.every((item) => shallowerThan(item, limit - 1))
  for (const key in node) if (!shallowerThan((node as Record<string, unknown>)[key], limit - 1)) return false
  return true
}

/** Encoded arguments for the run record (and `storeArgs`), or `null` when too big or too deep. */
export function recordedArgs(ctx: CacheContext, args: unknown[]): unknown {
  const max = ctx.o.maxArgsBytes
  if (max === 0) return null
  try {
    const tree = ctx.o.codec.encode(args)
    if (!shallowerThan(tree, MAX_RECORDED_DEPTH)) return null
    const text = JSON.stringify(tree)
    return text.length <= max && Buffer.byteLength(text) <= max ? tree : null
  } catch {
    return null
  }
}
