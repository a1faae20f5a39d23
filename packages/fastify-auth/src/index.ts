import fp from 'fastify-plugin'
import { PLUGIN_NAME } from './options.js'
import { fastifyAuth as fastifyAuthPlugin } from './plugin.js'

export type { GeneratedApiKey } from './api-keys.js'
export { API_KEY_PREFIX, generateApiKey, hashApiKey, parseApiKey, verifyApiKey } from './api-keys.js'
export {
  type AuthDecoratorNames,
  type AuthDecoratorTypes,
  DEFAULT_DECORATORS,
  type RenamedAuthDecorators,
} from './decorators.js'
export { errors, ForbiddenError, UnauthorizedError } from './errors.js'
export { canAccessNamespace, roleAtLeast, roleRank } from './identity.js'
export type {
  AuthRoutesOptions,
  ClaimNames,
  CookieOptions,
  FastifyAuthOptions,
  RouteRateLimit,
} from './options.js'
export { SessionResponseSchema, securitySchemes, TokenResponseSchema } from './routes.js'
export { type JwtAlgorithm, jwtAlgorithms, type KeyPair, MIN_SECRET_LENGTH } from './secret.js'
export type {
  ApiKeyEntry,
  ApiKeyLookup,
  AuthDecorators,
  AuthIdentity,
  AuthPreHandler,
  IssueTokenOptions,
  Role,
  TokenClaims,
} from './types.js'
export { roles } from './types.js'

/**
 * pino `redact` paths for the headers that carry credentials. Fastify's default request log has no
 * headers; add these when your serializers log them: `Fastify({ logger: { redact: redactPaths } })`.
 */
export const redactPaths: readonly string[] = Object.freeze([
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
])

/**
 * comp-manager's auth plugin: JWT bearer tokens (and an optional HTTP-only cookie), roles, namespaces and
 * hashed API keys. Decorates `fastify.authenticate`, `fastify.authorize(role)`, `fastify.canAccessNamespace`,
 * `fastify.issueToken` and `request.auth`.
 */
export const fastifyAuth = fp(fastifyAuthPlugin, { fastify: '5.x', name: PLUGIN_NAME })

export default fastifyAuth
