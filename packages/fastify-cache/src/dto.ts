import type { CacheEntry, CacheEntryMeta } from '@comp-manager/core'
import type { CacheEntryDto, CacheEntryWithValueDto } from './schemas.js'

const iso = (ms: number): string => new Date(ms).toISOString()
const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms))

/**
 * An entry's metadata as the REST API returns it (`CacheEntryDtoSchema`): timestamps as ISO 8601
 * strings (`null` when unset), `args` as stored (codec-encoded JSON, or `null`).
 */
export function toDto(meta: CacheEntryMeta): CacheEntryDto {
  return {
    key: meta.key,
    namespace: meta.namespace,
    function: meta.function,
    functionFull: meta.functionFull,
    version: meta.version,
    algorithm: meta.algorithm,
    args: meta.args,
    size: meta.size,
    tags: meta.tags,
    createdAt: iso(meta.createdAt),
    expiresAt: isoOrNull(meta.expiresAt),
    hits: meta.hits,
    lastHitAt: isoOrNull(meta.lastHitAt),
    schemaVersion: meta.schemaVersion,
  }
}

/**
 * An entry with its value (`CacheEntryWithValueDtoSchema`): the metadata plus `value`, the JSON tree
 * of the codec text the cache stored. It is never decoded here, so a value of a type this server does
 * not know is served all the same; clients decode it with `decode` from `@comp-manager/core/codec`.
 */
export function toDtoWithValue(entry: CacheEntry): CacheEntryWithValueDto {
  return { ...toDto(entry), value: JSON.parse(entry.value) as unknown }
}
