import type {
  CacheEntry,
  CacheEntryMeta,
  Computation,
  ComputationStatus,
  ErrorInfo,
  Progress,
  ResultRef,
} from '../domain/index.js'
import type { DocumentStore } from './document-ports.js'
import type { EventLogStore } from './event-ports.js'
import type { QueueStore } from './queue-ports.js'

/**
 * The Store ports: what the tracker, the cache and the HTTP plugins need from a database, and
 * nothing more. Every read and write is scoped by `namespace`; a method that crosses namespaces
 * says so in its name or docs (`findExpired`, `purgeExpired`, the admin form of `list`).
 *
 * Implementations: `MemoryStore` (core, reference), `SqliteStore`, `MongoStore`. All of them run the
 * conformance suite in `@comp-manager/store-testkit`.
 *
 * Errors: bad input → `CM_ERR_INVALID_ARGUMENT`; missing record → `CM_ERR_NOT_FOUND`; lost
 * compare-and-set → `CM_ERR_CONFLICT`; illegal status change → `CM_ERR_INVALID_TRANSITION`;
 * duplicate hash on `create` → `CM_ERR_DUPLICATE`; value over the store's limit →
 * `CM_ERR_VALUE_TOO_LARGE`; closed or unreachable store → `CM_ERR_STORE_UNAVAILABLE`. Never a raw
 * driver exception.
 */

/** Milliseconds since the epoch. Stores take one so tests can move time. */
export type Clock = () => number

export const systemClock: Clock = () => Date.now()

/**
 * A page of results: `pages` is `ceil(total / perPage)`; a page past the end has empty `data`.
 *
 * Counts are bounded: `total` is exact up to the store's `countLimit` (default 10,000). Above it,
 * `total` is `countLimit` and `totalIsLowerBound` is true ("at least that many"), so a listing never
 * counts a million rows. Deep pages are reached with `nextCursor` (keyset paging), not `page`.
 */
export interface Page<T> {
  data: T[]
  /** The page number asked for; `null` when the page was asked by `cursor`. */
  page: number | null
  perPage: number
  total: number
  pages: number
  /** `total` is the count bound, not the exact count: there are at least `total` matches. */
  totalIsLowerBound: boolean
  /** Pass it as `cursor` to get the page after this one; `null` on the last page. */
  nextCursor: string | null
}

/** Fields a caller sets when it creates a computation record directly (e.g. `POST /computations`). */
export interface NewComputation {
  namespace: string
  /** Display name; defaults to `function`. */
  name?: string
  function: string
  functionFull: string
  /** Codec-encoded arguments (a JSON tree). */
  args: unknown
  hash: string
  hashAlgorithm: string
  /** `queued` (default) or `started`. */
  status?: 'queued' | 'started'
  owner?: string | null
  pid?: number | null
  host?: string | null
  message?: string | null
  leaseUntil?: number | null
}

/** What happens in `claim` when the latest run of the hash is already over. */
export type OnTerminal =
  /** Do not run again: the claim is lost and returns the finished/failed/lost record. */
  | 'return'
  /** Start a new attempt whatever the previous one's outcome. */
  | 'rerun'
  /** Start a new attempt when the previous one failed or was lost; return a finished one. */
  | 'rerun-failed'

export interface ClaimInput {
  namespace: string
  name?: string
  function: string
  functionFull: string
  args: unknown
  hash: string
  hashAlgorithm: string
  owner: string | null
  pid: number | null
  host: string | null
  /** The winner's lease lasts `leaseMs` from the store's clock; it must heartbeat before then. */
  leaseMs: number
  /** Default `'return'`. */
  onTerminal?: OnTerminal
  message?: string | null
}

export type ClaimResult =
  | {
      won: true
      /** The new (or taken-over queued) record, status `started`, leased to the claimer. */
      record: Computation
      /** The run this claim replaced: an expired one (now `lost`) or a terminal one rerun. */
      previous: Computation | null
    }
  | {
      won: false
      /** The latest record of the hash: a live run, or a terminal one under `onTerminal: 'return'`. */
      record: Computation
    }

/** The fields a compare-and-set update may change. `updatedAt` is always set by the store. */
export interface ComputationPatch {
  status?: ComputationStatus
  message?: string | null
  progress?: Progress | null
  error?: ErrorInfo | null
  result?: ResultRef | null
  checkpoint?: unknown
  leaseUntil?: number | null
  heartbeatAt?: number | null
  /** A pause asked of a running run (it stays `started` until its runner honours it). */
  pauseRequestedAt?: number | null
  owner?: string | null
  pid?: number | null
  host?: string | null
}

export interface HeartbeatInput {
  leaseUntil: number
  progress?: Progress | null
  message?: string | null
}

export type ComputationSort = 'createdAt' | '-createdAt' | 'updatedAt' | '-updatedAt'

export interface ComputationQuery {
  /** One namespace or several (a token's list). Required: there is no implicit "all". */
  namespace: string | readonly string[]
  status?: ComputationStatus | readonly ComputationStatus[]
  /** Matches `function` or `functionFull` exactly. */
  function?: string
  hash?: string
  /** `createdAt >= since` */
  since?: number
  /** `createdAt < until` */
  until?: number
  /** Default `-createdAt` (newest first); ties are broken by `id` in the same direction. */
  sort?: ComputationSort
  /** ≥ 1, default 1. Not with `cursor`. */
  page?: number
  /** 1..100, default 20. */
  perPage?: number
  /** A previous page's `nextCursor` (same filters and sort): the page after it, by keyset. */
  cursor?: string
  /**
   * The big fields to read (default both). Without one, the records of the page have it `undefined`:
   * a summary, which a store reads without touching those (possibly megabyte) columns.
   */
  include?: readonly ComputationListField[]
}

/** Fields a listing reads only when asked (`ComputationQuery.include`). */
export type ComputationListField = 'args' | 'checkpoint'

/**
 * `update`, `heartbeat` and `expire` reject with `CM_ERR_NOT_FOUND` when the record is absent or in
 * another namespace; `get` and `getByHash` return `null` and `delete` returns `false` instead.
 */
export interface ComputationStore {
  /** Inserts a record (`queued` by default). `CM_ERR_DUPLICATE` when the hash already has a run. */
  create(input: NewComputation): Promise<Computation>
  /** One record by id, or `null` (also when it exists in another namespace). */
  get(namespace: string, id: string): Promise<Computation | null>
  /** The latest attempt for `hash`, or `null`. */
  getByHash(namespace: string, hash: string): Promise<Computation | null>
  /**
   * One atomic step: insert a `started` record if the hash has no run; take over a `queued` one;
   * replace a live run whose lease has expired (that run becomes `lost`); or, for a run that is
   * over, follow `onTerminal`. Exactly one of many concurrent claimers wins.
   */
  claim(input: ClaimInput): Promise<ClaimResult>
  /**
   * Compare-and-set: applies `patch` only if the record's status is still `expectedStatus`
   * (`CM_ERR_CONFLICT` otherwise). A status change is checked with `assertTransition`, and sets
   * `startedAt` / `pausedAt` / `finishedAt` and clears the lease when the run ends.
   */
  update(
    namespace: string,
    id: string,
    expectedStatus: ComputationStatus,
    patch: ComputationPatch,
  ): Promise<Computation>
  /**
   * Extends the lease of a `started` or `paused` run (and records progress/message); `CM_ERR_CONFLICT`
   * if it is not live. A run whose lease ran out but that nobody marked `lost` yet may still renew it.
   */
  heartbeat(namespace: string, id: string, input: HeartbeatInput): Promise<Computation>
  /**
   * Marks the run `lost` if it is live and its lease expired by now; returns it, or `null` if it was
   * not expired. A claimed queue job (`worker` set) also gets its next `queued` attempt in the same
   * step while `attempt < maxAttempts + maxLostRetries` (the claiming worker's, recorded by the
   * claim; 3 by default), so a dead
   * worker's job runs again whoever notices first (a tracker's sweeper, a waiter, a worker).
   */
  expire(namespace: string, id: string): Promise<Computation | null>
  /**
   * Live runs whose lease expired (`leaseUntil <= now`), across all namespaces (for sweepers), oldest
   * lease first (ties by `id`). `limit`: 1..1000, default 100.
   */
  findExpired(options?: { limit?: number }): Promise<Computation[]>
  /** Filtered, sorted, paginated listing within the given namespace(s). */
  list(query: ComputationQuery): Promise<Page<Computation>>
  /** Deletes one record; `false` if absent. */
  delete(namespace: string, id: string): Promise<boolean>
}

export interface NewCacheEntry {
  namespace: string
  key: string
  function: string
  functionFull: string
  version?: string | null
  algorithm: string
  /** Optional encoded args kept for inspection. */
  args?: unknown
  /** The codec's JSON text of the value. */
  value: string
  tags?: readonly string[]
  /** Time to live from now; `null`/absent = no expiry. */
  ttlMs?: number | null
}

export interface CacheGetOptions {
  /** Count a hit (`hits`, `lastHitAt`); default true. Stores may apply hit counts lazily (batched). */
  touch?: boolean
}

/** Criteria are ANDed; `all: true` selects the whole namespace and may not be combined. */
export interface InvalidateCriteria {
  /** Matches `function` or `functionFull` exactly. */
  function?: string
  tag?: string
  version?: string | null
  all?: boolean
}

export type CacheSort = 'createdAt' | '-createdAt' | 'hits' | '-hits' | 'size' | '-size'

export interface CacheQuery {
  namespace: string | readonly string[]
  /** Matches `function` or `functionFull` exactly. */
  function?: string
  tag?: string
  version?: string | null
  /** Default `-createdAt`; ties by `key`, then `namespace`, in the same direction. */
  sort?: CacheSort
  page?: number
  perPage?: number
  /** A previous page's `nextCursor` (same filters and sort). */
  cursor?: string
}

export interface CacheStats {
  entries: number
  bytes: number
}

/**
 * An entry expires at `expiresAt`: from then on (`now >= expiresAt`) it is absent for every method
 * but `purgeExpired`: never returned, listed, counted, deleted (`false`) nor invalidated (not counted).
 */
export interface CacheStore {
  /** A live entry with its value, or `null` (absent or expired: expired entries are never returned). */
  get(namespace: string, key: string, options?: CacheGetOptions): Promise<CacheEntry | null>
  /** Inserts or replaces the entry for `key` (hits reset to 0). */
  set(entry: NewCacheEntry): Promise<CacheEntryMeta>
  /** Deletes one entry; `false` if absent. */
  delete(namespace: string, key: string): Promise<boolean>
  /** Deletes the entries matching all given criteria; returns how many. */
  invalidate(namespace: string, criteria: InvalidateCriteria): Promise<number>
  /** Live entries without their values, filtered and paginated. */
  list(query: CacheQuery): Promise<Page<CacheEntryMeta>>
  /** Count and total size of the live entries of a namespace. */
  stats(namespace: string): Promise<CacheStats>
  /** Deletes expired entries in every namespace; returns how many. */
  purgeExpired(): Promise<number>
  /** Applies writes the store batches (hit counts), if it batches any. */
  flush?(): Promise<void>
  /**
   * Optional: stores `entry` and ends the run `runId` of the same namespace that computed it
   * (`started → finished`, `result` → the entry) in **one** atomic step (SQLite: one write
   * transaction). `null`, with nothing written, when the run is no longer `started` (paused,
   * cancelled, lost): the caller records its end the ordinary way. What a cache fill does when its
   * function returns; a store without it is written in two steps (`set`, then `computations.update`).
   */
  setAndFinish?(entry: NewCacheEntry, runId: string): Promise<FillFinished | null>
}

/** What `CacheStore.setAndFinish` wrote: the entry's metadata and the finished run. */
export interface FillFinished {
  meta: CacheEntryMeta
  record: Computation
}

export interface StoreCapabilities {
  /** Safe for several processes sharing the store. */
  multiProcess: boolean
  /** Safe for several machines sharing the store. */
  multiMachine: boolean
  /** Largest encoded cache value accepted, in bytes. */
  maxValueBytes: number
}

export interface PingResult {
  ok: boolean
  latencyMs: number
  error?: string
}

export interface Store {
  /** `'memory'`, `'sqlite'`, `'mongo'`, … */
  readonly kind: string
  readonly capabilities: StoreCapabilities
  readonly computations: ComputationStore
  readonly cache: CacheStore
  /** The queue port (`queue-ports.ts`), for `@comp-manager/worker`; absent in a store without one. */
  readonly queue?: QueueStore
  /** The event log port (`event-ports.ts`): what changed, in order; absent in a store without one. */
  readonly events?: EventLogStore
  /** The document port (`document-ports.ts`): small revisioned JSON state; absent in a store without one. */
  readonly documents?: DocumentStore
  /** A cheap round trip to the backend, with its latency; never throws. */
  ping(): Promise<PingResult>
  /** Releases what the store opened (never what it was given). Idempotent. */
  close(): Promise<void>
}
