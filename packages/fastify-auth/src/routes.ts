import { createErrorHandler, errorResponses } from '@comp-manager/fastify-kit'
import type { FastifyContextConfig, FastifyInstance, FastifyRequest, FastifySchema } from 'fastify'
import { Type } from 'typebox'
import type { VerifiedToken } from './credentials.js'
import { UnauthorizedError } from './errors.js'
import type { CookieCodec } from './internals.js'
import type { ResolvedCookie, ResolvedRoutes } from './options.js'
import { type AuthIdentity, type AuthPreHandler, roles, type TokenClaims } from './types.js'

/** `POST /auth/token`'s 200 body. */
export const TokenResponseSchema = Type.Object(
  {
    token: Type.String({
      description: 'The JWT, to send as `Authorization: Bearer <token>`',
      examples: ['eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzdmMifQ.c2lnbmF0dXJl'],
    }),
    tokenType: Type.Literal('Bearer'),
    expiresIn: Type.Integer({ minimum: 1, description: 'Lifetime in seconds' }),
    expiresAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'AuthToken', additionalProperties: false, description: 'A token issued for the API key' },
)

/** `POST /auth/session`'s 200 body. */
export const SessionResponseSchema = Type.Object(
  {
    subject: Type.String(),
    role: Type.Union(roles.map((role) => Type.Literal(role))),
    expiresAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'AuthSession', additionalProperties: false, description: 'The session cookie is set' },
)

/** OpenAPI security schemes matching what the plugin accepts; spread into `components.securitySchemes`. */
export const securitySchemes = {
  bearerAuth: {
    type: 'http',
    scheme: 'bearer',
    description: '`Authorization: Bearer <JWT>` or `Authorization: Bearer cmk_<id>_<secret>` (an API key)',
  },
  apiKeyAuth: {
    type: 'apiKey',
    in: 'header',
    name: 'x-api-key',
    description: 'An API key `cmk_<id>_<secret>` in its own header (same as `Authorization: Bearer cmk_…`)',
  },
} as const

/** The plugin's internals its routes use. */
export interface AuthService {
  /**
   * The plugin's own `authenticate`, whatever name it is decorated under: `fastify.authenticate` may be
   * the host's when the `decorators` option renamed ours (issue #15: the token route ran the host's).
   */
  authenticate: AuthPreHandler
  cookieCodec: CookieCodec | undefined
  issue(claims: TokenClaims, issueOpts?: undefined, keyId?: string): { token: string; exp: number }
  /** The bearer token of the request, verified again (for `POST /auth/session`). */
  bearerToken(request: FastifyRequest): VerifiedToken | null
  /** The lifetime of issued tokens, in seconds. */
  expiresIn: number
}

interface AuthRoutesPluginOptions {
  routes: ResolvedRoutes
  cookie: ResolvedCookie | null
  service: AuthService
}

/** A token for an API key's identity (`'*'` kept for a non-admin that may touch every namespace). */
function issueFor(service: AuthService, identity: AuthIdentity): { token: string; exp: number } {
  const namespaces = identity.allNamespaces && identity.role !== 'admin' ? ['*'] : identity.namespaces
  return service.issue({ sub: identity.subject, role: identity.role, namespaces }, undefined, identity.keyId)
}

/** `POST /token`: an API key for a short-lived JWT. */
function tokenRoute(fastify: FastifyInstance, config: FastifyContextConfig, service: AuthService): void {
  fastify.route({
    method: 'POST',
    url: '/token',
    config,
    schema: {
      operationId: 'createToken',
      tags: ['auth'],
      summary: 'Exchange an API key for a short-lived JWT',
      description:
        'Send the key as `Authorization: Bearer cmk_…` (`x-api-key: cmk_…` is accepted too); no body. ' +
        'Answers 401 `CM_ERR_UNAUTHORIZED` for anything but a valid API key.',
      security: [{ apiKeyAuth: [] }],
      response: { 200: TokenResponseSchema, ...errorResponses(401) },
    } as FastifySchema,
    preHandler: service.authenticate,
    async handler(request, reply) {
      const identity = request.auth!
      if (identity.via !== 'api-key') {
        reply.header('www-authenticate', 'Bearer')
        throw new UnauthorizedError('This route takes an API key (Bearer cmk_…), not a token')
      }
      const { token, exp } = issueFor(service, identity)
      reply.header('cache-control', 'no-store')
      return {
        token,
        tokenType: 'Bearer',
        expiresIn: Math.floor(service.expiresIn),
        expiresAt: new Date(exp * 1000).toISOString(),
      }
    },
  })
}

/** `POST /session` (set the cookie) and `DELETE /session` (clear it). */
function sessionRoutes(
  fastify: FastifyInstance,
  config: FastifyContextConfig,
  cookie: ResolvedCookie,
  codec: CookieCodec,
  service: AuthService,
): void {
  const cookieOptions = {
    httpOnly: true,
    secure: cookie.secure,
    sameSite: cookie.sameSite,
    path: cookie.path,
    ...(cookie.domain === undefined ? {} : { domain: cookie.domain }),
  } as const

  fastify.route({
    method: 'POST',
    url: '/session',
    config,
    schema: {
      operationId: 'createSession',
      tags: ['auth'],
      summary: 'Store a token in the HTTP-only session cookie',
      description:
        'With `Authorization: Bearer <token>`, the cookie holds that token until it expires; with an API key, ' +
        'a new token is issued for the key. No body. The cookie itself is not accepted here.',
      security: [{ bearerAuth: [] }, { apiKeyAuth: [] }],
      response: { 200: SessionResponseSchema, ...errorResponses(401) },
    } as FastifySchema,
    preHandler: service.authenticate,
    async handler(request, reply) {
      const identity = request.auth!
      let issued: { token: string; exp: number } | null
      if (identity.via === 'api-key') issued = issueFor(service, identity)
      else issued = identity.via === 'jwt' ? service.bearerToken(request) : null
      if (issued === null) {
        reply.header('www-authenticate', 'Bearer')
        throw new UnauthorizedError('This route takes a bearer token or an API key, not the cookie')
      }
      const { token, exp } = issued
      const maxAge = Math.max(0, exp - Math.floor(Date.now() / 1000))
      reply.header('set-cookie', codec.serialize(cookie.name, token, { ...cookieOptions, maxAge }))
      reply.header('cache-control', 'no-store')
      return { subject: identity.subject, role: identity.role, expiresAt: new Date(exp * 1000).toISOString() }
    },
  })

  fastify.route({
    method: 'DELETE',
    url: '/session',
    config,
    schema: {
      operationId: 'deleteSession',
      tags: ['auth'],
      summary: 'Clear the session cookie',
      response: { 204: Type.Null({ description: 'Cleared' }) },
    } as FastifySchema,
    async handler(_request, reply) {
      reply.header(
        'set-cookie',
        codec.serialize(cookie.name, '', { ...cookieOptions, maxAge: 0, expires: new Date(0) }),
      )
      reply.code(204).send()
    },
  })
}

/** The plugin's own routes, registered in an encapsulated child under `routes.prefix`. */
export async function authRoutes(fastify: FastifyInstance, opts: AuthRoutesPluginOptions): Promise<void> {
  const { routes, cookie, service } = opts
  // The routes declare the standard error body as their error responses: render errors as that body
  // here too, so a host without the kit's error handler gets a 401, not a failed serialization (500).
  fastify.setErrorHandler(createErrorHandler())
  // Read by @fastify/rate-limit when the server registers it (before this plugin); inert otherwise.
  const config = (routes.rateLimit === false ? {} : { rateLimit: routes.rateLimit }) as FastifyContextConfig
  if (routes.token) tokenRoute(fastify, config, service)
  const codec = service.cookieCodec
  if (routes.session && cookie !== null && codec !== undefined) {
    sessionRoutes(fastify, config, cookie, codec, service)
  }
}
