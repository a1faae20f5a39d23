/**
 * `@comp-manager/fastify-kit`: what every comp-manager Fastify route plugin shares, with no database
 * dependency, so that they validate, protect, scope, report health and fail alike:
 *
 * - the **route kit** — {@link useRouteKit} applies, in the encapsulated context declaring the routes,
 *   {@link routeValidatorCompiler} (unknown fields refused, strict numbers in queries),
 *   {@link createErrorHandler} (the one error body, core's `toHttpError`) and the `$`-key guard
 *   ({@link rejectDollarKeys}); plus pagination, OpenAPI and namespace helpers for the routes;
 * - the **registration steps** of a route plugin ({@link definePluginOptions}, {@link claimDecorator},
 *   {@link givenOrCreated}, {@link healthCheckName}, {@link pingError}, {@link refuseLateAuth});
 * - the **health registry** ({@link registerHealthCheck}, {@link runHealthChecks}, `fastify.compHealthChecks`);
 * - the **auth contract** ({@link Role}, {@link AuthIdentity}, {@link AuthContract}, `request.auth`) that an
 *   auth plugin implements and the route plugins read through {@link protect} and {@link resolveNamespaces};
 * - the type of the `fastify.compStore` decorator a store plugin registers.
 */
import './types.js'

export {
  AUTH_CONTRACT,
  authContractOf,
  hasAuth,
  identityOf,
  protect,
  type ResolveNamespacesOptions,
  resolveNamespaces,
  securityOf,
} from './access.js'
export {
  type AuthContract,
  type AuthIdentity,
  type AuthPreHandler,
  type Role,
  roles,
} from './auth-contract.js'
export { dollarKeyGuard, findDollarKey, MAX_SCANNED_NODES, rejectDollarKeys } from './dollar-keys.js'
export {
  createErrorHandler,
  ERROR_DESCRIPTIONS,
  type ErrorHandlerOptions,
  ErrorResponseSchema,
  errorResponse,
  errorResponses,
  STORE_RETRY_AFTER_SECONDS,
} from './errors.js'
export {
  DEFAULT_HEALTH_CHECK_TIMEOUT_MS,
  HEALTH_CHECKS_DECORATOR,
  type HealthCheck,
  HealthCheckNameSchema,
  type HealthCheckResult,
  type HealthChecks,
  type HealthReport,
  healthChecksOf,
  type RunHealthChecksOptions,
  registerHealthCheck,
  runHealthChecks,
} from './health.js'
export {
  holdsLease,
  type LeaseClaim,
  LeaseTokens,
  leaseTokensOf,
  MAX_LEASE_TOKEN_LENGTH,
} from './lease-tokens.js'
export {
  type CommonOptions,
  decoratorName,
  definePluginOptions,
  type InstanceOptionSpec,
  type PluginOptionsParser,
  type PluginOptionsSpec,
  type ResolvedPluginOptions,
} from './options.js'
export {
  CursorQueryProperty,
  DEFAULT_PER_PAGE,
  emptyPage,
  MAX_PAGE,
  MAX_PER_PAGE,
  type PageBody,
  PageResponseSchema,
  PaginationQueryProperties,
  PaginationQuerySchema,
  pageOf,
  pagingOf,
  toPageBody,
} from './pagination.js'
export {
  type ClaimDecoratorOptions,
  claimDecorator,
  DECORATOR_NAME_PATTERN,
  decoratorOf,
  type GivenOrCreatedOptions,
  givenOrCreated,
  healthCheckName,
  pingError,
  refuseLateAuth,
  STORE_DECORATOR,
} from './registration.js'
export { type RouteKitOptions, type TypeBoxApp, useRouteKit } from './route-kit.js'
export {
  type ErrorClass,
  findInNamespaces,
  firstFound,
  type RouteDocs,
  routeDocs,
  type WriteNamespaceOptions,
  withDetails,
  writeNamespace,
} from './routes.js'
export { described, IsoDateTimeSchema, NamespaceQueryProperty } from './schemas.js'
export { routeValidatorCompiler } from './validation.js'
