import type { Clock } from '@comp-manager/core'
import type { Collection, Document } from 'mongodb'
import type { ValueFiles } from './gridfs.js'
import type { IndexGuard } from './index-guard.js'

/** What the computation and cache halves of a `MongoStore` share. */
export interface StoreContext {
  /** The store's time line (corrected to the server's in `leaseClock: 'server'` mode). */
  readonly clock: Clock
  /** A lease deadline given on the caller's (base) clock → on the store's time line. */
  leaseInstant(ms: number): number
  /** Lease expiry is decided by the server's clock (`$$NOW`). */
  readonly serverDecidesExpiry: boolean
  /** Computation documents have string ids (time-ordered UUIDs). */
  readonly computations: Collection<Document & { _id: string }>
  readonly cacheEntries: Collection<Document>
  readonly files: ValueFiles
  readonly gridFsThresholdBytes: number
  readonly maxValueBytes: number
  /** The unique indexes single flight needs: claims are refused while one is missing. */
  readonly indexes: IndexGuard
  /** Throws `CM_ERR_STORE_UNAVAILABLE` once the store is closed (checked before validating input). */
  assertOpen(): void
  /**
   * Runs one store operation: refuses it once the store is closed, waits for `init()` (indexes),
   * and maps driver errors to comp-manager errors.
   */
  run<T>(operation: string, fn: () => Promise<T>): Promise<T>
}

/** Reads that decide a write (claims, compare-and-set) must see the latest write: the primary. */
export const PRIMARY = { readPreference: 'primary' } as const

/** How many times a compare-and-set that keeps losing to other writers is retried before `CM_ERR_CONFLICT`. */
export const MAX_CAS_ROUNDS = 64
