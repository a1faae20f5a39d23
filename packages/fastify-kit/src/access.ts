/**
 * Roles and namespaces on the route side of the auth contract: protect a route when an auth plugin is
 * registered, and resolve which namespaces a request may see.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { AuthContract, AuthIdentity, AuthPreHandler, Role } from './auth-contract.js'

/**
 * Where an auth plugin decorates its {@link AuthContract}, whatever names it gave its public decorators
 * (`@comp-manager/fastify-auth`'s `decorators` option): the route plugins find it here, so that a
 * renamed `authorize` never leaves their routes open.
 */
export const AUTH_CONTRACT: unique symbol = Symbol.for('@comp-manager/auth-contract')

/**
 * The auth contract of the context: the one decorated under {@link AUTH_CONTRACT}, else (an auth
 * plugin of your own) `fastify.authenticate`, `fastify.authorize` and `fastify.canAccessNamespace`;
 * `undefined` without an auth plugin.
 */
export function authContractOf(fastify: FastifyInstance): AuthContract | undefined {
  if (fastify.hasDecorator(AUTH_CONTRACT)) {
    return (fastify as unknown as Record<symbol, AuthContract>)[AUTH_CONTRACT]
  }
  if (!fastify.hasDecorator('authorize')) return undefined
  return {
    authenticate: fastify.authenticate,
    authorize: (role) => fastify.authorize(role),
    canAccessNamespace: (identity, namespace) =>
      typeof fastify.canAccessNamespace === 'function'
        ? fastify.canAccessNamespace(identity, namespace)
        : identity?.role === 'admin' ||
          identity?.allNamespaces === true ||
          Boolean(identity?.namespaces.includes(namespace)),
  }
}

/** True when an auth plugin providing the contract is registered. */
export function hasAuth(fastify: FastifyInstance): boolean {
  return authContractOf(fastify) !== undefined
}

/**
 * The preHandlers protecting a route: `[fastify.authorize(role)]` when an auth plugin is registered
 * (before the route plugin), `[]` otherwise.
 */
export function protect(fastify: FastifyInstance, role: Role): AuthPreHandler[] {
  const contract = authContractOf(fastify)
  return contract === undefined ? [] : [contract.authorize(role)]
}

/** OpenAPI `security` of a protected route (the schemes `@comp-manager/fastify-auth` exports), or `undefined`. */
export function securityOf(fastify: FastifyInstance): Array<Record<string, string[]>> | undefined {
  return hasAuth(fastify) ? [{ bearerAuth: [] }, { apiKeyAuth: [] }] : undefined
}

/** The request's identity, when an auth plugin filled `request.auth`. */
export function identityOf(request: FastifyRequest): AuthIdentity | null {
  // Without an auth plugin `request.auth` is not decorated at all (undefined).
  const auth: AuthIdentity | null | undefined = request.auth
  return typeof auth === 'object' && auth !== null ? auth : null
}

export interface ResolveNamespacesOptions {
  /** The plugin's `namespace` option: what a request without auth (or an admin's default) sees. */
  defaultNamespace: string
  /** The namespace the request asked for (`?namespace=`), if any. */
  requested?: string | undefined
}

/**
 * The namespaces a request may read or write, or `null` when the namespace it asked for is outside
 * them — answer that as **not found** (404), never 403, so nothing tells that it exists.
 *
 * - Without auth (no `fastify.authorize`): the plugin's namespace; asking for another one → `null`.
 * - With auth: the identity's namespaces (possibly none: `[]`). An admin or an `allNamespaces` identity
 *   may ask for any namespace; without asking it gets the plugin's namespace plus those it lists. A
 *   request with no identity (a route left unprotected by mistake) gets `null`: fail closed.
 */
export function resolveNamespaces(
  request: FastifyRequest,
  options: ResolveNamespacesOptions,
): string[] | null {
  const { defaultNamespace, requested } = options
  const contract = authContractOf(request.server)
  if (contract === undefined) {
    return requested === undefined || requested === defaultNamespace ? [defaultNamespace] : null
  }
  const identity = identityOf(request)
  if (identity === null) return null
  const all = identity.role === 'admin' || identity.allNamespaces === true
  if (requested !== undefined) {
    return contract.canAccessNamespace(identity, requested) ? [requested] : null
  }
  const namespaces = all ? [defaultNamespace, ...identity.namespaces] : [...identity.namespaces]
  return [...new Set(namespaces)]
}
