/** Issuing tokens: `fastify.issueToken(claims, opts?)` and the token routes. */
import { cmError } from '@comp-manager/core'
import { defineOptions, NamespaceOptionSchema, OneOfSchema } from '@comp-manager/core/options'
import { type TSchemaOptions, Type } from 'typebox'
import type { TokenSigner } from './internals.js'
import { PLUGIN_NAME, type ResolvedOptions } from './options.js'
import { MAX_SECONDS, SecondsSchema } from './seconds.js'
import { type IssueTokenOptions, roles, type TokenClaims } from './types.js'

const Claims = defineOptions(
  Type.Object({
    sub: Type.String({ minLength: 1, expected: 'a non-empty string' } as TSchemaOptions),
    role: OneOfSchema(roles),
    namespaces: Type.Array(Type.Union([Type.Literal('*'), NamespaceOptionSchema]), {
      expected: "an array of namespaces or '*'",
    } as TSchemaOptions),
  }),
  { package: PLUGIN_NAME, what: 'issueToken(claims)' },
)

const IssueOptions = defineOptions(
  Type.Object(
    {
      expiresIn: Type.Optional(SecondsSchema(1, MAX_SECONDS, "seconds (≥ 1) or a duration such as '15m'")),
      development: Type.Optional(Type.Boolean()),
    },
    { additionalProperties: false },
  ),
  { package: PLUGIN_NAME, what: 'issueToken(opts)', optional: true },
)

/** The claim of a development token (see `acceptDevelopmentTokens`). */
export const DEVELOPMENT_CLAIM = 'cm_dev'
/** The claim naming the API key a token was exchanged for: the key is looked up again on every use. */
export const API_KEY_CLAIM = 'cm_key'

/** Signs `claims` (in the configured claim names); returns the token and its expiry (seconds). */
export function issueToken(
  options: ResolvedOptions,
  signer: TokenSigner,
  tokenClaims: TokenClaims,
  issueOpts?: IssueTokenOptions,
  keyId?: string,
): { token: string; exp: number } {
  if (!options.canSign) {
    throw cmError('CM_ERR_INVALID_ARGUMENT', `${PLUGIN_NAME}: cannot issue tokens without \`secret.private\``)
  }
  const { sub, role, namespaces } = Claims.parse(tokenClaims)
  const { expiresIn, development } = IssueOptions.parse(issueOpts)
  const { claims } = options
  const payload: Record<string, unknown> = {}
  payload[claims.subject] = sub
  payload[claims.role] = role
  payload[claims.namespaces] = [...namespaces]
  if (development === true) payload[DEVELOPMENT_CLAIM] = true
  if (keyId !== undefined) payload[API_KEY_CLAIM] = keyId
  const token = expiresIn === undefined ? signer.sign(payload) : signer.sign(payload, { expiresIn })
  return { token, exp: (signer.decode(token) as { exp: number }).exp }
}
