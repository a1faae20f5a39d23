import { cmError } from '@comp-manager/core'
import { type Db, GridFSBucket, MongoClient, type MongoClientOptions } from 'mongodb'
import { ValueFiles } from './gridfs.js'
import type { ResolvedOptions } from './options.js'

/** The database, and the client the store may own, of the `db` / `client` / `url` option. */
export function connectionOf(source: ResolvedOptions['source']): {
  db: Db
  client: MongoClient | undefined
  ownsClient: boolean
} {
  if (source.kind === 'db') return { db: source.db, client: undefined, ownsClient: false }
  if (source.kind === 'client')
    return { db: source.client.db(source.dbName), client: source.client, ownsClient: false }
  const client = openClient(source.url, source.clientOptions)
  return { db: client.db(source.dbName), client, ownsClient: true }
}

/** GridFS for large values: writes and their read-back on the primary, other reads per `readPreference`. */
export function valueFilesOf(db: Db, o: ResolvedOptions): ValueFiles {
  const bucketOptions = {
    bucketName: o.bucketName,
    ...(o.writeConcern === undefined ? {} : { writeConcern: o.writeConcern }),
  }
  return new ValueFiles(
    new GridFSBucket(db, { ...bucketOptions, readPreference: 'primary' as never }),
    new GridFSBucket(db, {
      ...bucketOptions,
      ...(o.readPreference === undefined ? {} : { readPreference: o.readPreference as never }),
    }),
  )
}

function openClient(url: string, clientOptions: MongoClientOptions | undefined): MongoClient {
  try {
    return new MongoClient(url, clientOptions)
  } catch (err) {
    throw cmError(
      'CM_ERR_INVALID_ARGUMENT',
      `mongo-store: \`url\` is not a valid connection string: ${(err as Error).message}`,
      {
        cause: err,
        details: { option: 'url' },
      },
    )
  }
}
