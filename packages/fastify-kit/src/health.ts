/**
 * The health registry every comp-manager plugin shares: named checks in the `compHealthChecks`
 * decorator, run together by `runHealthChecks`.
 */
import { cmError, describeType } from '@comp-manager/core'
import { type Duration, DurationSchema, defineOptions } from '@comp-manager/core/options'
import type { FastifyInstance } from 'fastify'
import { type TSchemaOptions, Type } from 'typebox'
import { Compile } from 'typebox/compile'

/** What one health check reports. */
export interface HealthCheckResult {
  ok: boolean
  /** How long the check took, in milliseconds (measured by `runHealthChecks` when the check omits it). */
  latencyMs?: number
  /** Why the check failed (a message, never a stack trace nor a secret). */
  error?: string
  /** Anything else worth showing, e.g. `{ kind: 'sqlite' }`. */
  details?: object
}

/** A health check: a cheap probe of one dependency. Throwing or hanging counts as a failure. */
export type HealthCheck = () => Promise<HealthCheckResult>

/** The checks of every comp-manager plugin of an instance, by name (the `fastify.compHealthChecks` decorator). */
export type HealthChecks = Map<string, HealthCheck>

/** What `runHealthChecks` returns: `ok` only when every check passed. */
export interface HealthReport {
  ok: boolean
  checks: Record<string, HealthCheckResult>
}

export interface RunHealthChecksOptions {
  /** A check that has not settled after this long fails: milliseconds, or a duration such as `'2s'`. Default 2000. */
  timeoutMs?: Duration
}

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * Health checks of the comp-manager plugins, by name; created by the first plugin that registers one.
     * Use `registerHealthCheck` and `runHealthChecks` rather than the map itself.
     */
    compHealthChecks: HealthChecks
  }
}

/** Default of `RunHealthChecksOptions.timeoutMs`. */
export const DEFAULT_HEALTH_CHECK_TIMEOUT_MS = 2000

/** Name of the instance decorator holding the checks. */
export const HEALTH_CHECKS_DECORATOR = 'compHealthChecks'

const PACKAGE = '@comp-manager/fastify-kit'

/** A health check name: 1-64 letters, digits, `_`, `.`, `:` or `-`, starting with a letter or digit. */
export const HealthCheckNameSchema = Type.String({
  pattern: '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$',
  expected: "a check name (1-64 letters, digits, '_', '.', ':' or '-')",
} as TSchemaOptions)
const checkName = Compile(HealthCheckNameSchema)

const RunOptions = defineOptions(
  Type.Object(
    { timeoutMs: Type.Optional(DurationSchema({ integer: false, description: 'Timeout of one check' })) },
    { additionalProperties: false },
  ),
  { package: PACKAGE, what: 'runHealthChecks', optional: true },
)

function invalid(message: string, details: Record<string, unknown>): never {
  throw cmError('CM_ERR_INVALID_ARGUMENT', `${PACKAGE}: ${message}`, { details })
}

/**
 * The instance's check registry, created (as the `compHealthChecks` decorator) if it does not exist
 * yet. Call it from a plugin wrapped with `fastify-plugin` so the decorator lands on the instance the
 * health route sees; in an encapsulated child the registry would stay in the child.
 */
export function healthChecksOf(fastify: FastifyInstance): HealthChecks {
  if (!fastify.hasDecorator(HEALTH_CHECKS_DECORATOR)) {
    fastify.decorate(HEALTH_CHECKS_DECORATOR, new Map<string, HealthCheck>())
  }
  return fastify.compHealthChecks
}

/**
 * Adds a named health check to the instance (creating the `compHealthChecks` registry if needed).
 * Names are unique: registering a name twice throws `CM_ERR_INVALID_ARGUMENT`.
 *
 * @example
 * registerHealthCheck(fastify, 'cache', async () => ({ ok: true, details: { l1: cache.l1Size } }))
 */
export function registerHealthCheck(fastify: FastifyInstance, name: string, check: HealthCheck): void {
  if (!checkName.Check(name)) {
    invalid(
      `a health check name must be 1-64 letters, digits, '_', '.', ':' or '-' (got ${typeof name === 'string' ? JSON.stringify(name) : describeType(name)})`,
      { name },
    )
  }
  if (typeof check !== 'function') {
    invalid(
      `the health check \`${name}\` must be a function returning a promise (got ${describeType(check)})`,
      { name },
    )
  }
  const checks = healthChecksOf(fastify)
  if (checks.has(name)) invalid(`a health check named \`${name}\` is already registered`, { name })
  checks.set(name, check)
}

function message(err: unknown): string {
  if (err instanceof Error) return err.message
  return typeof err === 'string' ? err : `threw ${describeType(err)}`
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** Milliseconds to the microsecond. */
const round = (ms: number): number => Math.round(ms * 1000) / 1000

/** A check's answer, normalised: anything that is not `{ ok: boolean, … }` is a failure. */
function normalise(value: unknown, elapsedMs: number): HealthCheckResult {
  if (!isObject(value) || typeof value.ok !== 'boolean') {
    return {
      ok: false,
      latencyMs: elapsedMs,
      error: `the check returned ${describeType(value)}, not { ok: boolean }`,
    }
  }
  const result: HealthCheckResult = {
    ok: value.ok,
    latencyMs:
      typeof value.latencyMs === 'number' && Number.isFinite(value.latencyMs)
        ? round(value.latencyMs)
        : elapsedMs,
  }
  if (typeof value.error === 'string') result.error = value.error
  else if (!value.ok) result.error = 'the check failed'
  if (isObject(value.details)) result.details = value.details
  return result
}

/** Runs one check with a timeout; never rejects. */
async function runOne(check: HealthCheck, timeoutMs: number): Promise<HealthCheckResult> {
  const started = performance.now()
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<'timeout'>((resolve) => {
    // Not unref'd: the caller awaits the report, so the timer must keep the process alive until then.
    timer = setTimeout(() => resolve('timeout'), timeoutMs)
  })
  try {
    // `Promise.resolve().then` turns a synchronous throw into a rejection too.
    const outcome = await Promise.race([Promise.resolve().then(check), timeout])
    const elapsed = round(performance.now() - started)
    if (outcome === 'timeout') {
      return { ok: false, latencyMs: elapsed, error: `no answer within ${timeoutMs} ms` }
    }
    return normalise(outcome, elapsed)
  } catch (err) {
    return { ok: false, latencyMs: round(performance.now() - started), error: message(err) }
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Runs every registered check concurrently. A check that throws, rejects, answers something other
 * than `{ ok: boolean }` or does not settle within `timeoutMs` counts as failed; this function never
 * rejects (a bad `timeoutMs` throws `CM_ERR_INVALID_ARGUMENT`). With no check registered the report
 * is `{ ok: true, checks: {} }`.
 *
 * @example
 * fastify.get('/health/detailed', async (_request, reply) => {
 *   const report = await runHealthChecks(fastify)
 *   return reply.code(report.ok ? 200 : 503).send(report)
 * })
 */
export async function runHealthChecks(
  fastify: FastifyInstance,
  options: RunHealthChecksOptions = {},
): Promise<HealthReport> {
  const timeoutMs = RunOptions.parse(options).timeoutMs ?? DEFAULT_HEALTH_CHECK_TIMEOUT_MS
  const checks = fastify.hasDecorator(HEALTH_CHECKS_DECORATOR) ? fastify.compHealthChecks : undefined
  const entries = checks === undefined ? [] : [...checks]
  const results = await Promise.all(entries.map(([, check]) => runOne(check, timeoutMs)))
  const report: HealthReport = { ok: true, checks: {} }
  entries.forEach(([name], i) => {
    const result = results[i]!
    report.checks[name] = result
    if (!result.ok) report.ok = false
  })
  return report
}
