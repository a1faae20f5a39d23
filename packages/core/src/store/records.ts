import {
  CACHE_SCHEMA_VERSION,
  type CacheEntryMeta,
  type Computation,
  QUEUE_FIELD_DEFAULTS,
  SCHEMA_VERSION,
} from '../domain/schemas.js'
import { assertTransition, type ComputationStatus, isTerminalStatus } from '../domain/status.js'
import { cmError } from '../errors/index.js'
import type { ListSlice } from './backend.js'
import type { CursorCodec, CursorKey } from './cursor.js'
import type {
  ClaimInput,
  ComputationPatch,
  HeartbeatInput,
  NewCacheEntry,
  NewComputation,
  Page,
} from './ports.js'
import type { NormalizedPaging } from './queries.js'
import { randomBytes16 } from './random-pool.js'

/**
 * Record logic every Store shares, so the semantics live in one place: building records, applying
 * a compare-and-set patch, deciding a claim. Stores wrap these in their own atomicity (a lock, a
 * transaction, a conditional update).
 */

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')

/** The last millisecond an id was made in, and how many ids were made in it (this process). */
let idClock = { ms: -1, sequence: 0 }

/**
 * A time-ordered unique id (UUID version 7 layout: 48-bit millisecond timestamp, then a 12-bit
 * sequence, then 62 random bits). Ids of later milliseconds sort later; ids made in the same
 * millisecond by one process sort in the order they were made (up to 4096 per millisecond, then
 * randomly). Listings break timestamp ties by id, so their order is always deterministic.
 */
export function newId(now: number = Date.now()): string {
  const ms = Math.max(0, Math.floor(now))
  idClock = ms === idClock.ms ? { ms, sequence: idClock.sequence + 1 } : { ms, sequence: 0 }
  const bytes = randomBytes16()
  let ts = ms
  for (let i = 5; i >= 0; i--) {
    bytes[i] = ts % 256
    ts = Math.floor(ts / 256)
  }
  if (idClock.sequence <= 0xfff) {
    bytes[6] = idClock.sequence >> 8
    bytes[7] = idClock.sequence & 0xff
  }
  bytes[6] = (bytes[6]! & 0x0f) | 0x70
  bytes[8] = (bytes[8]! & 0x3f) | 0x80
  const h = hex(bytes)
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

/** UTF-8 byte length of a string, without allocating. */
export function utf8Length(text: string): number {
  let bytes = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 0x80) bytes += 1
    else if (c < 0x800) bytes += 2
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1)
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4
        i++
      } else bytes += 3
    } else bytes += 3
  }
  return bytes
}

/**
 * The page of a backend's slice (see `ListSlice`): the first `perPage` rows, the bounded total, and
 * the cursor after the last row when there are more (`keyOf` gives a row's sort key).
 */
export function pageOf<T>(
  slice: ListSlice<T>,
  q: NormalizedPaging,
  cursors: CursorCodec,
  keyOf: (row: T) => CursorKey,
): Page<T> {
  const data = slice.rows.length > q.perPage ? slice.rows.slice(0, q.perPage) : slice.rows
  const capped = slice.total > q.countLimit
  const total = capped ? q.countLimit : slice.total
  const last = data[data.length - 1]
  return {
    data,
    page: q.page,
    perPage: q.perPage,
    total,
    pages: Math.ceil(total / q.perPage),
    totalIsLowerBound: capped,
    nextCursor:
      slice.rows.length > q.perPage && last !== undefined ? cursors.encode(q.fingerprint, keyOf(last)) : null,
  }
}

interface RecordContext {
  id: string
  now: number
  attempt?: number
}

/** A fresh record from `create` input. */
export function buildComputation(input: NewComputation, ctx: RecordContext): Computation {
  const status = input.status ?? 'queued'
  return {
    id: ctx.id,
    namespace: input.namespace,
    name: input.name ?? input.function,
    function: input.function,
    functionFull: input.functionFull,
    args: input.args ?? null,
    hash: input.hash,
    hashAlgorithm: input.hashAlgorithm,
    attempt: ctx.attempt ?? 1,
    status,
    pid: input.pid ?? null,
    host: input.host ?? null,
    owner: input.owner ?? null,
    message: input.message ?? null,
    error: null,
    progress: null,
    result: null,
    checkpoint: null,
    createdAt: ctx.now,
    updatedAt: ctx.now,
    startedAt: status === 'started' ? ctx.now : null,
    finishedAt: null,
    pausedAt: null,
    heartbeatAt: status === 'started' ? ctx.now : null,
    leaseUntil: input.leaseUntil ?? null,
    activeMs: 0,
    activeSince: status === 'started' ? ctx.now : null,
    pauseRequestedAt: null,
    ...QUEUE_FIELD_DEFAULTS,
    schemaVersion: SCHEMA_VERSION,
  }
}

/** A `started`, leased record for the winner of a claim. */
export function buildClaimedComputation(
  input: ClaimInput,
  ctx: RecordContext & { attempt: number },
): Computation {
  return buildComputation(
    {
      namespace: input.namespace,
      ...(input.name === undefined ? {} : { name: input.name }),
      function: input.function,
      functionFull: input.functionFull,
      args: input.args,
      hash: input.hash,
      hashAlgorithm: input.hashAlgorithm,
      status: 'started',
      owner: input.owner,
      pid: input.pid,
      host: input.host,
      message: input.message ?? null,
      leaseUntil: ctx.now + input.leaseMs,
    },
    ctx,
  )
}

/** True when a live run's lease has run out by `now` (a run without a lease never expires). */
export function isLeaseExpired(record: Computation, now: number): boolean {
  return isLiveStatus(record.status) && record.leaseUntil !== null && record.leaseUntil <= now
}

export type ClaimDecision =
  /** Insert a new attempt; if `expire` is set, first mark `previous` lost. */
  | { action: 'insert'; attempt: number; previous: Computation | null; expire: boolean }
  /** Turn the queued record into the claimer's started run. */
  | { action: 'take-queued'; record: Computation }
  /** Someone else holds the hash (or its run is over and stays so). */
  | { action: 'lose'; record: Computation }

/** What a claim does, given the latest attempt of the hash (read inside the store's atomic section). */
export function decideClaim(latest: Computation | null, input: ClaimInput, now: number): ClaimDecision {
  if (latest === null) return { action: 'insert', attempt: 1, previous: null, expire: false }
  if (latest.status === 'queued') return { action: 'take-queued', record: latest }
  if (!isTerminalStatus(latest.status)) {
    return isLeaseExpired(latest, now)
      ? { action: 'insert', attempt: latest.attempt + 1, previous: latest, expire: true }
      : { action: 'lose', record: latest }
  }
  const policy = input.onTerminal ?? 'return'
  const rerun = policy === 'rerun' || (policy === 'rerun-failed' && latest.status !== 'finished')
  return rerun
    ? { action: 'insert', attempt: latest.attempt + 1, previous: latest, expire: false }
    : { action: 'lose', record: latest }
}

/** The claimer's view of a queued record it takes over. */
export function takeQueued(record: Computation, input: ClaimInput, now: number): Computation {
  assertTransition(record.status, 'started')
  return {
    ...record,
    status: 'started',
    owner: input.owner,
    pid: input.pid,
    host: input.host,
    message: input.message ?? record.message,
    startedAt: now,
    heartbeatAt: now,
    leaseUntil: now + input.leaseMs,
    activeSince: now,
    pauseRequestedAt: null,
    updatedAt: now,
  }
}

/**
 * Closes the running segment in progress at `end`: its time is added to `activeMs`. (A run that is
 * not running has no segment open and keeps its `activeMs`.)
 */
export function closeActiveSegment(
  record: Computation,
  end: number,
): Pick<Computation, 'activeMs' | 'activeSince'> {
  if (record.activeSince === null) return { activeMs: record.activeMs, activeSince: null }
  return { activeMs: record.activeMs + Math.max(0, Math.round(end - record.activeSince)), activeSince: null }
}

/**
 * The record marked lost by a sweeper or a claim that took it over. Its running time ends at its
 * last heartbeat: the process died some time after it, not when the death was noticed.
 */
export function markLost(record: Computation, now: number): Computation {
  assertTransition(record.status, 'lost')
  return {
    ...record,
    ...closeActiveSegment(record, Math.min(now, record.heartbeatAt ?? record.activeSince ?? now)),
    status: 'lost',
    finishedAt: now,
    leaseUntil: null,
    pauseRequestedAt: null,
    updatedAt: now,
    message: record.message ?? 'lease expired: the process running it stopped renewing it',
  }
}

/** True for the statuses that hold a lease and may heartbeat: `started` and `paused`. */
export function isLiveStatus(status: ComputationStatus): boolean {
  return status === 'started' || status === 'paused'
}

/**
 * A heartbeat: the new lease, `heartbeatAt` and the optional progress/message of a live run;
 * `CM_ERR_CONFLICT` when the run is not `started` or `paused`. A run whose lease expired but that
 * nobody has marked lost yet may still renew it: its process is evidently alive.
 */
export function applyHeartbeat(record: Computation, input: HeartbeatInput, now: number): Computation {
  if (!isLiveStatus(record.status)) {
    throw cmError(
      'CM_ERR_CONFLICT',
      `computation ${record.id} is '${record.status}': only a started or paused run can heartbeat`,
      { details: { id: record.id, actual: record.status } },
    )
  }
  return {
    ...record,
    leaseUntil: input.leaseUntil,
    heartbeatAt: now,
    updatedAt: now,
    ...(input.progress === undefined ? {} : { progress: input.progress }),
    ...(input.message === undefined ? {} : { message: input.message }),
  }
}

/**
 * Applies a compare-and-set patch: `CM_ERR_CONFLICT` unless the record is still in `expectedStatus`;
 * a status change must be an edge of the state machine and stamps its timestamps, and the running
 * time is accounted (a running segment opens on `started`, closes on any other status). A record
 * that is over (`finished`, `failed`, `lost`) is immutable: any patch is `CM_ERR_INVALID_TRANSITION`.
 */
export function applyPatch(
  record: Computation,
  expectedStatus: Computation['status'],
  patch: ComputationPatch,
  now: number,
): Computation {
  if (record.status !== expectedStatus) {
    throw cmError(
      'CM_ERR_CONFLICT',
      `computation ${record.id} is '${record.status}', not '${expectedStatus}' as the update expected`,
      { details: { id: record.id, expected: expectedStatus, actual: record.status } },
    )
  }
  if (isTerminalStatus(record.status)) {
    throw cmError(
      'CM_ERR_INVALID_TRANSITION',
      `computation ${record.id} is '${record.status}': a run that is over cannot be changed`,
      { details: { id: record.id, from: record.status, to: patch.status ?? record.status, allowed: [] } },
    )
  }
  const next: Computation = { ...record, updatedAt: now }
  for (const [field, value] of Object.entries(patch)) {
    if (value !== undefined && field !== 'status') (next as unknown as Record<string, unknown>)[field] = value
  }
  const to = patch.status
  if (to !== undefined && to !== record.status) {
    assertTransition(record.status, to)
    next.status = to
    // Any status change settles a pending pause request: honoured (paused) or overtaken (ended).
    next.pauseRequestedAt = null
    if (to === 'started') {
      if (record.startedAt === null) next.startedAt = now
      next.activeSince = now
    } else {
      Object.assign(next, closeActiveSegment(record, now))
    }
    if (to === 'paused') next.pausedAt = now
    if (isTerminalStatus(to)) {
      next.finishedAt = now
      next.leaseUntil = null
    }
  }
  return next
}

/** Metadata of a cache entry being written. */
export function buildCacheEntryMeta(input: NewCacheEntry, now: number): CacheEntryMeta {
  return {
    key: input.key,
    namespace: input.namespace,
    function: input.function,
    functionFull: input.functionFull,
    version: input.version ?? null,
    algorithm: input.algorithm,
    args: input.args ?? null,
    size: utf8Length(input.value),
    tags: [...new Set(input.tags ?? [])],
    createdAt: now,
    expiresAt: input.ttlMs == null ? null : now + input.ttlMs,
    hits: 0,
    lastHitAt: null,
    schemaVersion: CACHE_SCHEMA_VERSION,
  }
}

/** True when a cache entry has expired by `now`: it is invisible from `expiresAt` on (`now >= expiresAt`). */
export function isCacheEntryExpired(entry: Pick<CacheEntryMeta, 'expiresAt'>, now: number): boolean {
  return entry.expiresAt !== null && entry.expiresAt <= now
}

/** Throws `CM_ERR_VALUE_TOO_LARGE` when a value exceeds a store's limit. */
export function assertValueSize(size: number, maxValueBytes: number): void {
  if (size > maxValueBytes) {
    throw cmError(
      'CM_ERR_VALUE_TOO_LARGE',
      `value of ${size} bytes exceeds this store's limit of ${maxValueBytes} bytes`,
      {
        details: { size, limit: maxValueBytes },
      },
    )
  }
}

/** Throws `CM_ERR_NOT_FOUND` for a missing record. */
export function notFound(what: string, id: string): never {
  throw cmError('CM_ERR_NOT_FOUND', `${what} ${id} not found`, { details: { id } })
}

/** Orders two cursor keys: the sort value, then each tie-breaker (code-unit order). */
export function compareKeys(a: CursorKey, b: CursorKey): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!
    const y = b[i]!
    if (x < y) return -1
    if (x > y) return 1
  }
  return 0
}

/** The `ListSlice` of rows already filtered and sorted in memory (the memory store's listing). */
export function sliceOf<T>(
  sorted: readonly T[],
  q: NormalizedPaging & { sort: { descending: boolean } },
  keyOf: (row: T) => CursorKey,
): ListSlice<T> {
  let start = q.offset
  const after = q.after
  if (after !== undefined) {
    const direction = q.sort.descending ? -1 : 1
    start = sorted.findIndex((row) => direction * compareKeys(keyOf(row), after) > 0)
    if (start < 0) start = sorted.length
  }
  return { rows: sorted.slice(start, start + q.perPage + 1), total: sorted.length }
}
