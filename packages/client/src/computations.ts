/** `client.computations`: the tracked runs (`/api/v1/computations`). */
import type { Core } from './core.js'
import { decodeComputation, decodePage } from './decode.js'
import { events, type ServerSentEvent, watch } from './events.js'
import { type JobsApi, jobsApi } from './jobs.js'
import { type CallOptions, required, type WatchOptions } from './options.js'
import { paginate } from './pagination.js'
import { routes } from './routes.js'
import type {
  Computation,
  ComputationEvent,
  ComputationFilters,
  ComputationPage,
  ComputationStats,
  ComputationSummary,
  CreateComputation,
  UpdateComputation,
} from './types.js'

/** The computations routes, and submitting and steering jobs ({@link JobsApi}). */
export interface ComputationsApi extends JobsApi {
  /**
   * One page of computations (summaries: no `args`/`checkpoint` unless `include`):
   * `{ data, page, per_page, total, pages, total_is_lower_bound, next_cursor }`.
   */
  list(filters?: ComputationFilters, options?: CallOptions): Promise<ComputationPage>
  /** Every computation matching `filters`, page after page by cursor (`per_page` 100 unless given). */
  all(
    filters?: Omit<ComputationFilters, 'page'>,
    options?: CallOptions,
  ): AsyncGenerator<ComputationSummary, void, void>
  /** One computation; `ApiError<'CM_ERR_NOT_FOUND'>` when absent (or outside the caller's namespaces). */
  get(id: string, options?: CallOptions): Promise<Computation>
  /** Creates a record (e.g. `queued`). Never retried. */
  create(body: CreateComputation, options?: CallOptions): Promise<Computation>
  /** Changes status/message/progress through the state machine (`CM_ERR_INVALID_TRANSITION` → 409). */
  update(id: string, body: UpdateComputation, options?: CallOptions): Promise<Computation>
  /** Deletes a record (admin). */
  delete(id: string, options?: CallOptions): Promise<void>
  /**
   * What the fleet is doing, counted in the store (every instance answers the same): `queued`, `running`,
   * `paused`, and `lastHour` `{ failed, finished, lost }`; `lowerBound` when a count hit the store's limit.
   */
  stats(options?: CallOptions): Promise<ComputationStats>
  /** The raw server-sent events of a computation, every event type, until the server closes the stream. */
  events(id: string, options?: CallOptions): AsyncGenerator<ServerSentEvent, void, void>
  /**
   * The live events of a computation (`status`, `progress`, then `end`), ending after `end`; reconnects
   * (up to `reconnects` times in a row) when the stream drops before it.
   */
  watch(id: string, options?: WatchOptions): AsyncGenerator<ComputationEvent, void, void>
}

const decode = { decode: decodeComputation }

export function computationsApi(core: Core): ComputationsApi {
  const { api } = core
  /** `{ id }` and `?namespace=` of a one-record route. */
  const one = (id: string, opts: CallOptions | undefined) => ({
    path: { id: required(id, 'id') },
    query: core.query(opts),
  })
  const computations: ComputationsApi = {
    ...jobsApi(core),
    async list(filters = {}, opts) {
      const params = { query: core.withNamespace(filters) }
      const page = { decode: decodePage(decodeComputation) }
      return core.call(opts, (init) => api.GET(routes.computations, { params, ...init }), page)
    },
    all: (filters = {}, opts) => paginate(computations.list, filters as ComputationFilters, opts),
    async get(id, opts) {
      const params = one(id, opts)
      return core.call(opts, (init) => api.GET(routes.computation, { params, ...init }), decode)
    },
    async create(body, opts) {
      const withNs = core.withNamespace(body)
      return core.call(opts, (init) => api.POST(routes.computations, { body: withNs, ...init }), decode)
    },
    async update(id, body, opts) {
      const params = one(id, opts)
      return core.call(opts, (init) => api.PUT(routes.computation, { params, body, ...init }), decode)
    },
    async delete(id, opts) {
      const params = one(id, opts)
      await core.call(opts, (init) => api.DELETE(routes.computation, { params, ...init }))
    },
    async stats(opts) {
      const params = { query: core.query(opts) }
      return core.call(opts, (init) => api.GET(routes.computationStats, { params, ...init }))
    },
    events: (id, opts) => events(core, id, opts),
    watch: (id, opts) => watch(core, id, opts),
  }
  return computations
}
