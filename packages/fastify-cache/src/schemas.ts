import { CacheEntryMetaSchema, FunctionNameSchema, NamespaceSchema } from '@comp-manager/core'
import {
  CursorQueryProperty,
  described,
  IsoDateTimeSchema,
  NamespaceQueryProperty,
  PageResponseSchema,
  PaginationQueryProperties,
} from '@comp-manager/fastify-kit'
import { type Static, Type } from 'typebox'

/**
 * The TypeBox schemas of the `/cache` routes: one source of truth for validation, serialization, the
 * OpenAPI document and the generated client.
 */

const p = CacheEntryMetaSchema.properties

const NullableIsoDateTime = (description: string) =>
  Type.Union([IsoDateTimeSchema, Type.Null()], { description })
const Count = Type.Integer({ minimum: 0 })
const Tag = Type.String({ minLength: 1, maxLength: 256, examples: ['nightly'] })
const Version = Type.String({ maxLength: 256, examples: ['2'] })

const entryProperties = {
  key: described(p.key, 'The key: a digest of `{ function, version, args }`, or a custom key'),
  namespace: p.namespace,
  function: described(p.function, 'The name the function was wrapped under'),
  functionFull: described(p.functionFull, 'Its qualified name, part of the key'),
  version: Type.Union([Type.String(), Type.Null()], { description: 'The version part of the key, or null' }),
  algorithm: described(p.algorithm, 'How the key was made: `sha256`, … or `custom`'),
  args: Type.Unknown({
    description: 'The codec-encoded argument list when the entry was stored with `storeArgs`, else null',
  }),
  size: described(p.size, 'Bytes of the encoded value (UTF-8)'),
  tags: p.tags,
  createdAt: IsoDateTimeSchema,
  expiresAt: NullableIsoDateTime('When the entry expires, or null (never)'),
  hits: described(p.hits, 'Reads served from the store (hits in a process L1 are not counted here)'),
  lastHitAt: NullableIsoDateTime('The last of those reads, or null'),
  schemaVersion: p.schemaVersion,
}

/**
 * A cache entry's metadata as the REST API returns it: the stored metadata with its timestamps as ISO
 * 8601 strings (`null` when unset) and `args` as stored (codec-encoded JSON, or null). No value.
 */
export const CacheEntryDtoSchema = Type.Object(entryProperties, {
  additionalProperties: false,
  title: 'CacheEntry',
  description: 'A cache entry without its value',
})
export type CacheEntryDto = Static<typeof CacheEntryDtoSchema>

/**
 * An entry with its value: the metadata plus `value`, the codec-encoded JSON tree exactly as the cache
 * stored it (decode it with `decode` from `@comp-manager/core/codec`, with your types registered).
 */
export const CacheEntryWithValueDtoSchema = Type.Object(
  {
    ...entryProperties,
    value: Type.Unknown({
      description:
        'The value as the codec encoded it (a JSON tree with `__type__` tags): decode it with `decode` from `@comp-manager/core/codec`',
    }),
  },
  {
    additionalProperties: false,
    title: 'CacheEntryWithValue',
    description: 'A cache entry with its codec-encoded value',
  },
)
export type CacheEntryWithValueDto = Static<typeof CacheEntryWithValueDtoSchema>

/** `{ data: CacheEntry[], page, per_page, total, pages }`. */
export const CacheEntryPageSchema = described(
  PageResponseSchema(CacheEntryDtoSchema),
  'A page of cache entries (metadata only)',
)
export type CacheEntryPage = Static<typeof CacheEntryPageSchema>

export const SortSchema = Type.Union(
  [
    Type.Literal('createdAt'),
    Type.Literal('-createdAt'),
    Type.Literal('hits'),
    Type.Literal('-hits'),
    Type.Literal('size'),
    Type.Literal('-size'),
  ],
  {
    description: 'Order; `-` for descending. Default `-createdAt` (newest first); ties by key.',
    examples: ['-createdAt'],
  },
)

/** `GET /cache` query. Unknown keys are refused (400). */
export const ListQuerySchema = Type.Object(
  {
    ...PaginationQueryProperties,
    function: Type.Optional(described(FunctionNameSchema, 'Exact `function` or `functionFull`')),
    tag: Type.Optional(described(Tag, 'Entries carrying this tag')),
    version: Type.Optional(described(Version, 'Entries of this version')),
    sort: Type.Optional(SortSchema),
    namespace: NamespaceQueryProperty,
    cursor: CursorQueryProperty,
  },
  { additionalProperties: false },
)
export type ListQuery = Static<typeof ListQuerySchema>

/** `:key` of the entry routes. */
export const KeyParamsSchema = Type.Object(
  {
    key: Type.String({
      minLength: 1,
      maxLength: 256,
      description: 'The entry key (URL-encode custom keys: `encodeURIComponent(key)`)',
      examples: ['3f5c0e1d9b7a4c2e8f6d1a0b9c8e7f6a5d4c3b2a1e0f9d8c7b6a5f4e3d2c1b0a'],
    }),
  },
  { additionalProperties: false },
)
export type KeyParams = Static<typeof KeyParamsSchema>

/** The query of the entry and stats routes: the namespace to look in, nothing else. */
export const NamespaceQuerySchema = Type.Object(
  { namespace: NamespaceQueryProperty },
  { additionalProperties: false },
)
export type NamespaceQuery = Static<typeof NamespaceQuerySchema>

/**
 * `POST /cache/invalidate` body: `function`, `tag` and `version` are ANDed; `all: true` clears the
 * namespace and cannot be combined with them. At least one criterion.
 */
export const InvalidateBodySchema = Type.Object(
  {
    function: Type.Optional(described(FunctionNameSchema, 'Entries of this `function` or `functionFull`')),
    tag: Type.Optional(described(Tag, 'Entries carrying this tag')),
    version: Type.Optional(
      Type.Union([Version, Type.Number(), Type.Null()], {
        description:
          'Entries of this version (a number is matched as its text); null: entries without version',
      }),
    ),
    all: Type.Optional(
      Type.Boolean({ description: '`true`: every entry of the namespace (alone: no other criterion)' }),
    ),
    namespace: Type.Optional(
      described(NamespaceSchema, "The namespace to invalidate in (default: the plugin's, see README)"),
    ),
  },
  {
    additionalProperties: false,
    description: 'What to invalidate: `function`, `tag` and `version` together, or `all` alone',
    examples: [{ function: 'fib', version: '2' }, { all: true }],
  },
)
export type InvalidateBody = Static<typeof InvalidateBodySchema>

/** `POST /cache/invalidate` answer. */
export const InvalidateResultSchema = Type.Object(
  {
    deleted: Type.Integer({ minimum: 0, description: 'How many live entries were deleted' }),
    namespace: described(NamespaceSchema, 'Where'),
  },
  { additionalProperties: false, title: 'InvalidateResult', description: 'How many entries were deleted' },
)
export type InvalidateResult = Static<typeof InvalidateResultSchema>

const NullableCount = (description: string) => Type.Union([Count, Type.Null()], { description })

const StatCountersProperties = {
  hits: Count,
  misses: Count,
  staleHits: Count,
  fills: Type.Integer({ minimum: 0, description: 'Fill runs executed (the function computed)' }),
  evictions: Type.Integer({ minimum: 0, description: 'L1 entries pushed out for room' }),
  fillTimeMs: Type.Number({ minimum: 0, description: 'Milliseconds spent in fill runs' }),
}

/** The fleet-wide counters of `GET /cache/stats`. */
export const FleetStatsSchema = Type.Object(
  {
    ...StatCountersProperties,
    processes: Type.Integer({ minimum: 0, description: 'Cache instances that wrote counters to the store' }),
    hitRate: Type.Number({ minimum: 0, maximum: 1 }),
    functions: Type.Array(
      Type.Object({ function: Type.String(), ...StatCountersProperties }, { additionalProperties: false }),
      { description: 'Per function, by name' },
    ),
  },
  {
    additionalProperties: false,
    description:
      "Every process's counters in `namespace`, summed (each writes its own every `statsFlushMs`, 5 s by default): exact once each flushed",
  },
)

/** `GET /cache/stats` answer. */
export const CacheStatsSchema = Type.Object(
  {
    namespace: Type.Union([NamespaceSchema, Type.Null()], {
      description:
        "The namespace of this process's cache (`fastify.cache`), whose counters follow; null (and null counters) when the request does not cover it",
    }),
    hits: NullableCount("This process's lookups served a fresh value (L1 or store), since it started"),
    misses: NullableCount("This process's lookups that found no usable entry"),
    staleHits: NullableCount("This process's lookups served a stale value (stale-while-revalidate)"),
    dedupes: NullableCount("This process's misses that got a value computed by another caller or process"),
    hitRate: Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()], {
      description: '(hits + staleHits) / (hits + staleHits + misses); 0 before any lookup',
    }),
    l1: Type.Optional(
      Type.Object(
        { entries: Count, bytes: Count },
        { additionalProperties: false, description: "This process's in-memory L1, when it has one" },
      ),
    ),
    fleet: Type.Optional(
      Type.Union([FleetStatsSchema, Type.Null()], {
        description: "Every process's counters in `namespace`; null when the store has no document port",
      }),
    ),
    entries: Type.Integer({ minimum: 0, description: 'Live entries in the store, over `namespaces`' }),
    bytes: Type.Integer({ minimum: 0, description: 'Bytes of their values in the store' }),
    namespaces: Type.Array(
      Type.Object(
        { namespace: NamespaceSchema, entries: Count, bytes: Count },
        { additionalProperties: false },
      ),
      { description: 'Entries and bytes in the store, per namespace the request covers (every process)' },
    ),
  },
  {
    additionalProperties: false,
    title: 'CacheStats',
    description: "This process's counters and the store's totals",
  },
)
export type CacheStatsDto = Static<typeof CacheStatsSchema>
