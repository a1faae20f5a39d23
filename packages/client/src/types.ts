/**
 * Names for the request and response types of the REST API, all derived from the generated
 * `schema.gen.ts` (itself generated from the server's OpenAPI document): nothing here is written by
 * hand twice.
 */
import type { routes } from './routes.js'
import type { paths } from './schema.gen.js'

type JsonOf<R> = R extends { content: { 'application/json': infer T } } ? T : never
type ResponsesOf<O> = O extends { responses: infer R } ? R : never
/** The JSON body of the 2xx answers of an operation. */
export type SuccessBody<O> = {
  [S in keyof ResponsesOf<O>]: S extends 200 | 201 | 202 ? JsonOf<ResponsesOf<O>[S]> : never
}[keyof ResponsesOf<O>]
/** The JSON body of one status of an operation. */
export type ResponseBody<O, S extends number> = S extends keyof ResponsesOf<O>
  ? JsonOf<ResponsesOf<O>[S]>
  : never
/** The JSON body an operation accepts. */
export type RequestBody<O> = O extends { requestBody?: infer B } ? JsonOf<NonNullable<B>> : never
/** The query parameters of an operation. */
export type QueryOf<O> = O extends { parameters: { query?: infer Q } } ? NonNullable<Q> : never

export type Paths = paths

type R = typeof routes
type ComputationsPath = paths[R['computations']]
type ComputationPath = paths[R['computation']]
type CachePath = paths[R['cache']]
type CacheKeyPath = paths[R['cacheEntry']]

/** One tracked run, as the API returns it. */
export type Computation = SuccessBody<ComputationPath['get']>
/**
 * The answer of a pause: the record and `outcome` — `paused`, or `pause_requested` while its runner has
 * not stopped it (the run is still `started`; it may finish without pausing).
 */
export type PauseAnswer = SuccessBody<paths[R['pause']]['post']>
/** A page of computations: `{ data, page, per_page, total, pages }`. */
export type ComputationPage = SuccessBody<ComputationsPath['get']>
/**
 * A row of a listing (without `args`/`checkpoint` unless `include` asked for them), and a computation as
 * the event stream carries it (never with them: fetch the record for those).
 */
export type ComputationSummary = ComputationPage['data'][number]
/** Filters and paging of `GET /computations`. */
export type ComputationFilters = QueryOf<ComputationsPath['get']>
/** Body of `POST /computations`. */
export type CreateComputation = RequestBody<ComputationsPath['post']>
/** Body of `PUT /computations/:id`. */
export type UpdateComputation = RequestBody<ComputationPath['put']>
/** A status of the computation state machine. */
export type ComputationStatus = Computation['status']

/** Answer of `POST /computations`: the record, `deduplicated`, and a reported run's `leaseToken`. */
export type SubmittedComputation = SuccessBody<ComputationsPath['post']>

/** A page of the fleet: `{ data, per_page, total, next_cursor }`. */
export type WorkerPage = SuccessBody<paths[R['workers']]['get']>
/** A live worker (HTTP or in-process). */
export type WorkerInfo = WorkerPage['data'][number]
/** Paging of `GET /workers`. */
export type WorkerFilters = QueryOf<paths[R['workers']]['get']>
/** Body of `POST /workers/claim`. */
export type ClaimRequest = RequestBody<paths[R['claim']]['post']>
/** A job claimed over the worker protocol, with its lease token. */
export type ClaimedJob = ResponseBody<paths[R['claim']]['post'], 200>['jobs'][number]
/** Body of `POST /computations/:id/heartbeat`. */
export type HeartbeatRequest = RequestBody<paths[R['heartbeat']]['post']>
/** Answer of a heartbeat: the renewed lease and any pending `pause`/`cancel` request. */
export type HeartbeatAnswer = SuccessBody<paths[R['heartbeat']]['post']>
/** Answer of `POST /computations/:id/fail`. */
export type FailAnswer = SuccessBody<paths[R['fail']]['post']>
/** Body of `POST /computations/:id/release`. */
export type ReleaseRequest = RequestBody<paths[R['release']]['post']>

/** A page of cache entries (metadata only). */
export type CacheEntryPage = SuccessBody<CachePath['get']>
/** Cache entry metadata, as listed. */
export type CacheEntryMeta = CacheEntryPage['data'][number]
/** One cache entry with its value. */
export type CacheEntry = SuccessBody<CacheKeyPath['get']>
/** Filters and paging of `GET /cache`. */
export type CacheFilters = QueryOf<CachePath['get']>
/** Body of `POST /cache/invalidate`. */
export type InvalidateCache = RequestBody<paths[R['cacheInvalidate']]['post']>
/** Answer of `POST /cache/invalidate`. */
export type InvalidateResult = SuccessBody<paths[R['cacheInvalidate']]['post']>
/** Answer of `GET /computations/stats`: queue depth, running, paused, and the runs ended in the last hour. */
export type ComputationStats = SuccessBody<paths[R['computationStats']]['get']>
/** Answer of `GET /cache/stats`. */
export type CacheStats = SuccessBody<paths[R['cacheStats']]['get']>

/** Answer of `GET /health/detailed` (200, or 503 when a check fails). */
export type HealthReport = ResponseBody<paths[R['healthDetailed']]['get'], 200 | 503>

/** Answer of `POST /auth/token`: the JWT, `tokenType`, `expiresIn` (seconds) and `expiresAt`. */
export type IssuedToken = SuccessBody<paths[R['authToken']]['post']>

/** Answer of `GET /health`. */
export type Health = SuccessBody<paths[R['health']]['get']>

/** One event of `GET /computations/:id/events` as `watch()` yields it. */
export type ComputationEvent =
  /** `status`: the record, first on connection and then at each status change; `progress`: only its progress or message changed. */
  | { type: 'status' | 'progress'; data: ComputationSummary; id: string }
  /** The run is over (the final summary), or the record was deleted (`null`). The last event. */
  | { type: 'end'; data: ComputationSummary | null; id: string }
