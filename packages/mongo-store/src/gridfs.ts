import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { GridFSBucket, ObjectId } from 'mongodb'
import { isFileNotFoundError } from './errors.js'

/**
 * Large cache values in GridFS: one file per value, streamed in 255 KiB chunks. The file's
 * `metadata` names the entry (`namespace`, `key`) so an orphan left by a crash can be traced.
 */
export class ValueFiles {
  /**
   * @param bucket writes and deletes, and reads that must see the latest writes (primary)
   * @param readBucket reads under the store's read preference
   */
  constructor(
    private readonly bucket: GridFSBucket,
    private readonly readBucket: GridFSBucket = bucket,
  ) {}

  /** Uploads `value` as UTF-8 and returns the new file's id. */
  async upload(namespace: string, key: string, value: string): Promise<ObjectId> {
    const upload = this.bucket.openUploadStream(`${namespace}/${key}`, {
      metadata: { store: 'comp-manager', namespace, key },
    })
    await pipeline(Readable.from([Buffer.from(value, 'utf8')]), upload)
    return upload.id
  }

  /** Streams a file back (UTF-8 bytes); `null` when the file (or one of its chunks) is gone. */
  async download(id: ObjectId, options: { primary?: boolean } = {}): Promise<Buffer | null> {
    const bucket = options.primary ? this.bucket : this.readBucket
    const chunks: Buffer[] = []
    try {
      for await (const chunk of bucket.openDownloadStream(id)) chunks.push(chunk as Buffer)
    } catch (err) {
      if (isFileNotFoundError(err)) return null
      throw err
    }
    return Buffer.concat(chunks)
  }

  /**
   * Deletes the file of a value that is no longer referenced, after the operation that replaced or
   * removed it has completed: a failure must not fail that operation. The file is left as an orphan
   * for `sweepOrphans`.
   */
  async deleteUnreferenced(id: ObjectId): Promise<void> {
    await this.delete(id).catch(() => undefined)
  }

  /**
   * Deletes comp-manager files uploaded before `before` that `isReferenced` does not claim (a crash
   * between upload and write, or a failed cleanup). Returns how many were deleted.
   */
  async sweepOrphans(before: Date, isReferenced: (id: ObjectId) => Promise<boolean>): Promise<number> {
    const files = await this.bucket
      .find({ uploadDate: { $lt: before }, 'metadata.store': { $eq: 'comp-manager' } })
      .project<{ _id: ObjectId }>({ _id: 1 })
      .toArray()
    let deleted = 0
    for (const { _id } of files) {
      if (await isReferenced(_id)) continue
      await this.delete(_id)
      deleted++
    }
    return deleted
  }

  /** Deletes a file and its chunks; a file already gone is not an error. */
  async delete(id: ObjectId): Promise<void> {
    try {
      await this.bucket.delete(id)
    } catch (err) {
      if (!isFileNotFoundError(err)) throw err
    }
  }
}
