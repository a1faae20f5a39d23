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
  ClaimInput,
  ComputationPatch,
  HeartbeatInput,
  InvalidateCriteria,
  NewCacheEntry,
  NewComputation,
} from './ports.js'

/**
 * Input validation shared by every Store, so bad input fails the same way everywhere
 * (`CM_ERR_INVALID_ARGUMENT` naming the field) before it can reach a driver.
 */

type Checker<T extends TSchema> = ReturnType<typeof Compile<T>>

export function check<T extends TSchema>(
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
