/** The role and namespace rules, and the identity built from verified credentials. */
import { NamespaceSchema } from '@comp-manager/core'
import { Compile } from 'typebox/compile'
import { type AuthIdentity, type Role, roles } from './types.js'

/** Rank of each role: a route needing `role` admits every identity whose rank is at least its rank. */
export const roleRank: Readonly<Record<Role, number>> = Object.freeze({
  viewer: 0,
  worker: 1,
  operator: 2,
  admin: 3,
})

/** True when `role` includes the rights of `required`. */
export function roleAtLeast(role: Role, required: Role): boolean {
  return roleRank[role] >= roleRank[required]
}

/** `canAccessNamespace` as comp-manager's route plugins expect it. */
export function canAccessNamespace(identity: AuthIdentity | null | undefined, namespace: string): boolean {
  if (identity === null || identity === undefined) return false
  return identity.role === 'admin' || identity.allNamespaces || identity.namespaces.includes(namespace)
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (roles as readonly string[]).includes(value)
}

const namespaceCheck = Compile(NamespaceSchema)

/** A namespace as core's `NamespaceSchema` defines it, or `'*'` (all namespaces). */
export function isNamespaceOrWildcard(value: unknown): value is string {
  return value === '*' || namespaceCheck.Check(value)
}

/** The names of the claims carrying the identity, resolved. */
export interface ClaimNamesResolved {
  subject: string
  role: string
  namespaces: string
}

const MAX_SUBJECT_LENGTH = 256
const MAX_NAMESPACES = 1000

/**
 * Builds an identity from a role and a namespace list that may contain `'*'`; `allNamespaces` is true
 * for `'*'` and for `admin`.
 */
export function buildIdentity(
  subject: string,
  role: Role,
  namespaces: readonly string[],
  via: AuthIdentity['via'],
  keyId?: string,
): AuthIdentity {
  const wildcard = namespaces.includes('*')
  const identity: AuthIdentity = {
    subject,
    role,
    namespaces: wildcard ? namespaces.filter((ns) => ns !== '*') : [...namespaces],
    allNamespaces: wildcard || role === 'admin',
    via,
  }
  if (keyId !== undefined) identity.keyId = keyId
  return identity
}

/**
 * The identity carried by a verified token's payload, or `null` when a claim is missing or malformed
 * (no `sub` string, an unknown role, `ns` not an array of namespaces). Reads own properties only.
 */
export function identityFromClaims(
  payload: unknown,
  claims: ClaimNamesResolved,
  via: 'jwt' | 'cookie',
): AuthIdentity | null {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return null
  const own = (name: string): unknown =>
    Object.hasOwn(payload, name) ? (payload as Record<string, unknown>)[name] : undefined
  const subject = own(claims.subject)
  const role = own(claims.role)
  const namespaces = own(claims.namespaces)
  if (typeof subject !== 'string' || subject === '' || subject.length > MAX_SUBJECT_LENGTH) return null
  if (!isRole(role)) return null
  if (
    !Array.isArray(namespaces) ||
    namespaces.length > MAX_NAMESPACES ||
    !namespaces.every(isNamespaceOrWildcard)
  ) {
    return null
  }
  return buildIdentity(subject, role, namespaces, via)
}
