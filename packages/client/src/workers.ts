/** `client.workers`: the fleet (`GET /workers`) and the worker protocol's calls (see docs/WORKER-PROTOCOL.md). */
import { defaultCodec } from '@comp-manager/core/codec'
import type { Core } from './core.js'
import { type CallOptions, required } from './options.js'
import { routes } from './routes.js'
import type {
  ClaimedJob,
  ClaimRequest,
  Computation,
  FailAnswer,
  HeartbeatAnswer,
  HeartbeatRequest,
  ReleaseRequest,
  WorkerFilters,
  WorkerPage,
} from './types.js'

export interface WorkersApi {
  /** One page of the live workers (HTTP and in-process), by id: `{ data, per_page, total, next_cursor }`. */
  list(filters?: WorkerFilters, options?: CallOptions): Promise<WorkerPage>
  /** Claims up to `max` jobs (long-polling up to `waitMs`); `[]` when none came. Never retried. */
  claim(body: ClaimRequest, options?: CallOptions): Promise<ClaimedJob[]>
  /** Renews a lease; the answer says whether a pause or a cancel is requested. */
  heartbeat(id: string, body: HeartbeatRequest, options?: CallOptions): Promise<HeartbeatAnswer>
  /** Records the result (`result` is encoded with core's codec here: pass the value itself). */
  complete(id: string, leaseToken: string, result: unknown, options?: CallOptions): Promise<Computation>
  /** Records a failure (`retryable`: run it again after the backoff when attempts are left). */
  fail(
    id: string,
    leaseToken: string,
    error: { name: string; message: string; stack?: string },
    retryable?: boolean,
    options?: CallOptions,
  ): Promise<FailAnswer>
  /** Gives the job back: `pause` (with a checkpoint), `cancel`, or `shutdown` (back to the queue). */
  release(id: string, body: ReleaseRequest, options?: CallOptions): Promise<{ status: string }>
}

export function workersApi(core: Core): WorkersApi {
  const { api } = core
  const path = (id: string) => ({ path: { id: required(id, 'id') } })
  const encode = (value: unknown) => {
    const codec = core.config.codec as Partial<{ encode(value: unknown): unknown }>
    return typeof codec.encode === 'function' ? codec.encode(value) : defaultCodec.encode(value)
  }
  return {
    list: (filters = {}, opts) =>
      core.call(opts, (init) =>
        api.GET(routes.workers, { params: { query: core.withNamespace(filters) }, ...init }),
      ),
    async claim(body, opts) {
      const answer = await core.call(
        opts,
        (init) => api.POST(routes.claim, { body: core.withNamespace(body), ...init }),
        { retries: 0 },
      )
      return (answer as { jobs?: ClaimedJob[] } | undefined)?.jobs ?? []
    },
    heartbeat: (id, body, opts) =>
      core.call(opts, (init) => api.POST(routes.heartbeat, { params: path(id), body, ...init })),
    complete: (id, leaseToken, result, opts) =>
      core.call(opts, (init) =>
        api.POST(routes.complete, {
          params: path(id),
          body: { leaseToken, result: encode(result) },
          ...init,
        }),
      ) as Promise<Computation>,
    fail: (id, leaseToken, error, retryable, opts) =>
      core.call(opts, (init) =>
        api.POST(routes.fail, {
          params: path(id),
          body: { leaseToken, error, ...(retryable === undefined ? {} : { retryable }) },
          ...init,
        }),
      ),
    release: (id, body, opts) =>
      core.call(opts, (init) => api.POST(routes.release, { params: path(id), body, ...init })) as Promise<{
        status: string
      }>,
  }
}
