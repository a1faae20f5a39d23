import { join, resolve } from 'node:path'
import { Type } from 'typebox'
import type { EnvValues } from './env-reader.js'
import { EnvNamespace, EnvString } from './env-schema.js'
import { mongoEnv, mongoSettings } from './mongo.js'
import type { ConfigContext, ServerConfig, StoreConfig } from './types.js'

export const DEFAULT_DATA_DIR = './data'
export const SQLITE_FILE_NAME = 'comp-manager.db'
export const DEFAULT_NAMESPACE = 'default'

/** Where the records live. */
export const storeEnv = {
  COMP_MANAGER_DATA_DIR: EnvString({
    default: DEFAULT_DATA_DIR,
    expected: 'a directory',
    description: `directory of the SQLite file \`${SQLITE_FILE_NAME}\``,
  }),
  COMP_MANAGER_NAMESPACE: EnvNamespace({
    default: DEFAULT_NAMESPACE,
    description: "namespace of the server's tracker and cache",
  }),
  MONGODB_URL: Type.Optional(
    EnvString({
      // The url may hold a password: as a secret, its value is never printed.
      secret: true,
      pattern: '^mongodb(\\+srv)?://\\S+$',
      expected: 'a mongodb:// or mongodb+srv:// connection string',
      description: 'use MongoDB instead of SQLite',
    }),
  ),
  MONGODB_DB: Type.Optional(
    EnvString({ expected: 'a database name', description: 'the MongoDB database, when the url names none' }),
  ),
  ...mongoEnv,
}

export function storeConfig(
  env: EnvValues<typeof storeEnv>,
  context: ConfigContext,
): Pick<ServerConfig, 'dataDir' | 'namespace' | 'store'> {
  const { report, cwd } = context
  const dataDir = resolve(cwd, env.COMP_MANAGER_DATA_DIR)
  // MongoDB when MONGODB_URL is set, else the embedded SQLite file.
  let store: StoreConfig = { kind: 'sqlite', path: join(dataDir, SQLITE_FILE_NAME) }
  if (env.MONGODB_URL !== undefined) {
    const dbName = env.MONGODB_DB
    store = {
      kind: 'mongo',
      url: env.MONGODB_URL,
      ...(dbName === undefined ? {} : { dbName }),
      ...mongoSettings(env, context),
    }
  } else if (env.MONGODB_DB !== undefined && !report.given('MONGODB_URL')) {
    report.problem('MONGODB_DB', 'is set but MONGODB_URL is not')
  }
  return { dataDir, namespace: env.COMP_MANAGER_NAMESPACE, store }
}
