import { accessSync, constants } from 'node:fs'
import { resolve } from 'node:path'
import { Type } from 'typebox'
import type { EnvValues } from './env-reader.js'
import { EnvDuration, EnvInteger, EnvString } from './env-schema.js'
import type { ConfigContext, MongoConnectionSettings } from './types.js'

/** How the server connects to MongoDB (with `MONGODB_URL`). */
export const mongoEnv = {
  MONGODB_MAX_POOL_SIZE: EnvInteger({
    minimum: 1,
    maximum: 10_000,
    default: 100,
    description: 'most connections the MongoDB client opens to each server',
  }),
  MONGODB_SERVER_SELECTION_TIMEOUT: EnvDuration({
    min: 100,
    max: 600_000,
    default: 10_000,
    description: 'how long an operation waits for a reachable MongoDB server',
  }),
  MONGODB_CONNECT_TIMEOUT: EnvDuration({
    min: 100,
    max: 600_000,
    default: 10_000,
    description: 'how long opening one connection to MongoDB may take',
  }),
  MONGODB_OPERATION_TIMEOUT: EnvDuration({
    min: 0,
    max: 3_600_000,
    default: 10_000,
    description: 'every store operation fails with `CM_ERR_TIMEOUT` after this long (`0`: no limit)',
  }),
  MONGODB_TLS_CA_FILE: Type.Optional(
    EnvString({
      expected: 'a readable PEM file',
      description: 'CA certificates to verify MongoDB with (turns TLS on)',
    }),
  ),
  MONGODB_TLS_CERT_KEY_FILE: Type.Optional(
    EnvString({
      expected: 'a readable PEM file',
      description: 'client certificate and key, for x.509 authentication (turns TLS on)',
    }),
  ),
}

/** The client options and store settings from the environment; unreadable TLS files are reported. */
export function mongoSettings(
  env: EnvValues<typeof mongoEnv>,
  { report, cwd }: ConfigContext,
): MongoConnectionSettings {
  const file = (name: 'MONGODB_TLS_CA_FILE' | 'MONGODB_TLS_CERT_KEY_FILE') => {
    const given = env[name]
    if (given === undefined) return undefined
    const path = resolve(cwd, given)
    try {
      accessSync(path, constants.R_OK)
    } catch {
      report.problem(name, `cannot read ${path}`)
    }
    return path
  }
  const tlsCAFile = file('MONGODB_TLS_CA_FILE')
  const tlsCertificateKeyFile = file('MONGODB_TLS_CERT_KEY_FILE')
  const tls = tlsCAFile !== undefined || tlsCertificateKeyFile !== undefined
  return {
    clientOptions: {
      maxPoolSize: env.MONGODB_MAX_POOL_SIZE,
      serverSelectionTimeoutMS: env.MONGODB_SERVER_SELECTION_TIMEOUT,
      connectTimeoutMS: env.MONGODB_CONNECT_TIMEOUT,
      ...(tls ? { tls: true } : {}),
      ...(tlsCAFile === undefined ? {} : { tlsCAFile }),
      ...(tlsCertificateKeyFile === undefined ? {} : { tlsCertificateKeyFile }),
    },
    operationTimeoutMs: env.MONGODB_OPERATION_TIMEOUT,
  }
}
