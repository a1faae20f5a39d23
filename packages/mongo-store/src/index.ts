/**
 * `@comp-manager/mongo-store`: the production / multi-machine comp-manager Store on MongoDB.
 *
 * ```ts
 * import { createMongoStore } from '@comp-manager/mongo-store'
 * const store = await createMongoStore({ url: 'mongodb://localhost:27017/comp-manager' })
 * ```
 */
export { MongoCacheStore } from './cache.js'
export { MongoComputationStore } from './computations.js'
export {
  type CacheEntryDocument,
  type ComputationDocument,
  cacheEntryUpgrades,
  computationUpgrades,
  DOCUMENT_VERSION,
  fromCacheEntryDocument,
  fromComputationDocument,
  toCacheEntryDocument,
  toComputationDocument,
  type UpgradeRegistry,
  type UpgradeStep,
  upgradeDocument,
  type ValueStorage,
} from './documents.js'
export { isDuplicateKeyError, mapMongoError } from './errors.js'
export {
  cacheEntryIndexes,
  cacheIndexes,
  cacheTtlIndex,
  computationIndexes,
  type IndexSpec,
} from './indexes.js'
export {
  DEFAULT_MIGRATION_BATCH,
  DEFAULT_MIGRATION_PAUSE_MS,
  type MigrateOptions,
  type MigrationProgress,
  type MigrationReport,
} from './migration.js'
export {
  DEFAULT_BUCKET_NAME,
  DEFAULT_CACHE_COLLECTION,
  DEFAULT_COMPUTATIONS_COLLECTION,
  DEFAULT_GRIDFS_THRESHOLD_BYTES,
  DEFAULT_MAX_VALUE_BYTES,
  DEFAULT_PING_TIMEOUT_MS,
  MAX_GRIDFS_THRESHOLD_BYTES,
  type MongoStoreOptions,
} from './options.js'
export { createMongoStore, MongoStore } from './store.js'
