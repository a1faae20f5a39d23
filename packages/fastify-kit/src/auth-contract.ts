/**
 * The auth contract: what the route plugins need from an auth plugin, declared once. An auth plugin
 * (`@comp-manager/fastify-auth`, or your own) implements it by decorating `fastify.authenticate`,
 * `fastify.authorize(role)` and `fastify.canAccessNamespace`, and filling `request.auth`; the route
 * plugins read it through these declarations and never import the auth plugin.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'

/** The roles, from least to most privileged. */
export const roles = ['viewer', 'worker', 'operator', 'admin'] as const

/**
 * `viewer` reads; `worker` also runs queued jobs over the worker protocol (claim, heartbeat, complete,
 * fail, release); `operator` also creates, updates and invalidates; `admin` also deletes and sees every
 * namespace. Each role includes the rights of the roles before it.
 */
export type Role = (typeof roles)[number]

/**
 * Who made the request, as every comp-manager route plugin reads it from `request.auth`. An auth plugin
 * adds its own fields by declaration merging (`@comp-manager/fastify-auth` adds `via` and `keyId`):
 * `declare module '@comp-manager/fastify-kit' { interface AuthIdentity { via: … } }`.
 */
export interface AuthIdentity {
  /** Who: a token's `sub`, an API key's subject… Recorded as the `owner` of what the request creates. */
  subject: string
  role: Role
  /** The namespaces this identity may touch (`'*'` removed: see `allNamespaces`). */
  namespaces: string[]
  /** True when the identity may touch every namespace (an `admin`, or credentials listing `'*'`). */
  allNamespaces: boolean
}

/** A preHandler hook that authenticates (and possibly authorizes) the request, or throws a 401/403. */
export type AuthPreHandler = (request: FastifyRequest, reply: FastifyReply) => Promise<void>

/** The decorators an auth plugin provides (`fastify.authenticate`, `fastify.authorize`, `fastify.canAccessNamespace`). */
export interface AuthContract {
  /** preHandler: fills `request.auth`, or answers 401 `CM_ERR_UNAUTHORIZED`. */
  authenticate: AuthPreHandler
  /** preHandler factory: authenticates, then answers 403 `CM_ERR_FORBIDDEN` when the role is below `role`. */
  authorize(role: Role): AuthPreHandler
  /** True when `identity` may touch `namespace` (admin, `allNamespaces`, or listed). */
  canAccessNamespace(identity: AuthIdentity | null | undefined, namespace: string): boolean
}

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * preHandler of the auth plugin: fills `request.auth`, or answers 401 `CM_ERR_UNAUTHORIZED`.
     * Present only when an auth plugin is registered (`fastify.hasDecorator('authenticate')`).
     */
    authenticate: AuthPreHandler
    /**
     * preHandler factory of the auth plugin: authenticates, then answers 403 `CM_ERR_FORBIDDEN` when the
     * role is below `role`. Present only when an auth plugin is registered (see `hasAuth`).
     */
    authorize(role: Role): AuthPreHandler
    /** True when `identity` may touch `namespace` (admin, `allNamespaces`, or listed). Present with an auth plugin. */
    canAccessNamespace(identity: AuthIdentity | null | undefined, namespace: string): boolean
  }
  interface FastifyRequest {
    /** The authenticated identity, or `null` before (or without) authentication. */
    auth: AuthIdentity | null
  }
}
