import type { IndexDescription } from 'mongodb'

/**
 * The indexes the store creates, as data (so they can be reviewed and tested without a server).
 * Every name starts with `cm_`; creating them again is a no-op.
 */

/** One index: its key pattern and options (`name` always set). */
export interface IndexSpec extends IndexDescription {
  name: string
  key: Record<string, 1 | -1>
}

/** Indexes of the computations collection. */
export const computationIndexes: readonly IndexSpec[] = [
  {
    // One document per attempt of a hash; claims insert `attempt + 1` and this index picks one winner.
    name: 'cm_namespace_hash_attempt',
    key: { namespace: 1, hash: 1, attempt: 1 },
    unique: true,
  },
  // Listings: each filter followed by each sort and its tie-breaker `_id`, so that a page, a cursor
  // position and a bounded count are index ranges (no in-memory sort, no skip over a collection).
  { name: 'cm_namespace_createdAt_id', key: { namespace: 1, createdAt: 1, _id: 1 } },
  { name: 'cm_namespace_updatedAt_id', key: { namespace: 1, updatedAt: 1, _id: 1 } },
  { name: 'cm_namespace_status_createdAt_id', key: { namespace: 1, status: 1, createdAt: 1, _id: 1 } },
  { name: 'cm_namespace_status_updatedAt_id', key: { namespace: 1, status: 1, updatedAt: 1, _id: 1 } },
  // `function` matches `function` or `functionFull`: one index per branch of the $or.
  { name: 'cm_namespace_function_createdAt_id', key: { namespace: 1, function: 1, createdAt: 1, _id: 1 } },
  { name: 'cm_namespace_function_updatedAt_id', key: { namespace: 1, function: 1, updatedAt: 1, _id: 1 } },
  {
    name: 'cm_namespace_functionFull_createdAt_id',
    key: { namespace: 1, functionFull: 1, createdAt: 1, _id: 1 },
  },
  {
    name: 'cm_namespace_functionFull_updatedAt_id',
    key: { namespace: 1, functionFull: 1, updatedAt: 1, _id: 1 },
  },
  // Lost-run sweeps across namespaces: live statuses with an expired lease, oldest first.
  { name: 'cm_status_leaseUntil', key: { status: 1, leaseUntil: 1 } },
  // queue.claimNext: the queued jobs in claim order (priority desc, due time, creation, id).
  { name: 'cm_queue_claim', key: { status: 1, priority: -1, dueAt: 1, createdAt: 1, _id: 1 } },
  // Fleet-wide limits: the running claimed jobs of a function.
  { name: 'cm_queue_slots', key: { status: 1, function: 1, leaseUntil: 1 } },
]

/** Indexes of the queue's worker registry and schedules collections. */
export const workerIndexes: readonly IndexSpec[] = [{ name: 'cm_expiresAt', key: { expiresAt: 1 } }]
export const scheduleIndexes: readonly IndexSpec[] = [
  { name: 'cm_namespace_nextRunAt', key: { namespace: 1, nextRunAt: 1 } },
]

/** The TTL index: MongoDB deletes inline entries once `expiresAt` (a BSON Date) has passed. */
export const cacheTtlIndex: IndexSpec = {
  name: 'cm_ttl_expiresAt',
  key: { expiresAt: 1 },
  expireAfterSeconds: 0,
  // GridFS-backed entries are left to `purgeExpired()`, which deletes their chunks too: the TTL
  // monitor would delete the entry and orphan its file.
  partialFilterExpression: { storage: 'inline' },
}

/** Indexes of the cache collection (without the TTL index, see `cacheTtlIndex`). */
export const cacheEntryIndexes: readonly IndexSpec[] = [
  { name: 'cm_namespace_key', key: { namespace: 1, key: 1 }, unique: true },
  { name: 'cm_namespace_tags', key: { namespace: 1, tags: 1 } },
  // Listings: each filter followed by the sort and its tie-breakers (key, then namespace).
  { name: 'cm_namespace_createdAt_key', key: { namespace: 1, createdAt: 1, key: 1 } },
  { name: 'cm_namespace_hits_key', key: { namespace: 1, hits: 1, key: 1 } },
  { name: 'cm_namespace_size_key', key: { namespace: 1, size: 1, key: 1 } },
  { name: 'cm_namespace_version_createdAt_key', key: { namespace: 1, version: 1, createdAt: 1, key: 1 } },
  { name: 'cm_namespace_function_createdAt_key', key: { namespace: 1, function: 1, createdAt: 1, key: 1 } },
  {
    name: 'cm_namespace_functionFull_createdAt_key',
    key: { namespace: 1, functionFull: 1, createdAt: 1, key: 1 },
  },
  // purgeExpired(): expired GridFS-backed entries, and inline ones when the TTL index is off.
  { name: 'cm_storage_expiresAt', key: { storage: 1, expiresAt: 1 } },
]

/** The cache indexes to create, with or without the TTL index. */
export function cacheIndexes(options: { ttlIndex: boolean }): IndexSpec[] {
  return options.ttlIndex ? [...cacheEntryIndexes, cacheTtlIndex] : [...cacheEntryIndexes]
}
