import createError from '@fastify/error'

/**
 * The errors this plugin raises itself, as `@fastify/error` classes with comp-manager's catalogued
 * codes (the standard error body). Validation, auth and store errors come with core's codes.
 */

/** 404: no such subscription in the caller's namespaces. */
export const SubscriptionNotFoundError = createError('CM_ERR_NOT_FOUND', '%s', 404)

/** 400: a target that is malformed, not http(s), carries credentials, or points at a forbidden address. */
export const TargetRefusedError = createError('CM_ERR_VALIDATION', '%s', 400)

/** The error classes of this plugin, by name; match on `err.code`, not on the message. */
export const errors = { SubscriptionNotFoundError, TargetRefusedError } as const
