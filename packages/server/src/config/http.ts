import { type TSchemaOptions, Type } from 'typebox'
import type { EnvValues } from './env-reader.js'
import { EnvInteger, EnvList, EnvString, EnvUnion } from './env-schema.js'
import type { ConfigContext, ServerConfig } from './types.js'

export const DEFAULT_PORT = 3000

/** The origin of `value` when it is an http(s) origin and nothing more (a trailing `/` is allowed). */
function parseOrigin(value: string): string | undefined {
  try {
    const url = new URL(value)
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined
    if (url.origin !== value.replace(/\/$/, '')) return undefined
    return url.origin
  } catch {
    return undefined
  }
}

const OriginSchema = Type.Decode(
  Type.Refine(Type.String(), (value) => parseOrigin(value) !== undefined),
  (value) => parseOrigin(value) ?? value,
)

/** A proxy `TRUST_PROXY` lists: an IPv4/IPv6 address or CIDR, or one of proxy-addr's names. */
const PROXY_PATTERN = '^(?:[0-9a-fA-F.:]+(?:/\\d{1,3})?|loopback|linklocal|uniquelocal)$'

/** Where and how the server listens. */
export const httpEnv = {
  HOST: Type.Optional(
    EnvString({
      pattern: '^\\S+$',
      expected: 'a host name or address',
      defaultText: '`127.0.0.1` (`0.0.0.0` in production)',
      description: 'address to listen on',
    }),
  ),
  PORT: EnvInteger({
    minimum: 0,
    maximum: 65535,
    default: DEFAULT_PORT,
    description: 'port to listen on (`0`: any free port)',
  }),
  CORS_ORIGINS: Type.Optional(
    EnvList(
      Type.Union([Type.Literal('*'), OriginSchema], {
        expected: 'an origin such as https://app.example.com',
      } as TSchemaOptions),
      {
        expected: "origins separated by commas, or '*'",
        description: 'origins allowed to call the API from a browser, or `*`; unset: no CORS headers',
      },
    ),
  ),
  TRUST_PROXY: EnvUnion(
    [Type.Boolean(), Type.Integer({ minimum: 0 }), Type.Array(Type.String({ pattern: PROXY_PATTERN }))],
    {
      default: false,
      expected: 'true, false, a hop count, or addresses/CIDRs separated by commas',
      description: 'trust `X-Forwarded-*` from these proxies',
    },
  ),
}

export function httpConfig(
  env: EnvValues<typeof httpEnv>,
  { report, production }: ConfigContext,
): Pick<ServerConfig, 'host' | 'port' | 'corsOrigins' | 'trustProxy'> {
  if (!report.given('HOST')) report.sources.HOST = 'default'
  let corsOrigins: ServerConfig['corsOrigins'] = env.CORS_ORIGINS ?? null
  if (corsOrigins?.includes('*')) {
    if (corsOrigins.length > 1) report.problem('CORS_ORIGINS', "'*' cannot be combined with other origins")
    corsOrigins = '*'
  }
  return {
    host: env.HOST ?? (production ? '0.0.0.0' : '127.0.0.1'),
    port: env.PORT,
    corsOrigins,
    trustProxy: env.TRUST_PROXY,
  }
}
