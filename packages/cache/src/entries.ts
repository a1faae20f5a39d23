import { type CacheEntry, type CacheEntryMeta, isCompManagerError, type ResultRef } from '@comp-manager/core'
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

/** `storeResult` of a fill: encode and write the entry; `null` (and a warning) when not stored. */
export async function storeValue(
  ctx: CacheContext,
  call: Call,
  value: unknown,
  recordedArgs: unknown,
): Promise<ResultRef | null> {
  const prepared = prepareEntry(ctx, call, value)
  if (prepared === null) return null
  const { spec, key, algorithm } = call
  const name = spec.name
  let meta: CacheEntryMeta
  try {
    meta = await ctx.o.store.cache.set({
      namespace: ctx.o.namespace,
      key,
      function: name,
      functionFull: spec.functionFull,
      version: spec.versionText,
      algorithm,
      ...(spec.storeArgs && recordedArgs !== null ? { args: recordedArgs } : {}),
      value: prepared.text,
      tags: prepared.tags,
      ttlMs: spec.ttlMs === null ? null : spec.ttlMs + spec.swrMs,
    })
  } catch (err) {
    if (isCompManagerError(err, 'CM_ERR_VALUE_TOO_LARGE')) {
      ctx.warn('too-large', `cache "${name}": ${err.message}; it is not stored`, key, name, err)
    } else {
      ctx.error('set', err, { key, name })
    }
    return null
  }
  ctx.remember(meta, value)
  if (ctx.events.has('set')) {
    ctx.events.emit('set', { key, name, size: meta.size, expiresAt: meta.expiresAt })
  }
  return { cacheKey: key, size: meta.size }
}

/** Whether a computed value is stored, with which tags and codec text; `null` (and a warning) when not. */
function prepareEntry(
  ctx: CacheContext,
  call: Call,
  value: unknown,
): { tags: readonly string[]; text: string } | null {
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
