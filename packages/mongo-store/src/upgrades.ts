import { cmError } from '@comp-manager/core'
import { utf8Length } from '@comp-manager/core/store-kit'
import type { Document } from 'mongodb'
import { toMs } from './timestamps.js'

/**
 * The lazy upgrade of stored documents: a document written by an older layout is brought up to the
 * current one in memory when it is read (`upgradeDocument`), and written back whole by the next write
 * of that record.
 */

/**
 * The document layout this package writes, stored as `schemaVersion` in every document. It versions
 * the MongoDB layout (field names, Dates, JSON text), independently of the domain records'
 * `SCHEMA_VERSION`: a new layout adds a step to `computationUpgrades` / `cacheEntryUpgrades`.
 */
export const DOCUMENT_VERSION = 3

// ---- lazy upgrade -----------------------------------------------------------------------------

/** Upgrades a document from version `n` to `n + 1`; gets a copy it may change. */
export type UpgradeStep = (doc: Document) => Document

/** Per-version upgrade steps of one collection: `steps[n]` turns version `n` into `n + 1`. */
export interface UpgradeRegistry {
  readonly collection: string
  readonly current: number
  readonly steps: Readonly<Record<number, UpgradeStep>>
}

const asDate = (value: unknown): Date | null => {
  const ms = toMs(value)
  return ms === null ? null : new Date(ms)
}

/**
 * Version 0: documents without `schemaVersion`, as written by pre-release builds or imported by
 * hand. `args` and `checkpoint` are embedded documents, `progress` may be a bare fraction, and
 * `attempt`, `hashAlgorithm`, `name`, `functionFull` may be missing; timestamps may be epoch-ms
 * numbers instead of Dates.
 */
function computationV0toV1(doc: Document): Document {
  const progress = typeof doc.progress === 'number' ? { fraction: doc.progress } : (doc.progress ?? null)
  const { args, checkpoint, ...rest } = doc
  return {
    ...rest,
    name: doc.name ?? doc.function,
    functionFull: doc.functionFull ?? doc.function,
    argsJson: typeof doc.argsJson === 'string' ? doc.argsJson : JSON.stringify(args ?? null),
    checkpointJson:
      typeof doc.checkpointJson === 'string'
        ? doc.checkpointJson
        : checkpoint == null
          ? null
          : JSON.stringify(checkpoint),
    hashAlgorithm: doc.hashAlgorithm ?? 'sha256',
    attempt: typeof doc.attempt === 'number' ? doc.attempt : 1,
    pid: doc.pid ?? null,
    host: doc.host ?? null,
    owner: doc.owner ?? null,
    message: doc.message ?? null,
    error: doc.error ?? null,
    progress,
    result: doc.result ?? null,
    createdAt: asDate(doc.createdAt),
    updatedAt: asDate(doc.updatedAt ?? doc.createdAt),
    startedAt: asDate(doc.startedAt),
    finishedAt: asDate(doc.finishedAt),
    pausedAt: asDate(doc.pausedAt),
    heartbeatAt: asDate(doc.heartbeatAt),
    leaseUntil: asDate(doc.leaseUntil),
  }
}

/**
 * Version 1 → 2: running time accounted by segments (`activeMs`, `activeSince`) and pause requests.
 * Version 1 derived the running time from start and finish; the upgrade keeps what it showed, paused
 * time excluded where it is known (a paused run ran until it was paused; a lost one until its last
 * heartbeat).
 */
function computationV1toV2(doc: Document): Document {
  const started = toMs(doc.startedAt)
  const span = (end: unknown) => {
    const to = toMs(end)
    return started === null || to === null ? 0 : Math.max(0, to - started)
  }
  let activeMs = 0
  if (doc.status === 'paused') activeMs = span(doc.pausedAt)
  else if (doc.status === 'lost') activeMs = span(doc.heartbeatAt ?? doc.finishedAt)
  else if (doc.status === 'finished' || doc.status === 'failed') activeMs = span(doc.finishedAt)
  return {
    ...doc,
    activeMs,
    activeSince: doc.status === 'started' && started !== null ? new Date(started) : null,
    pauseRequestedAt: null,
  }
}

/**
 * Version 2 → 3: the queue fields, with the defaults of a record that was never queued by a worker.
 * Fields a claim already `$set` on a version-2 document (`worker`) are kept.
 */
function computationV2toV3(doc: Document): Document {
  return {
    ...doc,
    priority: typeof doc.priority === 'number' ? doc.priority : 0,
    runAt: doc.runAt ?? null,
    maxAttempts: typeof doc.maxAttempts === 'number' ? doc.maxAttempts : 1,
    worker: typeof doc.worker === 'string' ? doc.worker : null,
    dueAt: asDate(doc.runAt ?? doc.createdAt),
  }
}

/** Version 0 of a cache entry: the value always inline, no `storage`, `algorithm` maybe missing. */
function cacheEntryV0toV1(doc: Document): Document {
  const { args, ...rest } = doc
  const value = typeof doc.value === 'string' ? doc.value : null
  return {
    ...rest,
    functionFull: doc.functionFull ?? doc.function,
    version: doc.version ?? null,
    algorithm: doc.algorithm ?? 'sha256',
    argsJson: typeof doc.argsJson === 'string' ? doc.argsJson : args == null ? null : JSON.stringify(args),
    storage: doc.storage ?? 'inline',
    value,
    valueFile: doc.valueFile ?? null,
    size: typeof doc.size === 'number' ? doc.size : value === null ? 0 : utf8Length(value),
    tags: Array.isArray(doc.tags) ? doc.tags : [],
    createdAt: asDate(doc.createdAt),
    expiresAt: asDate(doc.expiresAt),
    hits: typeof doc.hits === 'number' ? doc.hits : 0,
    lastHitAt: asDate(doc.lastHitAt),
  }
}

/** Upgrade steps of computation documents. */
export const computationUpgrades: UpgradeRegistry = {
  collection: 'computations',
  current: DOCUMENT_VERSION,
  steps: { 0: computationV0toV1, 1: computationV1toV2, 2: computationV2toV3 },
}

/** Upgrade steps of cache entry documents. */
export const cacheEntryUpgrades: UpgradeRegistry = {
  collection: 'cache entries',
  current: DOCUMENT_VERSION,
  // Cache entries did not change in versions 2 and 3.
  steps: { 0: cacheEntryV0toV1, 1: (doc: Document) => doc, 2: (doc: Document) => doc },
}

/** The `schemaVersion` of a stored document (a missing one is version 0). */
export function documentVersion(doc: Document): number {
  return doc.schemaVersion === undefined || doc.schemaVersion === null ? 0 : Number(doc.schemaVersion)
}

/**
 * Brings a document read from MongoDB up to the current layout, one registered step at a time; the
 * input is not modified. A document of a newer version than this package knows is refused with
 * `CM_ERR_SCHEMA_VERSION` (upgrade the package rather than misread it).
 */
export function upgradeDocument(doc: Document, registry: UpgradeRegistry = computationUpgrades): Document {
  let version = documentVersion(doc)
  if (!Number.isInteger(version) || version < 0) {
    throw cmError(
      'CM_ERR_SCHEMA_VERSION',
      `${registry.collection}: invalid schemaVersion ${String(doc.schemaVersion)}`,
      {
        details: { schemaVersion: doc.schemaVersion },
      },
    )
  }
  if (version > registry.current) {
    throw cmError(
      'CM_ERR_SCHEMA_VERSION',
      `${registry.collection}: document schemaVersion ${version} is newer than this package's ${registry.current}; upgrade @comp-manager/mongo-store`,
      { details: { schemaVersion: version, supported: registry.current } },
    )
  }
  let current = doc
  while (version < registry.current) {
    const step = registry.steps[version]
    if (step === undefined) {
      throw cmError(
        'CM_ERR_SCHEMA_VERSION',
        `${registry.collection}: no upgrade from schemaVersion ${version}`,
        {
          details: { schemaVersion: version },
        },
      )
    }
    current = { ...step({ ...current }), schemaVersion: version + 1 }
    version++
  }
  return current
}
