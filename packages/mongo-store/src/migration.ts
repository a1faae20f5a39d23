import { setTimeout as sleep } from 'node:timers/promises'
import { cmError, isCompManagerError } from '@comp-manager/core'
import type { Collection, Document } from 'mongodb'
import {
  cacheEntryUpgrades,
  computationUpgrades,
  DOCUMENT_VERSION,
  fromComputationDocument,
  toComputationDocument,
  type UpgradeRegistry,
  upgradeDocument,
} from './documents.js'
import { fitting } from './sizes.js'

/** Options of `MongoStore.migrate()`. */
export interface MigrateOptions {
  /** Documents read and rewritten per batch (default 200, at most 5000). */
  batchSize?: number
  /** Milliseconds to wait between batches, so the store's own operations go first (default 100). */
  pauseMs?: number
  /** Stops the migration after the batch in progress (it resumes where it was on the next call). */
  signal?: AbortSignal
  /** After every batch, with the counts so far. */
  onProgress?: (progress: MigrationProgress) => void
}

/** How far a migration of one collection got. */
export interface MigrationProgress {
  collection: 'computations' | 'cacheEntries'
  /** Documents in an older layout when the migration of this collection started. */
  pending: number
  /** Rewritten in the current layout by this migration. */
  migrated: number
  /** Written by someone else between the read and the rewrite (a lazy upgrade did it, or the next call will). */
  raced: number
  /** Not readable (a corrupt document) or not writable (duplicate key, too large): left as they are. */
  failed: number
  batches: number
}

/** What `migrate()` did: per collection, and whether it was stopped (by `signal` or `close()`). */
export interface MigrationReport {
  computations: MigrationProgress
  cacheEntries: MigrationProgress
  stopped: boolean
}

export const DEFAULT_MIGRATION_BATCH = 200
export const DEFAULT_MIGRATION_PAUSE_MS = 100

/** Documents in a layout older than the current one (a missing `schemaVersion` is version 0). */
export const OLD_LAYOUT: Document = {
  $or: [{ schemaVersion: null }, { schemaVersion: { $lt: DOCUMENT_VERSION } }],
}

export function resolveMigrateOptions(options: MigrateOptions = {}) {
  const fail = (option: string, expected: string): never => {
    throw cmError('CM_ERR_INVALID_ARGUMENT', `migrate: ${option} must be ${expected}`, {
      details: { option },
    })
  }
  if (typeof options !== 'object' || options === null) fail('options', 'an object')
  const { batchSize = DEFAULT_MIGRATION_BATCH, pauseMs = DEFAULT_MIGRATION_PAUSE_MS } = options
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 5000)
    fail('batchSize', 'an integer from 1 to 5000')
  if (!Number.isInteger(pauseMs) || pauseMs < 0 || pauseMs > 60_000)
    fail('pauseMs', 'an integer number of ms from 0 to 60000')
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal))
    fail('signal', 'an AbortSignal')
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function')
    fail('onProgress', 'a function')
  return { ...options, batchSize, pauseMs }
}

/** One collection's migration: how to read, rewrite and guard a document. */
export interface MigrationTarget {
  name: MigrationProgress['collection']
  collection: Collection<Document>
  registry: UpgradeRegistry
  /** The current-layout document to write for an old one (throws for an unreadable one). */
  rewrite(doc: Document): Document
  /** The fields that must be unchanged for the rewrite to apply (a compare-and-set on the read). */
  guard(doc: Document): Document
}

const same = (value: unknown) => (value === undefined || value === null ? null : { $eq: value })

export const computationTarget = (collection: Collection<Document>): MigrationTarget => ({
  name: 'computations',
  collection,
  registry: computationUpgrades,
  rewrite: (doc) => {
    const record = fromComputationDocument(upgradeDocument(doc, computationUpgrades))
    const rev = typeof doc.rev === 'number' ? doc.rev + 1 : 1
    return fitting(toComputationDocument(record, rev))
  },
  guard: (doc) => ({ rev: same(doc.rev), schemaVersion: same(doc.schemaVersion) }),
})

export const cacheEntryTarget = (collection: Collection<Document>): MigrationTarget => ({
  name: 'cacheEntries',
  collection,
  registry: cacheEntryUpgrades,
  rewrite: (doc) => {
    const { _id, ...upgraded } = upgradeDocument(doc, cacheEntryUpgrades)
    return upgraded
  },
  // Hit counts are the only writes an old entry gets in place.
  guard: (doc) => ({ hits: same(doc.hits), schemaVersion: same(doc.schemaVersion) }),
})

const REFUSED = ['CM_ERR_DUPLICATE', 'CM_ERR_VALUE_TOO_LARGE', 'CM_ERR_INVALID_ARGUMENT'] as const

type Run = <T>(operation: string, fn: () => Promise<T>) => Promise<T>

/**
 * Rewrites the old-layout documents of `target` in batches of `batchSize`, in `_id` order, waiting
 * `pauseMs` between batches. Each rewrite is a `replaceOne` guarded on what was read, so a concurrent
 * write wins and nothing is lost; a document it cannot upgrade is counted and left alone. The state
 * lives in the documents (their `schemaVersion`): a stopped migration resumes by being called again.
 */
export async function migrateCollection(
  run: Run,
  target: MigrationTarget,
  options: ReturnType<typeof resolveMigrateOptions>,
  stopped: () => boolean,
): Promise<MigrationProgress> {
  const progress: MigrationProgress = {
    collection: target.name,
    pending: await run('migrate.count', () => target.collection.countDocuments(OLD_LAYOUT)),
    migrated: 0,
    raced: 0,
    failed: 0,
    batches: 0,
  }
  let after: unknown
  while (!stopped()) {
    const filter = after === undefined ? OLD_LAYOUT : { $and: [OLD_LAYOUT, { _id: { $gt: after } }] }
    const batch = await run('migrate.read', () =>
      target.collection
        .find(filter, { readPreference: 'primary' })
        .sort({ _id: 1 })
        .limit(options.batchSize)
        .toArray(),
    )
    if (batch.length === 0) break
    for (const doc of batch) await migrateOne(run, target, doc, progress)
    after = batch[batch.length - 1]!._id
    progress.batches++
    options.onProgress?.({ ...progress })
    if (batch.length < options.batchSize) break
    if (options.pauseMs > 0 && !stopped()) await sleep(options.pauseMs)
  }
  return progress
}

async function migrateOne(
  run: Run,
  target: MigrationTarget,
  doc: Document,
  progress: MigrationProgress,
): Promise<void> {
  let next: Document
  try {
    next = target.rewrite(doc)
  } catch {
    progress.failed++
    return
  }
  try {
    const result = await run('migrate.write', () =>
      target.collection.replaceOne({ _id: doc._id, ...target.guard(doc) }, next),
    )
    if (result.matchedCount === 1) progress.migrated++
    else progress.raced++
  } catch (err) {
    // A document the server refuses (duplicate key, too large, invalid) is left as it is; anything
    // else (the server is gone) ends the migration.
    if (REFUSED.some((code) => isCompManagerError(err, code))) progress.failed++
    else throw err
  }
}

/** `MongoStore.migrate()`: computations first, then cache entries. */
export async function migrateDocuments(
  run: Run,
  collections: { computations: Collection<Document>; cacheEntries: Collection<Document> },
  options: MigrateOptions | undefined,
  closing: () => boolean,
): Promise<MigrationReport> {
  const o = resolveMigrateOptions(options)
  const stopped = () => closing() || o.signal?.aborted === true
  const computations = await migrateCollection(run, computationTarget(collections.computations), o, stopped)
  const cacheEntries = await migrateCollection(run, cacheEntryTarget(collections.cacheEntries), o, stopped)
  return { computations, cacheEntries, stopped: stopped() }
}
