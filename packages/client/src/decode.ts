import { defaultCodec } from '@comp-manager/core/codec'

/**
 * What `decode: true` needs: a `Codec` from `@comp-manager/core/codec` fits (pass one with
 * `@comp-manager/codec-math` registered to get mathjs values back). Structural, so a codec from
 * another copy of core works too.
 */
export interface ValueDecoder {
  /** Decodes a JSON tree with `__type__` tags. */
  decode(tree: unknown): unknown
}

export const defaultDecoder: ValueDecoder = defaultCodec

/** Fields of a computation that hold codec-encoded values. */
const computationFields = ['args', 'checkpoint'] as const
/** Fields of a cache entry that hold codec-encoded values. */
const cacheFields = ['args', 'value'] as const

function decodeField(codec: ValueDecoder, value: unknown): unknown {
  // `null` means "not set" for these fields (a stored null value is `null` encoded: the same tree).
  if (value === null || value === undefined) return value
  return codec.decode(value)
}

/** A copy of `record` whose encoded fields are decoded. Other fields are left as they are. */
export function decodeComputation<T>(record: T, codec: ValueDecoder): T {
  if (typeof record !== 'object' || record === null) return record
  const copy: Record<string, unknown> = { ...(record as Record<string, unknown>) }
  for (const key of computationFields) {
    if (key in copy) copy[key] = decodeField(codec, copy[key])
  }
  return copy as T
}

/** A copy of a cache entry (or its metadata) whose `args` and `value` (JSON trees with `__type__` tags) are decoded. */
export function decodeCacheEntry<T>(entry: T, codec: ValueDecoder): T {
  if (typeof entry !== 'object' || entry === null) return entry
  const copy: Record<string, unknown> = { ...(entry as Record<string, unknown>) }
  for (const key of cacheFields) {
    if (key in copy) copy[key] = decodeField(codec, copy[key])
  }
  return copy as T
}

/** Decodes each item of a page (`{ data: [...] }`) with `decodeItem`. */
export const decodePage =
  (decodeItem: <T>(item: T, codec: ValueDecoder) => T) =>
  <P extends { data: readonly unknown[] }>(page: P, codec: ValueDecoder): P => ({
    ...page,
    data: page.data.map((item) => decodeItem(item, codec)),
  })
