import { cmError } from '@comp-manager/core'
import { AUTH_CONTRACT, type AuthContract } from '@comp-manager/fastify-kit'
import type { FastifyInstance } from 'fastify'
import { bearerToken, type CredentialContext, createAuthenticate, type VerifiedToken } from './credentials.js'
import { ForbiddenError } from './errors.js'
import { canAccessNamespace, isRole, roleAtLeast } from './identity.js'
import { registerInternals } from './internals.js'
import { type FastifyAuthOptions, PLUGIN_NAME, resolveOptions } from './options.js'
import { type AuthService, authRoutes } from './routes.js'
import { VerifiedTokenCache } from './token-cache.js'
import { issueToken } from './tokens.js'
import { type AuthPreHandler, type IssueTokenOptions, type Role, roles, type TokenClaims } from './types.js'

/** Refuses a second auth plugin (or a second registration) in one context. */
function refuseTakenDecorators(fastify: FastifyInstance, names: readonly string[]): void {
  for (const name of names) {
    if (fastify.hasDecorator(name)) {
      throw cmError(
        'CM_ERR_INVALID_ARGUMENT',
        `${PLUGIN_NAME}: \`fastify.${name}\` is already decorated: register ${PLUGIN_NAME} (or another auth plugin) once per instance, or give it other names with the \`decorators\` option`,
        { details: { decorator: name } },
      )
    }
  }
  if (fastify.hasDecorator(AUTH_CONTRACT)) {
    throw cmError(
      'CM_ERR_INVALID_ARGUMENT',
      `${PLUGIN_NAME}: an auth plugin is already registered in this context: register it once per instance`,
      { details: { decorator: 'AUTH_CONTRACT' } },
    )
  }
  if (fastify.hasRequestDecorator('auth')) {
    throw cmError(
      'CM_ERR_INVALID_ARGUMENT',
      `${PLUGIN_NAME}: \`request.auth\` is already decorated: register it once`,
      {
        details: { decorator: 'auth' },
      },
    )
  }
}

/** `fastify.authorize(role)`: one preHandler per role, built once. */
function createAuthorize(authenticate: AuthPreHandler): (role: Role) => AuthPreHandler {
  const authorizers = new Map<Role, AuthPreHandler>()
  for (const required of roles) {
    authorizers.set(required, async function authorize(request, reply) {
      await authenticate(request, reply)
      if (!roleAtLeast(request.auth!.role, required)) {
        throw new ForbiddenError(`This route needs the ${required} role`)
      }
    })
  }
  return function authorize(role: Role): AuthPreHandler {
    if (!isRole(role)) {
      throw cmError(
        'CM_ERR_INVALID_ARGUMENT',
        `fastify.authorize(role): role must be one of ${roles.join(', ')} (got ${JSON.stringify(String(role)).slice(0, 40)})`,
      )
    }
    return authorizers.get(role)!
  }
}

/** Verified tokens kept (each for at most a minute, never past its `exp`). */
const TOKEN_CACHE_MAX = 1000
const TOKEN_CACHE_TTL_MS = 60_000

/** The plugin function; `index.ts` wraps it with `fastify-plugin`. */
export async function fastifyAuth(fastify: FastifyInstance, opts: FastifyAuthOptions): Promise<void> {
  const options = resolveOptions(opts)
  const names = options.decorators
  refuseTakenDecorators(fastify, Object.values(names))
  const { signer, cookieCodec } = await registerInternals(fastify, options)
  const verified = () => new VerifiedTokenCache<VerifiedToken>(TOKEN_CACHE_MAX, TOKEN_CACHE_TTL_MS)
  const ctx: CredentialContext = {
    options,
    signer,
    cookieCodec,
    verified: { jwt: verified(), cookie: verified() },
  }
  const authenticate = createAuthenticate(ctx)
  const issue = (claims: TokenClaims, issueOpts?: IssueTokenOptions, keyId?: string) =>
    issueToken(options, signer, claims, issueOpts, keyId)

  const contract: AuthContract = {
    authenticate,
    authorize: createAuthorize(authenticate),
    canAccessNamespace,
  }
  fastify.decorateRequest('auth', null)
  fastify.decorate(AUTH_CONTRACT, contract)
  fastify.decorate(names.authenticate, contract.authenticate)
  fastify.decorate(names.authorize, contract.authorize)
  fastify.decorate(names.canAccessNamespace, contract.canAccessNamespace)
  fastify.decorate(
    names.issueToken,
    (claims: TokenClaims, issueOpts?: IssueTokenOptions) => issue(claims, issueOpts).token,
  )

  const { routes, cookie } = options
  if (routes !== null && (routes.token || routes.session)) {
    const service: AuthService = {
      authenticate,
      issue,
      expiresIn: options.expiresIn,
      cookieCodec,
      bearerToken: (request) => bearerToken(ctx, request),
    }
    await fastify.register(authRoutes, { prefix: routes.prefix, routes, cookie, service })
  }
}
