/**
 * `@comp-manager/client`: a typed client for the comp-manager REST API. Browser-safe: no Node-only
 * import here or below.
 */
export { type AuthApi, TOKEN_EXPIRY_MARGIN_MS } from './auth.js'
export type { CacheApi } from './cache.js'
export { type CompManagerClient, createClient } from './client.js'
export type { ComputationsApi } from './computations.js'
export type { ValueDecoder } from './decode.js'
export {
  AbortError,
  type AnyApiError,
  ApiError,
  type ApiErrorInit,
  ClientError,
  type ErrorBody,
  type ErrorCode,
  type ErrorDetails,
  type ErrorDetailsByCode,
  isApiError,
  NetworkError,
  parseRetryAfter,
  TimeoutError,
  type ValidationIssue,
} from './errors.js'
export type { ServerSentEvent } from './events.js'
export type { EventFilter, EventsApi, FleetEvent, FleetEventType } from './fleet-events.js'
export type { HealthApi } from './health.js'
export {
  createHttpWorker,
  type HttpJobContext,
  type HttpJobFunction,
  HttpWorker,
  type HttpWorkerOptions,
} from './http-worker.js'
export type { JobHandle, JobsApi, SubmitOptions } from './jobs.js'
export type { CallOptions, ClientOptions, FetchFn, TokenSource, WatchOptions } from './options.js'
export type { components, operations, paths } from './schema.gen.js'
export { parseSse, type SseMessage } from './sse.js'
export type { RetryInfo } from './transport.js'
export type * from './types.js'
export type { WorkersApi } from './workers.js'
