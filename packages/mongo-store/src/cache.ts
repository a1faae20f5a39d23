import type {
  CacheEntry,
  CacheEntryMeta,
  CacheStats,
  InvalidateCriteria,
  NewCacheEntry,
} from '@comp-manager/core'
import {
  buildCacheEntryMeta,
  type CacheBackend,
  type HitCount,
  type ListSlice,
  type NormalizedCacheQuery,
} from '@comp-manager/core/store-kit'
import type { Document, ObjectId } from 'mongodb'
import { PRIMARY, type StoreContext } from './context.js'
import {
  cacheEntryUpgrades,
  fromCacheEntryDocument,
  toCacheEntryDocument,
  toDate,
  upgradeDocument,
} from './documents.js'
import { isDuplicateKeyError } from './errors.js'
import {
  and,
  cacheAfter,
  cacheListFilter,
  cacheSort,
  eq,
  expiredEntryFilter,
  invalidateFilter,
  liveEntryFilter,
  namespaceFilter,
  timeCondition,
} from './filters.js'
import { chooseStorage } from './sizes.js'

const toMeta = (doc: Document): CacheEntryMeta =>
  fromCacheEntryDocument(upgradeDocument(doc, cacheEntryUpgrades))

/** Documents whose value is inline (also version-0 documents, which have no `storage`). */
const INLINE = { storage: { $ne: 'gridfs' } }
const GRIDFS = { storage: { $eq: 'gridfs' } }

/** How often `get` re-reads an entry whose GridFS file vanished under it (a concurrent `set`). */
const FILE_RACE_RETRIES = 3
/** How often `set` retries an upsert that raced another upsert of the same key. */
const UPSERT_RETRIES = 3

function byKey(namespace: string, key: string): Document {
  return { namespace: eq(namespace, 'namespace'), key: eq(key, 'key') }
}

/**
 * The cache half of `MongoStore`. Values up to `gridFsThresholdBytes` live in the entry document;
 * larger ones in a GridFS file that is deleted with the entry (delete, invalidate, purge, or a `set`
 * replacing it). Expired entries are filtered out of every read, whether or not MongoDB's TTL
 * monitor (which runs once a minute) has removed them yet.
 */
export class MongoCacheStore implements CacheBackend {
  constructor(private readonly ctx: StoreContext) {}

  private get collection() {
    return this.ctx.cacheEntries
  }

  assertOpen(): void {
    this.ctx.assertOpen()
  }

  async get(namespace: string, key: string): Promise<CacheEntry | null> {
    this.ctx.assertOpen()
    return this.ctx.run('cache.get', async () => {
      for (let round = 0; round <= FILE_RACE_RETRIES; round++) {
        const now = this.ctx.clock()
        const filter = and(byKey(namespace, key), liveEntryFilter(now))
        // A hit is a read (of a secondary when the read preference allows): the guard batches the
        // hit counts into `addHits`.
        const doc = await this.collection.findOne(filter, round === 0 ? {} : PRIMARY)
        if (doc === null) return null
        const meta = toMeta(doc)
        if (doc.storage !== 'gridfs') return { ...meta, value: String(doc.value ?? '') }
        const bytes = await this.ctx.files.download(doc.valueFile as ObjectId, { primary: round > 0 })
        // Gone or cut short: a concurrent set/delete replaced the entry; read it again.
        if (bytes !== null && bytes.length === meta.size) return { ...meta, value: bytes.toString('utf8') }
      }
      return null
    })
  }

  async set(entry: NewCacheEntry): Promise<CacheEntryMeta> {
    this.ctx.assertOpen()
    return this.ctx.run('cache.set', async () => {
      const meta = buildCacheEntryMeta(entry, this.ctx.clock())
      const storage = chooseStorage(
        { size: meta.size, thresholdBytes: this.ctx.gridFsThresholdBytes },
        (where) => toCacheEntryDocument(meta, where),
        entry.value,
      )
      const file =
        storage === 'gridfs' ? await this.ctx.files.upload(entry.namespace, entry.key, entry.value) : null
      const doc = toCacheEntryDocument(
        meta,
        file === null ? { storage: 'inline', value: entry.value } : { storage: 'gridfs', valueFile: file },
      )
      let previous: Document | null
      try {
        previous = await this.upsert(byKey(entry.namespace, entry.key), doc)
      } catch (err) {
        if (file !== null) await this.ctx.files.delete(file).catch(() => undefined)
        throw err
      }
      if (previous?.storage === 'gridfs' && previous.valueFile)
        await this.ctx.files.deleteUnreferenced(previous.valueFile)
      return toMeta(doc)
    })
  }

  async delete(namespace: string, key: string): Promise<boolean> {
    this.ctx.assertOpen()
    return this.ctx.run('cache.delete', async () => {
      // An expired entry counts as absent (`false`) and stays for purgeExpired / the TTL monitor.
      const doc = await this.collection.findOneAndDelete(
        and(byKey(namespace, key), liveEntryFilter(this.ctx.clock())),
      )
      if (doc === null) return false
      if (doc.storage === 'gridfs' && doc.valueFile) await this.ctx.files.deleteUnreferenced(doc.valueFile)
      return true
    })
  }

  async invalidate(namespace: string, criteria: InvalidateCriteria): Promise<number> {
    this.ctx.assertOpen()
    return this.ctx.run('cache.invalidate', async () => {
      // Only live entries are selected (and counted): expired ones are already absent, and are
      // left to purgeExpired / the TTL monitor, so the count never depends on when those ran.
      const now = this.ctx.clock()
      const selected = and(invalidateFilter(namespace, criteria), liveEntryFilter(now))
      const fromFiles = await this.deleteFileBacked(selected)
      const inline = await this.collection.deleteMany(and(selected, INLINE))
      return fromFiles + inline.deletedCount
    })
  }

  async list(q: NormalizedCacheQuery): Promise<ListSlice<CacheEntryMeta>> {
    this.ctx.assertOpen()
    return this.ctx.run('cache.list', async () => {
      const filter = cacheListFilter(q, this.ctx.clock())
      const [docs, total] = await Promise.all([
        this.collection
          .find(and(filter, cacheAfter(q)), { projection: { value: 0 } })
          .sort(cacheSort(q))
          .skip(q.offset)
          .limit(q.perPage + 1)
          .toArray(),
        this.collection.countDocuments(filter, { limit: q.countLimit + 1 }),
      ])
      return { rows: docs.map(toMeta), total }
    })
  }

  async stats(namespace: string): Promise<CacheStats> {
    this.ctx.assertOpen()
    return this.ctx.run('cache.stats', async () => {
      const [row] = await this.collection
        .aggregate<{ entries: number; bytes: number }>([
          { $match: and(namespaceFilter([namespace]), liveEntryFilter(this.ctx.clock())) },
          { $group: { _id: null, entries: { $sum: 1 }, bytes: { $sum: '$size' } } },
        ])
        .toArray()
      return { entries: row?.entries ?? 0, bytes: row?.bytes ?? 0 }
    })
  }

  async purgeExpired(): Promise<number> {
    this.ctx.assertOpen()
    return this.ctx.run('cache.purgeExpired', async () => {
      const now = this.ctx.clock()
      const expired = expiredEntryFilter(now)
      const fromFiles = await this.deleteFileBacked(expired)
      const inline = await this.collection.deleteMany(and(expired, INLINE))
      return fromFiles + inline.deletedCount
    })
  }

  /** Adds batched hit counts in one unordered bulk write (each entry only if it is still the one hit). */
  async addHits(hits: readonly HitCount[]): Promise<void> {
    this.ctx.assertOpen()
    if (hits.length === 0) return
    await this.ctx.run('cache.addHits', async () => {
      await this.collection.bulkWrite(
        hits.map((hit) => ({
          updateOne: {
            filter: {
              ...byKey(hit.namespace, hit.key),
              ...timeCondition('createdAt', { $eq: hit.createdAt }),
            },
            update: { $inc: { hits: hit.count }, $max: { lastHitAt: toDate(hit.lastHitAt) } },
          },
        })),
        { ordered: false },
      )
    })
  }

  /**
   * Deletes GridFS files no entry references that were uploaded more than `graceMs` ago (younger
   * ones may belong to a `set` still in flight). Returns how many were deleted.
   */
  async sweepOrphanFiles(graceMs: number): Promise<number> {
    this.ctx.assertOpen()
    return this.ctx.run('cache.sweepOrphanFiles', () =>
      this.ctx.files.sweepOrphans(new Date(this.ctx.clock() - graceMs), async (id) => {
        const entry = await this.collection.findOne(
          { valueFile: { $eq: id } },
          { ...PRIMARY, projection: { _id: 1 } },
        )
        return entry !== null
      }),
    )
  }

  // ---- internals ------------------------------------------------------------------------------

  /** Replaces (or inserts) the entry of a key; returns the document it replaced, if any. */
  private async upsert(filter: Document, doc: Document): Promise<Document | null> {
    for (let round = 0; ; round++) {
      try {
        return await this.collection.findOneAndReplace(filter, doc, {
          upsert: true,
          returnDocument: 'before',
        })
      } catch (err) {
        // Two upserts of a new key can both try to insert; the loser retries as a replace.
        if (!isDuplicateKeyError(err) || round >= UPSERT_RETRIES) throw err
      }
    }
  }

  /**
   * Deletes the GridFS-backed entries matching `filter` one at a time, each with its file and only
   * while it still matches and points at the file seen. Returns how many were deleted.
   */
  private async deleteFileBacked(filter: Document): Promise<number> {
    const docs = await this.collection
      .find(and(filter, GRIDFS), { ...PRIMARY, projection: { _id: 1, valueFile: 1 } })
      .toArray()
    let count = 0
    for (const { _id, valueFile } of docs) {
      const deleted = await this.collection.findOneAndDelete(
        and(filter, { _id: { $eq: _id }, valueFile: { $eq: valueFile } }),
      )
      if (deleted === null) continue
      await this.ctx.files.deleteUnreferenced(valueFile as ObjectId)
      count++
    }
    return count
  }
}
