/**
 * `@fastify/jwt` (and `@fastify/cookie`) registered privately, in an encapsulated child: their
 * decorators (`fastify.jwt`, `request.user`, `request.cookies`…), hooks and our secret stay private, and
 * a host that uses either plugin itself keeps its own.
 */
import { fastifyCookie } from '@fastify/cookie'
import fastifyJwt, { type JWT } from '@fastify/jwt'
import type { FastifyInstance } from 'fastify'
import type { ResolvedOptions } from './options.js'

/** The jwt `namespace` and decorator name: clear of a host's `fastify.jwt` / `request.user`. */
const JWT_NAMESPACE = 'compManagerAuth'

/** Cookie parsing and serialization, from @fastify/cookie (typed here so our .d.ts does not pull its augmentation in). */
export interface CookieCodec {
  parse(header: string): Record<string, string | undefined>
  serialize(
    name: string,
    value: string,
    options: {
      httpOnly: boolean
      secure: boolean
      sameSite: 'lax' | 'strict' | 'none'
      path: string
      domain?: string
      maxAge: number
      expires?: Date
    },
  ): string
}

/**
 * The private `@fastify/jwt` namespace as the plugin uses it (typed here so our .d.ts does not pull in
 * its augmentation: no `fastify.jwt`, no `request.user` in the host's types).
 */
export interface TokenSigner {
  sign(payload: Record<string, unknown>, options?: { expiresIn?: number }): string
  verify(token: string): unknown
  decode(token: string): unknown
}

/** What the private child gives the plugin: the signer/verifier, and the cookie codec when cookies are on. */
export interface Internals {
  signer: TokenSigner
  cookieCodec: CookieCodec | undefined
}

/** The options of the private `@fastify/jwt`. */
function jwtOptions(options: ResolvedOptions) {
  return {
    namespace: JWT_NAMESPACE,
    decoratorName: JWT_NAMESPACE,
    secret: options.secret,
    sign: {
      algorithm: options.algorithms[0],
      expiresIn: options.expiresIn,
      ...(options.issuer === undefined ? {} : { iss: options.issuer }),
      ...(options.audience === undefined ? {} : { aud: options.audience }),
    },
    verify: {
      // No fast-jwt cache: the plugin keeps the tokens that passed all of its checks itself
      // (token-cache.ts), by their text, without hashing them on every request as fast-jwt does.
      algorithms: options.algorithms,
      clockTolerance: options.clockToleranceMs,
      // fast-jwt checks `iss`/`aud` only when present: require them when they are configured.
      requiredClaims: [
        'exp',
        ...(options.issuer === undefined ? [] : ['iss']),
        ...(options.audience === undefined ? [] : ['aud']),
      ],
      ...(options.issuer === undefined ? {} : { allowedIss: options.issuer }),
      ...(options.audience === undefined ? {} : { allowedAud: options.audience }),
    },
  }
}

/** Registers the private child and returns what it decorated. */
export async function registerInternals(
  fastify: FastifyInstance,
  options: ResolvedOptions,
): Promise<Internals> {
  let signer: JWT | undefined
  let cookieCodec: CookieCodec | undefined
  await fastify.register(async function compManagerAuthInternals(child) {
    await child.register(fastifyJwt, jwtOptions(options))
    signer = (child.jwt as unknown as Record<string, JWT>)[JWT_NAMESPACE]
    if (options.cookie !== null) {
      // Reuse the host's @fastify/cookie when it has one; otherwise a private one, without hooks.
      if (!child.hasDecorator('parseCookie')) await child.register(fastifyCookie, { hook: false })
      cookieCodec = { parse: child.parseCookie, serialize: child.serializeCookie }
    }
  })
  return { signer: signer!, cookieCodec }
}
