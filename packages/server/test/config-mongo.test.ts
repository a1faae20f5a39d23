import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { ConfigError, loadConfig } from '../src/index.js'
import { tmpDir } from './fixtures/helpers.js'

const URL = 'mongodb://db:27017/cm'

t.test('MongoDB pool size, timeouts and TLS files come from the environment', async (t) => {
  const dir = tmpDir(t)
  writeFileSync(join(dir, 'ca.pem'), '-----BEGIN CERTIFICATE-----\n')
  writeFileSync(join(dir, 'client.pem'), '-----BEGIN PRIVATE KEY-----\n')
  const config = loadConfig(
    {
      MONGODB_URL: URL,
      MONGODB_MAX_POOL_SIZE: '20',
      MONGODB_SERVER_SELECTION_TIMEOUT: '5s',
      MONGODB_CONNECT_TIMEOUT: '2500',
      MONGODB_OPERATION_TIMEOUT: '30s',
      MONGODB_TLS_CA_FILE: 'ca.pem',
      MONGODB_TLS_CERT_KEY_FILE: join(dir, 'client.pem'),
    },
    { cwd: dir },
  )
  t.same(config.store, {
    kind: 'mongo',
    url: URL,
    clientOptions: {
      maxPoolSize: 20,
      serverSelectionTimeoutMS: 5_000,
      connectTimeoutMS: 2_500,
      tls: true,
      tlsCAFile: join(dir, 'ca.pem'),
      tlsCertificateKeyFile: join(dir, 'client.pem'),
    },
    operationTimeoutMs: 30_000,
  })
})

t.test('bad MongoDB settings are named problems, not a crash', async (t) => {
  const dir = tmpDir(t)
  let err: unknown
  try {
    loadConfig(
      {
        MONGODB_URL: URL,
        MONGODB_MAX_POOL_SIZE: '0',
        MONGODB_SERVER_SELECTION_TIMEOUT: 'forever',
        MONGODB_CONNECT_TIMEOUT: '-5',
        MONGODB_OPERATION_TIMEOUT: '2 fortnights',
        MONGODB_TLS_CA_FILE: 'missing-ca.pem',
      },
      { cwd: dir },
    )
  } catch (e) {
    err = e
  }
  t.type(err, ConfigError)
  t.equal((err as ConfigError).code, 'CM_ERR_INVALID_ARGUMENT')
  t.same((err as ConfigError).problems.map((p) => p.variable).sort(), [
    'MONGODB_CONNECT_TIMEOUT',
    'MONGODB_MAX_POOL_SIZE',
    'MONGODB_OPERATION_TIMEOUT',
    'MONGODB_SERVER_SELECTION_TIMEOUT',
    'MONGODB_TLS_CA_FILE',
  ])
  t.match(JSON.stringify((err as ConfigError).problems), /cannot read .*missing-ca\.pem/)
})

t.test('without MONGODB_URL the MongoDB settings are not used (SQLite)', async (t) => {
  const config = loadConfig({ MONGODB_MAX_POOL_SIZE: '20' }, { cwd: '/srv' })
  t.equal(config.store.kind, 'sqlite')
})
