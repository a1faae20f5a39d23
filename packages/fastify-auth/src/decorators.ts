/**
 * The names `@comp-manager/fastify-auth` decorates its functions under (the `decorators` option). The
 * route plugins do not depend on them: they find the auth contract under the kit's `AUTH_CONTRACT`
 * symbol, so a renamed `authorize` still protects their routes.
 */
import { decoratorName } from '@comp-manager/fastify-kit'
import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'

/** The decorators and their default names. */
export const DEFAULT_DECORATORS = {
  authenticate: 'authenticate',
  authorize: 'authorize',
  canAccessNamespace: 'canAccessNamespace',
  issueToken: 'issueToken',
} as const

/** Other names for the plugin's decorators (e.g. next to another plugin's `fastify.authenticate`). */
export type AuthDecoratorNames = { [K in keyof typeof DEFAULT_DECORATORS]?: string }

export type ResolvedDecoratorNames = { [K in keyof typeof DEFAULT_DECORATORS]: string }

export const DecoratorsSchema = Type.Object(
  {
    authenticate: Type.Optional(decoratorName('authenticate')),
    authorize: Type.Optional(decoratorName('authorize')),
    canAccessNamespace: Type.Optional(decoratorName('canAccessNamespace')),
    issueToken: Type.Optional(decoratorName('issueToken')),
  },
  { additionalProperties: false },
)

/** The names given over the defaults; two decorators under one name are refused by `fail`. */
export function resolveDecorators(
  given: AuthDecoratorNames | undefined,
  fail: (path: string, problem: string) => never,
): ResolvedDecoratorNames {
  const names = { ...DEFAULT_DECORATORS, ...given }
  const seen = new Map<string, string>()
  for (const [key, name] of Object.entries(names)) {
    const other = seen.get(name)
    if (other !== undefined)
      fail(`decorators.${key}`, `is '${name}', the name of \`${other}\` too: pick another`)
    seen.set(name, key)
  }
  return names
}

/**
 * `{ [name]: the decorator }` for names chosen in `decorators`, to type them:
 * `declare module 'fastify' { interface FastifyInstance extends RenamedAuthDecorators<{ issueToken: 'signToken' }> {} }`.
 */
export type RenamedAuthDecorators<Names extends AuthDecoratorNames> = {
  [K in keyof Names as Names[K] extends string ? Names[K] : never]: K extends keyof AuthDecoratorTypes
    ? AuthDecoratorTypes[K]
    : never
}

/** The type of each decorator, as the default names have it. */
export interface AuthDecoratorTypes {
  authenticate: FastifyInstance['authenticate']
  authorize: FastifyInstance['authorize']
  canAccessNamespace: FastifyInstance['canAccessNamespace']
  issueToken: FastifyInstance['issueToken']
}
