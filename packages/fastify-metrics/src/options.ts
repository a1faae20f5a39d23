/** The options of `@comp-manager/fastify-metrics`, checked at `register()`. */
import { cmError } from '@comp-manager/core'
import { DECORATOR_NAME_PATTERN, type Role, roles, STORE_DECORATOR } from '@comp-manager/fastify-kit'
import { Registry } from 'prom-client'

export const PLUGIN_NAME = '@comp-manager/fastify-metrics'
export const DEFAULT_METRICS_PATH = '/metrics'
export const DEFAULT_MAX_FUNCTIONS = 200
/** The default `decorator`: `fastify.compMetrics`. */
export const DEFAULT_DECORATOR = 'compMetrics'
/** A bearer token shorter than this is refused (a guessable token protects nothing). */
export const MIN_TOKEN_LENGTH = 16

export interface FastifyMetricsOptions {
  /** The route of the Prometheus text. Default `/metrics`. */
  path?: string
  /**
   * A bearer token the scraper sends (`authorization: Bearer <token>`), at least 16 characters. When set
   * it is the only credential `/metrics` accepts.
   */
  token?: string
  /**
   * Without `token`, the role an auth plugin's credentials need (`@comp-manager/fastify-auth`: a JWT or
   * an API key). Default `'admin'`: the metrics describe every namespace.
   */
  role?: Role
  /**
   * Serve `/metrics` on its own HTTP server on this port (0: any free port; read it from
   * `fastify.compMetrics.address()`), not on the app's. Protected by `token` when one is set, else by
   * nothing but the network: bind it to a private interface (`host`).
   */
  port?: number
  /** The interface of the separate server. Default `127.0.0.1`. */
  host?: string
  /** The namespaces whose queue the gauges count. Default `['default']`. */
  namespaces?: string[]
  /** A prom-client registry to fill (the host's own); default a new one. */
  registry?: Registry
  /** prom-client's default process metrics (`process_cpu_seconds_total`, heap, event loop lag…). Default true. */
  defaultMetrics?: boolean
  /** Distinct `function` label values before the rest are counted as `other`. Default 200. */
  maxFunctions?: number
  /** OpenTelemetry spans when `@opentelemetry/api` is installed. Default true. */
  tracing?: boolean
  /** Measure (and trace) the operations of `fastify[storeDecorator]`, replacing it by an instrumented view. Default true. */
  instrumentStore?: boolean
  /** The decorator of the store. Default `'compStore'`. */
  storeDecorator?: string
  /** The name to decorate the service under: `fastify[decorator]`. Default `'compMetrics'`. */
  decorator?: string
}

export interface ResolvedMetricsOptions {
  path: string
  token: string | null
  role: Role
  port: number | null
  host: string
  namespaces: string[]
  registry: Registry
  defaultMetrics: boolean
  maxFunctions: number
  tracing: boolean
  instrumentStore: boolean
  storeDecorator: string
  decorator: string
}

function fail(option: string, problem: string): never {
  throw cmError('CM_ERR_INVALID_ARGUMENT', `${PLUGIN_NAME}: \`${option}\` ${problem}`, {
    details: { option, package: PLUGIN_NAME },
  })
}

function optionalBoolean(o: Record<string, unknown>, name: string, fallback: boolean): boolean {
  const v = o[name]
  if (v === undefined) return fallback
  if (typeof v !== 'boolean') fail(name, 'must be a boolean')
  return v
}

const decoratorPattern = new RegExp(DECORATOR_NAME_PATTERN)

function decoratorOption(o: Record<string, unknown>, name: string, fallback: string): string {
  const v = o[name] ?? fallback
  if (typeof v !== 'string' || !decoratorPattern.test(v)) {
    fail(name, 'must be a decorator name (an identifier of at most 64 characters)')
  }
  return v
}

function resolveAccess(o: Record<string, unknown>) {
  const { token, role, port, host } = o
  if (token !== undefined && (typeof token !== 'string' || token.length < MIN_TOKEN_LENGTH)) {
    fail('token', `must be a string of at least ${MIN_TOKEN_LENGTH} characters`)
  }
  if (role !== undefined && !(roles as readonly unknown[]).includes(role)) {
    fail('role', `must be one of ${roles.join(', ')}`)
  }
  if (port !== undefined && (!Number.isInteger(port) || (port as number) < 0 || (port as number) > 65535)) {
    fail('port', 'must be an integer in 0..65535')
  }
  if (host !== undefined && (typeof host !== 'string' || host === ''))
    fail('host', 'must be a host name or address')
  return {
    token: (token as string | undefined) ?? null,
    role: (role as Role | undefined) ?? 'admin',
    port: (port as number | undefined) ?? null,
    host: (host as string | undefined) ?? '127.0.0.1',
  }
}

/** Checks the options given to `register()`; throws `CM_ERR_INVALID_ARGUMENT` naming the option. */
export function resolveOptions(options: unknown): ResolvedMetricsOptions {
  if (options !== undefined && options !== null && (typeof options !== 'object' || Array.isArray(options))) {
    fail('options', 'must be an object')
  }
  const o = (options ?? {}) as Record<string, unknown>
  const path = o.path ?? DEFAULT_METRICS_PATH
  if (typeof path !== 'string' || !/^(\/[A-Za-z0-9._~-]+)+$/.test(path))
    fail('path', 'must be a URL path (`/metrics`)')
  const namespaces = o.namespaces ?? ['default']
  if (
    !Array.isArray(namespaces) ||
    namespaces.length === 0 ||
    !namespaces.every((n) => typeof n === 'string')
  ) {
    fail('namespaces', 'must be a non-empty array of namespaces')
  }
  const maxFunctions = o.maxFunctions ?? DEFAULT_MAX_FUNCTIONS
  if (!Number.isInteger(maxFunctions) || (maxFunctions as number) < 1 || (maxFunctions as number) > 10_000) {
    fail('maxFunctions', 'must be an integer in 1..10000')
  }
  if (o.registry !== undefined && !(o.registry instanceof Registry))
    fail('registry', 'must be a prom-client Registry')
  const storeDecorator = decoratorOption(o, 'storeDecorator', STORE_DECORATOR)
  const decorator = decoratorOption(o, 'decorator', DEFAULT_DECORATOR)
  return {
    path,
    ...resolveAccess(o),
    namespaces: namespaces as string[],
    registry: (o.registry as Registry | undefined) ?? new Registry(),
    defaultMetrics: optionalBoolean(o, 'defaultMetrics', true),
    maxFunctions: maxFunctions as number,
    tracing: optionalBoolean(o, 'tracing', true),
    instrumentStore: optionalBoolean(o, 'instrumentStore', true),
    storeDecorator,
    decorator,
  }
}
