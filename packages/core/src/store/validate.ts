import { type Static, type TSchema, Type } from 'typebox'
import { Compile } from 'typebox/compile'
import {
  ComputationStatusSchema,
  ErrorInfoSchema,
  FunctionNameSchema,
  NamespaceSchema,
  ProgressSchema,
  ResultRefSchema,
} from '../domain/schemas.js'
import { type ComputationStatus, computationStatuses, isComputationStatus } from '../domain/status.js'
import { cmError, describeType } from '../errors/index.js'
import type {
  CacheGetOptions,
  CacheQuery,
  CacheSort,
  ClaimInput,
  ComputationPatch,
  ComputationQuery,
  ComputationSort,
  HeartbeatInput,
  InvalidateCriteria,
  NewCacheEntry,
  NewComputation,
} from './ports.js'

/**
 * Input validation shared by every Store, so bad input fails the same way everywhere
 * (`CM_ERR_INVALID_ARGUMENT` naming the field) before it can reach a driver.
 */

export const MAX_PER_PAGE = 100
export const DEFAULT_PER_PAGE = 20

type Checker<T extends TSchema> = ReturnType<typeof Compile<T>>

function check<T extends TSchema>(
  checker: Checker<T>,
  value: unknown,
  what: string,
): asserts value is Static<T> {
  if (checker.Check(value)) return
  if (typeof value !== 'object' || value === null) {
    throw cmError('CM_ERR_INVALID_ARGUMENT', `${what} must be an object, got ${describeType(value)}`)
  }
  const first = [...checker.Errors(value)][0]
  const path = first?.instancePath || '/'
  // TypeBox reports a field that `additionalProperties: false` forbids as "schema is false".
  const unknownField = first?.schemaPath.endsWith('/additionalProperties') === true
  const problem = unknownField ? 'is not a known field' : (first?.message ?? 'is invalid')
  throw cmError('CM_ERR_INVALID_ARGUMENT', `invalid ${what}: ${path} ${problem}`, {
    details: { path, keyword: unknownField ? 'additionalProperties' : first?.keyword },
  })
}

const nullable = <T extends TSchema>(s: T) => Type.Union([s, Type.Null()])
const Hash = Type.String({ minLength: 1, maxLength: 256 })
const Algorithm = Type.String({ minLength: 1, maxLength: 32 })
const ShortText = Type.String({ maxLength: 256 })
const Message = Type.String({ maxLength: 64 * 1024 })
const Time = Type.Number({ minimum: 0 })

const NewComputationCheck = Compile(
  Type.Object(
    {
      namespace: NamespaceSchema,
      name: Type.Optional(Type.String({ maxLength: 512 })),
      function: FunctionNameSchema,
      functionFull: FunctionNameSchema,
      args: Type.Unknown(),
      hash: Hash,
      hashAlgorithm: Algorithm,
      status: Type.Optional(Type.Union([Type.Literal('queued'), Type.Literal('started')])),
      owner: Type.Optional(nullable(ShortText)),
      pid: Type.Optional(nullable(Type.Integer())),
      host: Type.Optional(nullable(ShortText)),
      message: Type.Optional(nullable(Message)),
      leaseUntil: Type.Optional(nullable(Time)),
    },
    { additionalProperties: false },
  ),
)

const ClaimInputCheck = Compile(
  Type.Object(
    {
      namespace: NamespaceSchema,
      name: Type.Optional(Type.String({ maxLength: 512 })),
      function: FunctionNameSchema,
      functionFull: FunctionNameSchema,
      args: Type.Unknown(),
      hash: Hash,
      hashAlgorithm: Algorithm,
      owner: nullable(ShortText),
      pid: nullable(Type.Integer()),
      host: nullable(ShortText),
      leaseMs: Type.Number({ exclusiveMinimum: 0 }),
      onTerminal: Type.Optional(
        Type.Union([Type.Literal('return'), Type.Literal('rerun'), Type.Literal('rerun-failed')]),
      ),
      message: Type.Optional(nullable(Message)),
    },
    { additionalProperties: false },
  ),
)

const PatchCheck = Compile(
  Type.Object(
    {
      status: Type.Optional(ComputationStatusSchema),
      message: Type.Optional(nullable(Message)),
      progress: Type.Optional(nullable(ProgressSchema)),
      error: Type.Optional(nullable(ErrorInfoSchema)),
      result: Type.Optional(nullable(ResultRefSchema)),
      checkpoint: Type.Optional(Type.Unknown()),
      leaseUntil: Type.Optional(nullable(Time)),
      heartbeatAt: Type.Optional(nullable(Time)),
      pauseRequestedAt: Type.Optional(nullable(Time)),
      owner: Type.Optional(nullable(ShortText)),
      pid: Type.Optional(nullable(Type.Integer())),
      host: Type.Optional(nullable(ShortText)),
    },
    { additionalProperties: false },
  ),
)

const HeartbeatCheck = Compile(
  Type.Object(
    {
      leaseUntil: Time,
      progress: Type.Optional(nullable(ProgressSchema)),
      message: Type.Optional(nullable(Message)),
    },
    { additionalProperties: false },
  ),
)

const Tag = Type.String({ minLength: 1, maxLength: 256 })

const NewCacheEntryCheck = Compile(
  Type.Object(
    {
      namespace: NamespaceSchema,
      key: Hash,
      function: FunctionNameSchema,
      functionFull: FunctionNameSchema,
      version: Type.Optional(nullable(Type.String({ maxLength: 256 }))),
      algorithm: Algorithm,
      args: Type.Optional(Type.Unknown()),
      value: Type.String(),
      tags: Type.Optional(Type.Array(Tag, { maxItems: 256 })),
      ttlMs: Type.Optional(nullable(Type.Number({ exclusiveMinimum: 0 }))),
    },
    { additionalProperties: false },
  ),
)

const InvalidateCheck = Compile(
  Type.Object(
    {
      function: Type.Optional(FunctionNameSchema),
      tag: Type.Optional(Tag),
      version: Type.Optional(nullable(Type.String({ maxLength: 256 }))),
      all: Type.Optional(Type.Boolean()),
    },
    { additionalProperties: false },
  ),
)

const NamespaceCheck = Compile(NamespaceSchema)

/** Throws unless `namespace` is a valid namespace string. */
export function assertNamespace(namespace: unknown): asserts namespace is string {
  if (!NamespaceCheck.Check(namespace)) {
    throw cmError(
      'CM_ERR_INVALID_ARGUMENT',
      `namespace must be 1-128 characters of letters, digits, '.', '_', ':', '-' (got ${describeType(namespace)})`,
      { details: { field: 'namespace' } },
    )
  }
}

/** Throws unless `value` is a non-empty string of at most 256 characters (ids, keys, hashes). */
export function assertKey(value: unknown, field: string): asserts value is string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 256) {
    throw cmError(
      'CM_ERR_INVALID_ARGUMENT',
      `${field} must be a non-empty string of at most 256 characters`,
      {
        details: { field },
      },
    )
  }
}

/**
 * How deep free-form data (`args`, `checkpoint`) may nest. MongoDB refuses documents nested deeper
 * than 100 levels; 64 leaves room for the record around the data on every backend.
 */
export const MAX_JSON_DEPTH = 64

/**
 * Throws unless `value` is a plain JSON tree: `null`, booleans, finite numbers, strings, arrays
 * without holes and plain objects, at most {@link MAX_JSON_DEPTH} levels deep (which also rules out
 * cycles). Every backend then stores exactly the same data: no `undefined`, `NaN`, `BigInt`, `Date`,
 * `Map`, function or class instance that one driver would keep, another drop and a third reject.
 * Keys are data: `$where`, `a.b` or `__proto__` are stored as they are.
 */
export function assertJsonTree(value: unknown, field: string): void {
  function fail(path: string, problem: string): never {
    throw cmError('CM_ERR_INVALID_ARGUMENT', `${field}${path} ${problem}`, { details: { field, path } })
  }
  function visit(node: unknown, path: string, depth: number): void {
    if (node === null || typeof node === 'string' || typeof node === 'boolean') return
    if (typeof node === 'number') {
      if (!Number.isFinite(node)) fail(path, `must be a finite number (got ${node})`)
      return
    }
    if (typeof node !== 'object') fail(path, `must be JSON data (got ${describeType(node)})`)
    if (depth >= MAX_JSON_DEPTH)
      fail(path, `nests deeper than ${MAX_JSON_DEPTH} levels (or contains a cycle)`)
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) visit(node[i], `${path}[${i}]`, depth + 1)
      return
    }
    const proto = Object.getPrototypeOf(node)
    if (proto !== Object.prototype && proto !== null) {
      fail(path, `must be a plain object (got ${describeType(node)}); encode it with the codec first`)
    }
    const record = node as Record<string, unknown>
    for (const key of Object.keys(record)) visit(record[key], `${path}.${key}`, depth + 1)
  }
  visit(value, '', 0)
}

/** Throws unless `value` is one of the computation statuses. */
export function assertComputationStatus(value: unknown, field: string): asserts value is ComputationStatus {
  if (!isComputationStatus(value)) {
    throw cmError('CM_ERR_INVALID_ARGUMENT', `${field} must be one of ${computationStatuses.join(', ')}`, {
      details: { field },
    })
  }
}

export function validateNewComputation(input: unknown): asserts input is NewComputation {
  check(NewComputationCheck, input, 'computation')
  assertJsonTree(input.args, 'args')
}

export function validateClaimInput(input: unknown): asserts input is ClaimInput {
  check(ClaimInputCheck, input, 'claim')
  assertJsonTree(input.args, 'args')
}

export function validatePatch(patch: unknown): asserts patch is ComputationPatch {
  check(PatchCheck, patch, 'patch')
  if (patch.checkpoint !== undefined) assertJsonTree(patch.checkpoint, 'checkpoint')
}

export function validateHeartbeat(input: unknown): asserts input is HeartbeatInput {
  check(HeartbeatCheck, input, 'heartbeat')
}

export function validateNewCacheEntry(input: unknown): asserts input is NewCacheEntry {
  check(NewCacheEntryCheck, input, 'cache entry')
  if (input.args !== undefined) assertJsonTree(input.args, 'args')
}

const CacheGetOptionsCheck = Compile(
  Type.Object({ touch: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
)

/** `cache.get` options: absent, or `{ touch?: boolean }`. */
export function validateCacheGetOptions(options: unknown): asserts options is CacheGetOptions | undefined {
  if (options !== undefined) check(CacheGetOptionsCheck, options, 'cache get options')
}

export const DEFAULT_EXPIRED_LIMIT = 100
export const MAX_EXPIRED_LIMIT = 1000

/** `findExpired` options: `limit` is an integer from 1 to 1000, default 100. */
export function normalizeFindExpiredOptions(options: unknown): { limit: number } {
  if (options === undefined) return { limit: DEFAULT_EXPIRED_LIMIT }
  if (typeof options !== 'object' || options === null) {
    throw cmError(
      'CM_ERR_INVALID_ARGUMENT',
      `findExpired options must be an object, got ${describeType(options)}`,
    )
  }
  const limit = (options as { limit?: unknown }).limit ?? DEFAULT_EXPIRED_LIMIT
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_EXPIRED_LIMIT) {
    throw cmError('CM_ERR_INVALID_ARGUMENT', `limit must be an integer from 1 to ${MAX_EXPIRED_LIMIT}`, {
      details: { field: 'limit' },
    })
  }
  return { limit }
}

export function validateInvalidateCriteria(criteria: unknown): asserts criteria is InvalidateCriteria {
  check(InvalidateCheck, criteria, 'invalidate criteria')
  const c = criteria as InvalidateCriteria
  const selective = c.function !== undefined || c.tag !== undefined || c.version !== undefined
  if (c.all === true && selective) {
    throw cmError('CM_ERR_INVALID_ARGUMENT', 'invalidate: `all` cannot be combined with function/tag/version')
  }
  if (c.all !== true && !selective) {
    throw cmError('CM_ERR_INVALID_ARGUMENT', 'invalidate needs `function`, `tag`, `version` or `all: true`')
  }
}

function namespacesOf(value: unknown): string[] {
  const list = typeof value === 'string' ? [value] : value
  if (!Array.isArray(list) || list.length === 0 || list.length > 1000) {
    throw cmError(
      'CM_ERR_INVALID_ARGUMENT',
      'namespace must be a namespace or a non-empty list of namespaces',
    )
  }
  for (const ns of list) assertNamespace(ns)
  return [...new Set(list as string[])]
}

function pageOptions(query: { page?: unknown; perPage?: unknown }) {
  const page = query.page ?? 1
  const perPage = query.perPage ?? DEFAULT_PER_PAGE
  if (typeof page !== 'number' || !Number.isSafeInteger(page) || page < 1) {
    throw cmError('CM_ERR_INVALID_ARGUMENT', 'page must be an integer ≥ 1', { details: { field: 'page' } })
  }
  if (typeof perPage !== 'number' || !Number.isInteger(perPage) || perPage < 1 || perPage > MAX_PER_PAGE) {
    throw cmError('CM_ERR_INVALID_ARGUMENT', `perPage must be an integer from 1 to ${MAX_PER_PAGE}`, {
      details: { field: 'perPage' },
    })
  }
  return { page, perPage, offset: (page - 1) * perPage }
}

function optionalTime(value: unknown, field: string): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw cmError('CM_ERR_INVALID_ARGUMENT', `${field} must be a finite number of epoch milliseconds`, {
      details: { field },
    })
  }
  return value
}

function optionalString(value: unknown, field: string): string | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string' || value.length === 0 || value.length > 512) {
    throw cmError('CM_ERR_INVALID_ARGUMENT', `${field} must be a non-empty string`, { details: { field } })
  }
  return value
}

export interface SortSpec<F extends string> {
  field: F
  descending: boolean
}

function sortOf<F extends string>(value: unknown, fields: readonly F[], fallback: `-${F}` | F): SortSpec<F> {
  const sort = value ?? fallback
  const descending = typeof sort === 'string' && sort.startsWith('-')
  const field = (typeof sort === 'string' ? (descending ? sort.slice(1) : sort) : '') as F
  if (!fields.includes(field)) {
    throw cmError(
      'CM_ERR_INVALID_ARGUMENT',
      `sort must be one of ${fields.flatMap((f) => [f, `-${f}`]).join(', ')}`,
      {
        details: { field: 'sort' },
      },
    )
  }
  return { field, descending }
}

export interface NormalizedComputationQuery {
  namespaces: string[]
  statuses: ComputationStatus[] | undefined
  function: string | undefined
  hash: string | undefined
  since: number | undefined
  until: number | undefined
  sort: SortSpec<'createdAt' | 'updatedAt'>
  page: number
  perPage: number
  offset: number
}

const computationSortFields = ['createdAt', 'updatedAt'] as const

/** Validates a listing query and fills in defaults. */
export function normalizeComputationQuery(query: ComputationQuery): NormalizedComputationQuery {
  if (typeof query !== 'object' || query === null) {
    throw cmError('CM_ERR_INVALID_ARGUMENT', 'query must be an object')
  }
  let statuses: ComputationStatus[] | undefined
  if (query.status !== undefined) {
    const list: unknown = typeof query.status === 'string' ? [query.status] : query.status
    if (!Array.isArray(list) || list.length === 0 || !list.every(isComputationStatus)) {
      throw cmError(
        'CM_ERR_INVALID_ARGUMENT',
        `status must be a status or a non-empty list of statuses among ${computationStatuses.join(', ')}`,
        { details: { field: 'status' } },
      )
    }
    statuses = [...new Set(list)]
  }
  return {
    namespaces: namespacesOf(query.namespace),
    statuses,
    function: optionalString(query.function, 'function'),
    hash: optionalString(query.hash, 'hash'),
    since: optionalTime(query.since, 'since'),
    until: optionalTime(query.until, 'until'),
    sort: sortOf<'createdAt' | 'updatedAt'>(
      query.sort as ComputationSort | undefined,
      computationSortFields,
      '-createdAt',
    ),
    ...pageOptions(query),
  }
}

export interface NormalizedCacheQuery {
  namespaces: string[]
  function: string | undefined
  tag: string | undefined
  version: string | null | undefined
  sort: SortSpec<'createdAt' | 'hits' | 'size'>
  page: number
  perPage: number
  offset: number
}

const cacheSortFields = ['createdAt', 'hits', 'size'] as const

export function normalizeCacheQuery(query: CacheQuery): NormalizedCacheQuery {
  if (typeof query !== 'object' || query === null) {
    throw cmError('CM_ERR_INVALID_ARGUMENT', 'query must be an object')
  }
  if (query.version !== undefined && query.version !== null && typeof query.version !== 'string') {
    throw cmError('CM_ERR_INVALID_ARGUMENT', 'version must be a string or null', {
      details: { field: 'version' },
    })
  }
  return {
    namespaces: namespacesOf(query.namespace),
    function: optionalString(query.function, 'function'),
    tag: optionalString(query.tag, 'tag'),
    version: query.version,
    sort: sortOf<'createdAt' | 'hits' | 'size'>(
      query.sort as CacheSort | undefined,
      cacheSortFields,
      '-createdAt',
    ),
    ...pageOptions(query),
  }
}
