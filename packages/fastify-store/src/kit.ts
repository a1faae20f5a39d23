/**
 * `@comp-manager/fastify-store/kit`: what every comp-manager route plugin (`fastify-tracker`,
 * `fastify-cache`) needs, in one place so that they validate, protect, scope and fail alike:
 *
 * - {@link routeValidatorCompiler}: TypeBox validation where `additionalProperties: false` **rejects**
 *   unknown fields and query keys (400) instead of Fastify's default of stripping them;
 * - {@link createErrorHandler}: the one error body `{ statusCode, code, error, message, requestId, details? }`
 *   (core's `toHttpError`);
 * - {@link rejectDollarKeys} / {@link dollarKeyGuard}: no `$`-prefixed key anywhere in a query or a body;
 * - {@link protect} and {@link resolveNamespaces}: roles and namespaces through the auth contract of
 *   `@comp-manager/fastify-auth` (or any plugin providing it), without depending on it;
 * - the pagination query and response schemas;
 * - for the plugin itself: {@link resolvePluginOptions} (the options every route plugin has),
 *   {@link claimDecorator}, {@link givenOrCreated}, {@link healthCheckName}, {@link pingError} and
 *   {@link refuseLateAuth} (the registration steps), {@link routeDocs}, {@link firstFound},
 *   {@link writeNamespace} and {@link withDetails} (route helpers), {@link described},
 *   {@link IsoDateTimeSchema} and {@link NamespaceQueryProperty} (schema pieces).
 *
 * Use it inside the plugin's **encapsulated** child context (the one that declares the routes), so the
 * validator compiler and the error handler never leak into the host's app: {@link useRouteKit}.
 */
import { cmError, ErrorBodySchema, type Page, PageSchema, toHttpError } from '@comp-manager/core'
import { TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox'
import type {
  FastifyError,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  FastifySchemaCompiler,
  preHandlerHookHandler,
  preValidationHookHandler,
} from 'fastify'
import { type TSchema, Type } from 'typebox'

// ── validation ──────────────────────────────────────────────────────────────────────────────────

type ValidationIssue = {
  keyword: string
  schemaPath: string
  instancePath: string
  params: Record<string, unknown>
  message: string
}

const INTEGER_TEXT = /^-?(?:0|[1-9][0-9]*)$/
const NUMBER_TEXT = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/

/** JSON-pointer escaping of one key (`/` and `~`). */
const pointer = (key: string): string => `/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`

/** The declared JSON type of a (top-level) property schema: 'integer', 'number' or undefined. */
function numericType(schema: unknown): 'integer' | 'number' | undefined {
  if (typeof schema !== 'object' || schema === null) return undefined
  const type = (schema as { type?: unknown }).type
  return type === 'integer' || type === 'number' ? type : undefined
}

/**
 * Query strings and path parameters arrive as text, and TypeBox's conversion is lenient: `'1.5'`
 * becomes the integer `1`, `'0x10'` the number 16, `' 7 '` 7. Before converting, numeric properties
 * must be spelled as plain decimal numbers (integers without a fraction), or the request is a 400.
 */
function strictNumbers(schema: TSchema, value: unknown): ValidationIssue[] {
  const properties = (schema as { properties?: Record<string, unknown> }).properties
  if (properties === undefined || typeof value !== 'object' || value === null) return []
  const issues: ValidationIssue[] = []
  for (const [key, property] of Object.entries(properties)) {
    const type = numericType(property)
    if (type === undefined || !Object.hasOwn(value, key)) continue
    const raw = (value as Record<string, unknown>)[key]
    if (typeof raw !== 'string') continue
    if (!(type === 'integer' ? INTEGER_TEXT : NUMBER_TEXT).test(raw)) {
      issues.push({
        keyword: 'type',
        schemaPath: `#/properties${pointer(key)}`,
        instancePath: pointer(key),
        params: { type },
        message: `must be ${type === 'integer' ? 'an integer' : 'a number'}`,
      })
    }
  }
  return issues
}

/**
 * The validator compiler of comp-manager's routes: `TypeBoxValidatorCompiler` from
 * `@fastify/type-provider-typebox` (so `additionalProperties: false` rejects unknown fields and
 * query keys with a 400, where Fastify's default Ajv setup removes them silently), plus strict
 * numbers in query strings and path parameters (`?page=1.5` is a 400, not page 1).
 */
export const routeValidatorCompiler: FastifySchemaCompiler<TSchema> = (route) => {
  const validate = TypeBoxValidatorCompiler(route)
  if (route.httpPart !== 'querystring' && route.httpPart !== 'params') return validate
  return (value: unknown) => {
    const issues = strictNumbers(route.schema, value)
    return issues.length > 0 ? { error: issues as unknown as Error } : validate(value)
  }
}

// ── `$` keys ────────────────────────────────────────────────────────────────────────────────────

/** Most nodes of one query or body the `$`-key scan visits before refusing the request. */
export const MAX_SCANNED_NODES = 100_000

/**
 * The path of the first `$`-prefixed key in `value` (at any depth, in objects and arrays), or
 * `undefined`. Query keys are also refused when a bracket or dot segment starts with `$`
 * (`status[$ne]`, `a.$gt`), the spellings other query parsers turn into operators. Iterative, so a
 * deeply nested body cannot overflow the stack; over {@link MAX_SCANNED_NODES} nodes it reports the
 * root (`''`) so the caller refuses the request.
 */
export function findDollarKey(value: unknown, options: { segments?: boolean } = {}): string | undefined {
  const segments = options.segments ?? false
  const stack: Array<{ node: unknown; path: string }> = [{ node: value, path: '' }]
  let visited = 0
  while (stack.length > 0) {
    const { node, path } = stack.pop()!
    if (typeof node !== 'object' || node === null) continue
    if (++visited > MAX_SCANNED_NODES) return ''
    if (Array.isArray(node)) {
      for (let i = node.length - 1; i >= 0; i--) stack.push({ node: node[i], path: `${path}/${i}` })
      continue
    }
    for (const key of Object.keys(node)) {
      if (key.startsWith('$') || (segments && /[[.]\$/.test(key))) return `${path}${pointer(key)}`
      stack.push({ node: (node as Record<string, unknown>)[key], path: `${path}${pointer(key)}` })
    }
  }
  return undefined
}

/**
 * Throws a 400 `CM_ERR_VALIDATION` when the query string or the body holds a `$`-prefixed key at any
 * depth — including inside free-form JSON such as a computation's codec-encoded `args`, where every
 * store keeps it as inert data: a request never carries anything that looks like a database operator
 * (`$where`, `$ne`, `$gt`…), whatever store or host code sees it later. (A value whose objects have
 * `$`-prefixed keys can still be recorded by calling the tracked function in-process.)
 */
export function rejectDollarKeys(request: Pick<FastifyRequest, 'query' | 'body'>): void {
  for (const [part, value, segments] of [
    ['querystring', request.query, true],
    ['body', request.body, false],
  ] as const) {
    const path = findDollarKey(value, { segments })
    if (path === undefined) continue
    throw cmError(
      'CM_ERR_VALIDATION',
      path === ''
        ? `${part} is too large to check for \`$\`-prefixed keys`
        : `${part}${path}: \`$\`-prefixed keys are not allowed (no database operators in requests)`,
      { details: { in: part, issues: [{ path: `${part}${path || '/'}`, message: 'forbidden `$` key' }] } },
    )
  }
}

/** {@link rejectDollarKeys} as a `preValidation` hook (it runs before the schema, for a clear message). */
export const dollarKeyGuard: preValidationHookHandler = async function dollarKeyGuard(request) {
  rejectDollarKeys(request)
}

// ── errors ──────────────────────────────────────────────────────────────────────────────────────

export interface ErrorHandlerOptions {
  /** Show internal messages and stacks of 5xx errors in `details` (never in production). Default false. */
  development?: boolean
}

/**
 * An error handler rendering every error (comp-manager's codes, validation, `@fastify/error`, auth,
 * rate limits, anything unexpected) as the one error body through core's `toHttpError`, with the
 * request id from `request.id`. Logs 5xx at `error` and the rest at `info`, as Fastify's default does.
 * Headers set before the error (`www-authenticate`, `retry-after`) are kept.
 */
export function createErrorHandler(
  options: ErrorHandlerOptions = {},
): (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => void {
  const development = options.development === true
  return function compManagerErrorHandler(error, request, reply) {
    const { statusCode, body } = toHttpError(error, { requestId: String(request.id), development })
    if (statusCode >= 500) request.log.error({ err: error, code: body.code }, body.message)
    else request.log.info({ err: error, code: body.code }, body.message)
    if (reply.sent || reply.raw.headersSent) return
    reply.code(statusCode).type('application/json; charset=utf-8').send(body)
  }
}

/** The error body's schema without its `$id` (inline in every route's responses; OpenAPI-friendly). */
export const ErrorResponseSchema = Type.Object(ErrorBodySchema.properties, {
  additionalProperties: false,
  description: 'The error body of every non-2xx response',
})

/** `{ [status]: ErrorResponseSchema }` for each status, to spread into a route's `response`. */
export function errorResponses(...statuses: number[]): Record<number, typeof ErrorResponseSchema> {
  return Object.fromEntries(statuses.map((status) => [status, ErrorResponseSchema]))
}

// ── auth contract ───────────────────────────────────────────────────────────────────────────────

/** The role names of the auth contract (`viewer < operator < admin`). */
export type KitRole = 'viewer' | 'operator' | 'admin'

/** The part of `@comp-manager/fastify-auth`'s `AuthIdentity` the route plugins read. */
export interface KitIdentity {
  subject: string
  role: KitRole
  namespaces: readonly string[]
  allNamespaces: boolean
}

interface AuthContract {
  authorize(role: KitRole): preHandlerHookHandler
  canAccessNamespace?(identity: KitIdentity | null | undefined, namespace: string): boolean
}

/** True when an auth plugin providing the contract (`fastify.authorize`) is registered. */
export function hasAuth(fastify: FastifyInstance): boolean {
  return fastify.hasDecorator('authorize')
}

/**
 * The preHandlers protecting a route: `[fastify.authorize(role)]` when an auth plugin is registered
 * (before the route plugin), `[]` otherwise.
 */
export function protect(fastify: FastifyInstance, role: KitRole): preHandlerHookHandler[] {
  if (!hasAuth(fastify)) return []
  return [(fastify as unknown as AuthContract).authorize(role)]
}

/** OpenAPI `security` of a protected route (the schemes `@comp-manager/fastify-auth` exports), or `undefined`. */
export function securityOf(fastify: FastifyInstance): Array<Record<string, string[]>> | undefined {
  return hasAuth(fastify) ? [{ bearerAuth: [] }, { apiKeyAuth: [] }] : undefined
}

/** The request's identity, when an auth plugin filled `request.auth`. */
export function identityOf(request: FastifyRequest): KitIdentity | null {
  const auth = (request as unknown as { auth?: unknown }).auth
  return typeof auth === 'object' && auth !== null ? (auth as KitIdentity) : null
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
  const server = request.server
  if (!hasAuth(server)) {
    return requested === undefined || requested === defaultNamespace ? [defaultNamespace] : null
  }
  const identity = identityOf(request)
  if (identity === null) return null
  const all = identity.role === 'admin' || identity.allNamespaces === true
  if (requested !== undefined) {
    const contract = server as unknown as AuthContract
    const allowed =
      typeof contract.canAccessNamespace === 'function'
        ? contract.canAccessNamespace(identity, requested)
        : all || identity.namespaces.includes(requested)
    return allowed ? [requested] : null
  }
  const namespaces = all ? [defaultNamespace, ...identity.namespaces] : [...identity.namespaces]
  return [...new Set(namespaces)]
}

// ── pagination ──────────────────────────────────────────────────────────────────────────────────

/** Largest `page` accepted (a page past the end is simply empty). */
export const MAX_PAGE = 1_000_000
export const DEFAULT_PER_PAGE = 20
export const MAX_PER_PAGE = 100

/** The pagination query properties, to spread into a route's querystring schema. */
export const PaginationQueryProperties = {
  page: Type.Optional(
    Type.Integer({ minimum: 1, maximum: MAX_PAGE, default: 1, description: 'Page number, from 1' }),
  ),
  per_page: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: MAX_PER_PAGE,
      default: DEFAULT_PER_PAGE,
      description: `Items per page, 1..${MAX_PER_PAGE}`,
    }),
  ),
}

/** `{ page?, per_page? }`, unknown keys refused. */
export const PaginationQuerySchema = Type.Object(PaginationQueryProperties, { additionalProperties: false })

/** `{ page, perPage }` of a validated query, defaults applied. */
export function pageOf(query: { page?: number | undefined; per_page?: number | undefined }): {
  page: number
  perPage: number
} {
  return { page: query.page ?? 1, perPage: query.per_page ?? DEFAULT_PER_PAGE }
}

/** The response schema of a listing: `{ data, page, per_page, total, pages }` (core's `PageSchema`). */
export const PageResponseSchema = PageSchema

/** The body of a listing from a store's `Page`, each item mapped with `map`. */
export function toPageBody<T, U>(
  page: Page<T>,
  map: (item: T) => U,
): { data: U[]; page: number; per_page: number; total: number; pages: number } {
  return {
    data: page.data.map(map),
    page: page.page,
    per_page: page.perPage,
    total: page.total,
    pages: page.pages,
  }
}

/** An empty listing (for a caller that may see no namespace at all). */
export function emptyPage(page: number, perPage: number): Page<never> {
  return { data: [], page, perPage, total: 0, pages: 0 }
}

// ── all of it ───────────────────────────────────────────────────────────────────────────────────

/** Options of {@link useRouteKit}. */
export interface RouteKitOptions extends ErrorHandlerOptions {
  /**
   * Answer unknown routes below the context's prefix with the standard body (404
   * `CM_ERR_ROUTE_NOT_FOUND`) instead of Fastify's default one. Default true.
   */
  notFound?: boolean
}

/**
 * Applies the kit to an encapsulated child context (call it in the function registered without
 * `fastify-plugin` that declares the routes): the validator compiler, the error handler, the
 * `$`-key guard and (unless `notFound: false`) a not-found handler for the context's prefix. Nothing
 * reaches the host's app.
 */
export function useRouteKit(fastify: FastifyInstance, options: RouteKitOptions = {}): void {
  fastify.setValidatorCompiler(routeValidatorCompiler)
  fastify.setErrorHandler(createErrorHandler(options))
  fastify.addHook('preValidation', dollarKeyGuard)
  if (options.notFound !== false) {
    fastify.setNotFoundHandler(async (request) => {
      throw cmError(
        'CM_ERR_ROUTE_NOT_FOUND',
        `Route ${request.method}:${request.url.split('?')[0]} not found`,
      )
    })
  }
}

// ── plugin authors' helpers ─────────────────────────────────────────────────────────────────────

export {
  type CommonOptions,
  type InstanceOptionSpec,
  isPlainObject,
  optionError,
  type PluginOptionsSpec,
  resolvePluginOptions,
} from './kit/options.js'
export {
  type ClaimDecoratorOptions,
  claimDecorator,
  type GivenOrCreatedOptions,
  givenOrCreated,
  healthCheckName,
  pingError,
  refuseLateAuth,
} from './kit/plugin.js'
export {
  type ErrorClass,
  firstFound,
  type RouteDocs,
  routeDocs,
  type WriteNamespaceOptions,
  withDetails,
  writeNamespace,
} from './kit/routes.js'
export { described, IsoDateTimeSchema, NamespaceQueryProperty } from './kit/schemas.js'
