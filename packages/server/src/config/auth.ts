import { Type } from 'typebox'
import { parseApiKeys } from './api-keys.js'
import type { EnvValues } from './env-reader.js'
import { EnvBoolean, EnvDuration, EnvString } from './env-schema.js'
import { generateSecret, MIN_JWT_SECRET_LENGTH, weakSecretReason } from './secrets.js'
import type { AuthConfig, ConfigContext } from './types.js'

export const DEFAULT_JWT_ISSUER = 'comp-manager'
export const DEFAULT_JWT_AUDIENCE = 'comp-manager-api'
export const DEFAULT_JWT_EXPIRES_IN_MS = 15 * 60_000
const DAY_MS = 86_400_000

/** Who may call the API: JWTs and API keys. */
export const authEnv = {
  AUTH_ENABLED: EnvBoolean({
    default: true,
    description:
      '`false` serves every route without authentication (refused in production unless `AUTH_DISABLED_IN_PRODUCTION=true`)',
  }),
  AUTH_DISABLED_IN_PRODUCTION: EnvBoolean({
    default: false,
    description:
      '`true` acknowledges `AUTH_ENABLED=false` with `NODE_ENV=production` (every route open to anyone)',
  }),
  JWT_SECRET: Type.Optional(
    EnvString({
      secret: true,
      expected: `a random secret of at least ${MIN_JWT_SECRET_LENGTH} characters`,
      defaultText: 'generated (development), **required** (production)',
      description: `HMAC secret of the tokens, ≥ ${MIN_JWT_SECRET_LENGTH} characters`,
    }),
  ),
  JWT_ISSUER: EnvString({
    default: DEFAULT_JWT_ISSUER,
    expected: 'a string',
    description: '`iss` of issued and accepted tokens',
  }),
  JWT_AUDIENCE: EnvString({
    default: DEFAULT_JWT_AUDIENCE,
    expected: 'a string',
    description: '`aud` of issued and accepted tokens',
  }),
  JWT_EXPIRES_IN: EnvDuration({
    min: 1000,
    max: 30 * DAY_MS,
    default: DEFAULT_JWT_EXPIRES_IN_MS,
    description: 'lifetime of issued tokens',
  }),
  API_KEYS: Type.Optional(
    EnvString({
      secret: true,
      expected: 'a JSON array of { id, hash, role, namespaces } or entries id:role:namespaces:hash',
      description: 'hashed API keys for services',
    }),
  ),
}

type AuthEnv = EnvValues<typeof authEnv>

/** The JWT secret: the configured one if it is strong enough, else one generated in development. */
function jwtSecret(env: AuthEnv, { report, production }: ConfigContext) {
  const secret = env.JWT_SECRET
  if (secret === undefined) {
    if (production) {
      report.problem(
        'JWT_SECRET',
        'is required in production (or JWT_SECRET_FILE): generate one with ' +
          `node -e "console.log(require('node:crypto').randomBytes(48).toString('base64url'))"`,
      )
      return { secret: '', generatedSecret: false }
    }
    report.sources.JWT_SECRET = 'generated'
    report.warn(
      'JWT_SECRET is not set: using a secret generated for this process (tokens do not survive a restart)',
    )
    return { secret: generateSecret(), generatedSecret: true }
  }
  const weak = weakSecretReason(secret)
  const variable = report.variable('JWT_SECRET')
  if (weak !== null && (production || secret.length < MIN_JWT_SECRET_LENGTH)) {
    report.problem(variable, `is too weak${production ? ' for production' : ''}: it ${weak}`)
  } else if (weak !== null) {
    report.warn(`${variable} would be refused in production: it ${weak}`)
  }
  return { secret, generatedSecret: false }
}

/** `null` when `AUTH_ENABLED=false` (with warnings for what is then not used). */
export function authConfig(env: AuthEnv, context: ConfigContext): AuthConfig | null {
  const { report, production } = context
  if (!env.AUTH_ENABLED) {
    if (production && !env.AUTH_DISABLED_IN_PRODUCTION) {
      report.problem(
        report.variable('AUTH_ENABLED'),
        'is false in production: every route would be open to anyone who can reach the server ' +
          '(set AUTH_DISABLED_IN_PRODUCTION=true to mean it)',
      )
    } else if (production) {
      report.warn('AUTH_ENABLED=false in production: every route is open to anyone who can reach the server')
    }
    if (env.JWT_SECRET !== undefined) report.warn('JWT_SECRET is set but AUTH_ENABLED=false: it is not used')
    if (env.API_KEYS !== undefined) report.warn('API_KEYS is set but AUTH_ENABLED=false: they are not used')
    return null
  }
  return {
    ...jwtSecret(env, context),
    issuer: env.JWT_ISSUER,
    audience: env.JWT_AUDIENCE,
    // fastify-auth takes seconds.
    expiresIn: Math.floor(env.JWT_EXPIRES_IN / 1000),
    apiKeys:
      env.API_KEYS === undefined ? [] : parseApiKeys(env.API_KEYS, report.variable('API_KEYS'), report),
  }
}
