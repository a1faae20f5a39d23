import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { generateApiKey } from '@comp-manager/fastify-auth'
import t, { type Test } from 'tap'
import {
  ConfigError,
  DEFAULT_PORT,
  DEFAULT_RATE_LIMIT_MAX,
  loadConfig,
  type ServerConfig,
  weakSecretReason,
} from '../src/index.js'
import { SECRET, tmpDir } from './fixtures/helpers.js'

/** The ConfigError thrown by loadConfig(env), or a failure. */
function configError(t: Test, env: Record<string, string>): ConfigError {
  try {
    loadConfig(env)
  } catch (err) {
    t.type(err, ConfigError)
    t.equal((err as ConfigError).code, 'CM_ERR_INVALID_ARGUMENT')
    return err as ConfigError
  }
  t.fail(`loadConfig accepted ${JSON.stringify(env)}`)
  return new ConfigError([])
}

t.test('development defaults work with no variable at all', async (t) => {
  const config: ServerConfig = loadConfig({}, { cwd: '/srv/app' })
  t.equal(config.env, 'development')
  t.equal(config.port, DEFAULT_PORT)
  t.equal(config.host, '127.0.0.1')
  t.equal(config.dataDir, '/srv/app/data')
  t.same(config.store, { kind: 'sqlite', path: '/srv/app/data/comp-manager.db' })
  t.equal(config.redisUrl, null)
  t.equal(config.corsOrigins, null)
  t.equal(config.rateLimit.max, DEFAULT_RATE_LIMIT_MAX)
  t.equal(config.rateLimit.timeWindowMs, 60_000)
  t.equal(config.logLevel, 'info')
  t.equal(config.docs, true)
  t.ok(config.auth, 'auth is on by default')
  t.equal(config.auth!.generatedSecret, true, 'a development secret is generated')
  t.ok(config.auth!.secret.length >= 32)
  t.equal(weakSecretReason(config.auth!.secret), null, 'the generated secret is strong')
  t.equal(config.sources.JWT_SECRET, 'generated')
  t.match(config.warnings.join('\n'), /JWT_SECRET is not set/)
  t.not(loadConfig({}).auth!.secret, config.auth!.secret, 'a new secret per process')
})

t.test('every variable is read', async (t) => {
  const { key, hash } = generateApiKey('billing')
  void key
  const config = loadConfig(
    {
      NODE_ENV: 'production',
      PORT: '8080',
      HOST: '10.1.2.3',
      COMP_MANAGER_DATA_DIR: 'var/cm',
      COMP_MANAGER_NAMESPACE: 'team-a',
      MONGODB_URL: 'mongodb://db:27017/cm',
      MONGODB_DB: 'cm2',
      REDIS_URL: 'redis://cache:6379/0',
      JWT_SECRET: SECRET,
      JWT_ISSUER: 'https://auth.example.com/',
      JWT_AUDIENCE: 'cm',
      JWT_EXPIRES_IN: '2h',
      API_KEYS: `billing:operator:billing|reports:${hash}`,
      CORS_ORIGINS: 'https://app.example.com, http://localhost:5173',
      RATE_LIMIT_MAX: '50',
      RATE_LIMIT_WINDOW: '30s',
      LOG_LEVEL: 'debug',
      TRUST_PROXY: '10.0.0.0/8,loopback',
      SHUTDOWN_TIMEOUT_MS: '2500',
      DOCS_ENABLED: 'false',
    },
    { cwd: '/srv' },
  )
  t.equal(config.env, 'production')
  t.equal(config.port, 8080)
  t.equal(config.host, '10.1.2.3')
  t.equal(config.dataDir, '/srv/var/cm')
  t.equal(config.namespace, 'team-a')
  t.same(config.store, {
    kind: 'mongo',
    url: 'mongodb://db:27017/cm',
    dbName: 'cm2',
    clientOptions: { maxPoolSize: 100, serverSelectionTimeoutMS: 10_000, connectTimeoutMS: 10_000 },
    operationTimeoutMs: 10_000,
  })
  t.equal(config.redisUrl, 'redis://cache:6379/0')
  t.equal(config.auth!.secret, SECRET)
  t.equal(config.auth!.generatedSecret, false)
  t.equal(config.auth!.issuer, 'https://auth.example.com/')
  t.equal(config.auth!.audience, 'cm')
  t.equal(config.auth!.expiresIn, 7200)
  t.same(config.auth!.apiKeys, [
    { id: 'billing', role: 'operator', namespaces: ['billing', 'reports'], hash },
  ])
  t.same(config.corsOrigins, ['https://app.example.com', 'http://localhost:5173'])
  t.same(config.rateLimit, { max: 50, timeWindowMs: 30_000 })
  t.equal(config.logLevel, 'debug')
  t.same(config.trustProxy, ['10.0.0.0/8', 'loopback'])
  t.equal(config.shutdownTimeoutMs, 2500)
  t.equal(config.docs, false)
  t.same(config.warnings, [])
})

t.test('production listens on every interface by default; test is quieter', async (t) => {
  t.equal(loadConfig({ NODE_ENV: 'production', JWT_SECRET: SECRET }).host, '0.0.0.0')
  t.equal(loadConfig({ NODE_ENV: 'test' }).logLevel, 'warn')
})

t.test('each bad variable is named, all at once', async (t) => {
  const err = configError(t, {
    NODE_ENV: 'prod',
    PORT: '70000',
    COMP_MANAGER_NAMESPACE: 'bad namespace',
    MONGODB_URL: 'postgres://user:hunter2@db/x',
    REDIS_URL: 'http://cache',
    JWT_EXPIRES_IN: 'forever',
    CORS_ORIGINS: 'app.example.com',
    RATE_LIMIT_MAX: '-1',
    RATE_LIMIT_WINDOW: '1 fortnight',
    LOG_LEVEL: 'loud',
    TRUST_PROXY: 'maybe?',
    SHUTDOWN_TIMEOUT_MS: 'soon',
    AUTH_ENABLED: 'perhaps',
    DOCS_ENABLED: '2',
  })
  const named = err.problems.map((p) => p.variable).sort()
  t.same(
    named,
    [
      'AUTH_ENABLED',
      'CORS_ORIGINS',
      'DOCS_ENABLED',
      'JWT_EXPIRES_IN',
      'LOG_LEVEL',
      'MONGODB_URL',
      'NODE_ENV',
      'PORT',
      'RATE_LIMIT_MAX',
      'RATE_LIMIT_WINDOW',
      'REDIS_URL',
      'SHUTDOWN_TIMEOUT_MS',
      'TRUST_PROXY',
      'COMP_MANAGER_NAMESPACE',
    ].sort(),
  )
  t.same((err.details as { variables: string[] }).variables.sort(), named)
  for (const variable of named)
    t.match(err.message, new RegExp(`^  - ${variable}: `, 'm'), `${variable} is in the message`)
  t.notMatch(err.message, /hunter2/, 'a connection string with a password is never printed')
  t.match(configError(t, { PORT: 'abc' }).message, /PORT: must be an integer from 0 to 65535 \(got "abc"\)/)
  t.match(configError(t, { MONGODB_DB: 'cm' }).message, /MONGODB_DB: is set but MONGODB_URL is not/)
})

t.test('production refuses a missing, short, placeholder or repetitive JWT secret', async (t) => {
  const missing = configError(t, { NODE_ENV: 'production' })
  t.same(
    missing.problems.map((p) => p.variable),
    ['JWT_SECRET'],
  )
  t.match(missing.message, /JWT_SECRET: is required in production/)
  for (const [secret, why] of [
    ['short-but-random-9f8e7d', /at least 32 characters \(got 23\)/],
    ['changeme-changeme-changeme-changeme-123', /placeholder "changeme"/],
    ['please-replace-this-default-secret-before-go-live', /placeholder/],
    ['abababababababababababababababababab', /fewer than 10 distinct characters/],
    ['0123456789'.repeat(4), /a short pattern repeated/],
  ] as const) {
    const err = configError(t, { NODE_ENV: 'production', JWT_SECRET: secret })
    t.equal(err.problems[0]?.variable, 'JWT_SECRET')
    t.match(err.message, /JWT_SECRET: is too weak for production/)
    t.match(err.message, why)
    t.notMatch(err.message, secret, 'the secret itself is not printed')
  }
  t.ok(loadConfig({ NODE_ENV: 'production', JWT_SECRET: SECRET }), 'a strong secret is accepted')
})

t.test('development accepts a placeholder with a warning, never a short secret', async (t) => {
  const config = loadConfig({ JWT_SECRET: 'changeme-changeme-changeme-changeme-123' })
  t.match(config.warnings.join('\n'), /JWT_SECRET would be refused in production/)
  t.match(
    configError(t, { JWT_SECRET: 'too-short' }).message,
    /JWT_SECRET: is too weak: it must be at least 32/,
  )
})

t.test(
  'AUTH_ENABLED=false turns auth off; in production only with AUTH_DISABLED_IN_PRODUCTION=true',
  async (t) => {
    t.equal(loadConfig({ AUTH_ENABLED: 'false' }).auth, null)
    const refused = configError(t, { NODE_ENV: 'production', AUTH_ENABLED: 'off' })
    t.match(refused.message, /AUTH_ENABLED: is false in production/)
    t.match(refused.message, /AUTH_DISABLED_IN_PRODUCTION=true/)
    const prod = loadConfig({
      NODE_ENV: 'production',
      AUTH_ENABLED: 'off',
      AUTH_DISABLED_IN_PRODUCTION: 'true',
    })
    t.equal(prod.auth, null, 'acknowledged: no secret needed without auth')
    t.match(prod.warnings.join('\n'), /every route is open/)
    configError(t, { NODE_ENV: 'production', AUTH_ENABLED: 'off', AUTH_DISABLED_IN_PRODUCTION: 'maybe' })
    t.ok(loadConfig({ NODE_ENV: 'production', JWT_SECRET: SECRET, AUTH_DISABLED_IN_PRODUCTION: 'true' }).auth)
  },
)

t.test('*_FILE beats the variable, which beats the default', async (t) => {
  const dir = tmpDir(t)
  const secretFile = join(dir, 'jwt')
  const fileSecret = 'Fj3kL9mQ2rT8vX1zB6nC4pW7yH5sD0gE'
  writeFileSync(secretFile, `${fileSecret}\n`)
  const both = loadConfig({ JWT_SECRET_FILE: secretFile, JWT_SECRET: SECRET })
  t.equal(both.auth!.secret, fileSecret, 'the file wins, its trailing newline dropped')
  t.equal(both.sources.JWT_SECRET, 'file')
  t.match(both.warnings.join('\n'), /JWT_SECRET_FILE and JWT_SECRET are both set: JWT_SECRET_FILE wins/)
  const env = loadConfig({ JWT_SECRET: SECRET })
  t.equal(env.auth!.secret, SECRET)
  t.equal(env.sources.JWT_SECRET, 'env')

  const mongoFile = join(dir, 'mongo')
  writeFileSync(mongoFile, 'mongodb://user:pw@db:27017/cm\n')
  const redisFile = join(dir, 'redis')
  writeFileSync(redisFile, 'rediss://:pw@cache:6380\n')
  const { hash } = generateApiKey('svc')
  const keysFile = join(dir, 'keys.json')
  writeFileSync(
    keysFile,
    JSON.stringify([{ id: 'svc', hash, role: 'viewer', namespaces: ['*'], subject: 'svc:x' }]),
  )
  const files = loadConfig({
    MONGODB_URL_FILE: mongoFile,
    REDIS_URL_FILE: redisFile,
    API_KEYS_FILE: keysFile,
  })
  t.match(files.store, { kind: 'mongo', url: 'mongodb://user:pw@db:27017/cm' })
  t.equal(files.redisUrl, 'rediss://:pw@cache:6380')
  t.same(files.auth!.apiKeys, [{ id: 'svc', hash, role: 'viewer', namespaces: ['*'], subject: 'svc:x' }])

  const missing = configError(t, { JWT_SECRET_FILE: join(dir, 'nope'), JWT_SECRET: SECRET })
  t.same(
    missing.problems.map((p) => p.variable),
    ['JWT_SECRET_FILE'],
  )
  t.match(missing.message, /JWT_SECRET_FILE: cannot read ".*nope" \(ENOENT\)/)
  const empty = join(dir, 'empty')
  writeFileSync(empty, '\n')
  t.match(configError(t, { REDIS_URL_FILE: empty }).message, /REDIS_URL_FILE: the file ".*empty" is empty/)
  const weakFile = join(dir, 'weak')
  writeFileSync(weakFile, 'changeme')
  t.match(
    configError(t, { NODE_ENV: 'production', JWT_SECRET_FILE: weakFile }).message,
    /JWT_SECRET_FILE: is too weak for production/,
  )
})

t.test('API_KEYS: hashes only, every entry checked', async (t) => {
  const { key, hash } = generateApiKey('a')
  const json = loadConfig({ API_KEYS: JSON.stringify([{ id: 'a', hash, role: 'admin', namespaces: ['*'] }]) })
  t.same(json.auth!.apiKeys, [{ id: 'a', hash, role: 'admin', namespaces: ['*'] }])
  const err = configError(t, {
    API_KEYS: [
      `a:viewer:*:${key}`,
      `b:root:*:${hash}`,
      'c:viewer',
      `a:viewer:ns:${hash}`,
      `a:viewer:ns:${hash}`,
    ].join(','),
  })
  t.same(
    err.problems.map((p) => p.variable),
    ['API_KEYS', 'API_KEYS', 'API_KEYS', 'API_KEYS'],
  )
  t.match(err.message, /entry 1 \(a\): hash must be the SHA-256 hex of the key/)
  t.match(err.message, /entry 2 \(b\): role must be one of viewer, worker, operator, admin/)
  t.match(err.message, /entry 3 must be `id:role:namespaces:sha256hash`/)
  t.match(err.message, /entry 5: the id "a" is listed twice/)
  t.notMatch(err.message, key, 'a plaintext key pasted by mistake is not printed')
  t.match(configError(t, { API_KEYS: '[{' }).message, /API_KEYS: is not valid JSON/)
})

t.test('CORS_ORIGINS', async (t) => {
  t.equal(loadConfig({ CORS_ORIGINS: '*' }).corsOrigins, '*')
  t.same(loadConfig({ CORS_ORIGINS: 'https://a.example.com/' }).corsOrigins, ['https://a.example.com'])
  t.match(
    configError(t, { CORS_ORIGINS: '*, https://a.example.com' }).message,
    /CORS_ORIGINS: '\*' cannot be combined/,
  )
  t.match(
    configError(t, { CORS_ORIGINS: 'https://a.example.com/path' }).message,
    /CORS_ORIGINS: "https:\/\/a.example.com\/path" is not an origin/,
  )
})

t.test('durations and booleans', async (t) => {
  t.equal(loadConfig({ RATE_LIMIT_WINDOW: '1500' }).rateLimit.timeWindowMs, 1500)
  t.equal(loadConfig({ RATE_LIMIT_WINDOW: '2m' }).rateLimit.timeWindowMs, 120_000)
  t.equal(loadConfig({ SHUTDOWN_TIMEOUT_MS: '0' }).shutdownTimeoutMs, 0)
  t.equal(loadConfig({ TRUST_PROXY: '2' }).trustProxy, 2)
  t.equal(loadConfig({ TRUST_PROXY: 'yes' }).trustProxy, true)
  t.equal(loadConfig({ DOCS_ENABLED: 'off' }).docs, false)
})

t.test('one duration format: milliseconds or a number and a unit, no space', async (t) => {
  t.equal(
    loadConfig({ JWT_EXPIRES_IN: '1w' }).auth!.expiresIn,
    604_800,
    'weeks, as everywhere in comp-manager',
  )
  t.equal(
    loadConfig({ JWT_EXPIRES_IN: '90000' }).auth!.expiresIn,
    90,
    'milliseconds, in seconds for the tokens',
  )
  t.equal(loadConfig({}).auth!.expiresIn, 900, 'the default, 15m, in seconds')
  t.equal(loadConfig({ RATE_LIMIT_WINDOW: '1.5s' }).rateLimit.timeWindowMs, 1500)
  t.equal(loadConfig({ SHUTDOWN_TIMEOUT_MS: '10m' }).shutdownTimeoutMs, 600_000)
  for (const value of ['1 m', '1500.5', '-1s', '1e3', '11m']) {
    t.match(
      configError(t, { SHUTDOWN_TIMEOUT_MS: value }).message,
      /SHUTDOWN_TIMEOUT_MS: must be a duration from 0 to 10m/,
      `${value} is refused`,
    )
  }
})

t.test('every variable is checked, whatever the others say', async (t) => {
  t.match(
    configError(t, { AUTH_ENABLED: 'false', JWT_EXPIRES_IN: 'forever' }).message,
    /JWT_EXPIRES_IN: must be a duration from 1s to 30d/,
  )
})

t.test('a bad value read from <NAME>_FILE names <NAME>_FILE', async (t) => {
  const dir = tmpDir(t)
  const file = join(dir, 'mongo')
  writeFileSync(file, 'postgres://user:hunter2@db/x\n')
  const err = configError(t, { MONGODB_URL_FILE: file, MONGODB_DB: 'cm' })
  t.same(
    err.problems.map((p) => p.variable),
    ['MONGODB_URL_FILE'],
    'MONGODB_DB is not reported: MONGODB_URL_FILE is set, only invalid',
  )
  t.notMatch(err.message, /hunter2/)
})
